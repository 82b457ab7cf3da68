package httprelation

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChanged(t *testing.T) {
	services := func() []Service {
		return []Service{{Name: "web", Hosts: []Host{{Hostname: "10.0.0.1", PrivateAddress: "10.0.0.1", Port: 8080}}}}
	}
	other := []Service{{Name: "web", Hosts: []Host{{Hostname: "10.0.0.2", PrivateAddress: "10.0.0.2", Port: 8080}}}}

	steps := []struct {
		name  string
		key   string
		value any
		want  bool
	}{
		{"first call", "services", services(), true},
		{"equal value, new slice", "services", services(), false},
		{"different value", "services", other, true},
		{"same again", "services", other, false},
		{"back to the first", "services", services(), true},
		{"other key is independent", "config", services(), true},
		{"maps compare by content", "map", map[string]int{"a": 1, "b": 2}, true},
		{"map in another order", "map", map[string]int{"b": 2, "a": 1}, false},
		{"nil", "nil", nil, true},
		{"nil again", "nil", nil, false},
	}
	r, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	for _, s := range steps {
		got, err := r.Changed(s.key, s.value)
		require.NoError(t, err, s.name)
		assert.Equal(t, s.want, got, s.name)
	}
}

func TestChangedUnencodable(t *testing.T) {
	r, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	for _, v := range []any{make(chan int), math.NaN(), func() {}} {
		_, err := r.Changed("bad", v)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"bad"`)
	}
	// A failed encoding records nothing.
	changed, err := r.Changed("bad", 1)
	require.NoError(t, err)
	assert.True(t, changed)
}
