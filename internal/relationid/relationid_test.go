package relationid

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNumberAndEndpoint(t *testing.T) {
	for id, want := range map[string]struct {
		n        int
		ok       bool
		endpoint string
	}{
		"website:3":  {3, true, "website"},
		"3":          {3, true, ""},
		"a:b:012":    {12, true, "a:b"},
		"website:":   {0, false, "website"},
		"website:x":  {0, false, "website"},
		"":           {0, false, ""},
		"website:-1": {-1, true, "website"},
	} {
		n, ok := Number(id)
		assert.Equal(t, want.n, n, "%q", id)
		assert.Equal(t, want.ok, ok, "%q", id)
		assert.Equal(t, want.endpoint, Endpoint(id), "%q", id)
	}
}

// An id that is a key names that relation; any other spelling is looked
// up by its number, the smallest key winning should a model name a
// number twice.
func TestFind(t *testing.T) {
	relations := map[string]struct{}{"b:3": {}, "a:3": {}, "site:12": {}}
	for id, want := range map[string]string{
		"b:3": "b:3", "a:3": "a:3", "3": "a:3", "other:3": "a:3",
		"site:12": "site:12", "12": "site:12", "x:012": "site:12",
		"4": "", "site:x": "", "": "",
	} {
		got, ok := Find(relations, id)
		assert.Equal(t, want, got, "%q", id)
		assert.Equal(t, want != "", ok, "%q", id)
	}
}

func TestOnEndpoint(t *testing.T) {
	relations := map[string]int{"website:3": 0, "website:12": 0, "websites:4": 0, "db:1": 0}
	assert.Equal(t, []string{"website:12", "website:3"}, OnEndpoint(relations, "website"))
	assert.Equal(t, []string{}, OnEndpoint(relations, "nosuch"))
	assert.Equal(t, []string{}, OnEndpoint[int](nil, "website"))
}
