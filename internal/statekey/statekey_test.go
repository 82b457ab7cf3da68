package statekey

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSize(t *testing.T) {
	for key, want := range map[string]int{
		"":                                 0,
		"a":                                1,
		"flag.a":                           8,
		"hash.$x":                          11,
		"...":                              9,
		"a=b:c#d-e'f\"g":                   13,
		strings.Repeat("x", 256):           256,
		"flag." + strings.Repeat("x.", 83): 7 + 83*4,
	} {
		assert.Equal(t, want, Size(key), "%q", key)
	}
}
