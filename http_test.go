package httprelation_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

// The hook rules the library applies itself, so that every accessor gets
// them right: a departing unit and a broken relation count as gone.

// TestHookContextRules: the relation of a relation-broken hook, and the
// unit leaving in a relation-departed hook, count as gone; only the
// relation number counts.
func TestHookContextRules(t *testing.T) {
	departed := httprelation.HookContext{HookName: "website-relation-departed", RelationID: "website:3", DepartingUnit: "web/1"}
	assert.True(t, departed.IsDeparting("website:3", "web/1"))
	assert.True(t, departed.IsDeparting("3", "web/1"), "only the relation number counts")
	assert.False(t, departed.IsDeparting("website:4", "web/1"))
	assert.False(t, departed.IsDeparting("website:3", "web/0"))
	assert.False(t, departed.IsBroken("website:3"))

	localLeaving := httprelation.HookContext{HookName: "website-relation-departed", RelationID: "website:3", RemoteUnit: "web/2", DepartingUnit: "proxy/0"}
	assert.True(t, localLeaving.IsDeparting("website:3", "web/2"), "the hook's remote unit drops when the local unit leaves")
	assert.False(t, localLeaving.IsDeparting("website:3", "web/0"))
	changed := httprelation.HookContext{HookName: "website-relation-changed", RelationID: "website:3", RemoteUnit: "web/2"}
	assert.False(t, changed.IsDeparting("website:3", "web/2"), "only departed hooks drop units")

	broken := httprelation.HookContext{HookName: "website-relation-broken", RelationID: "website:3"}
	assert.True(t, broken.IsBroken("website:3"))
	assert.True(t, broken.IsBroken("3"))
	assert.False(t, broken.IsBroken("website:4"))
	assert.False(t, broken.IsBroken(""))
	assert.False(t, httprelation.HookContext{}.IsBroken("website:3"))
	assert.False(t, httprelation.HookContext{}.IsDeparting("website:3", ""))
}

// oldTooling answers relation-list as Juju before 3 did: the unit leaving
// in a relation-departed hook, and the units of a relation whose
// relation-broken hook runs, are still listed.
type oldTooling struct {
	httprelation.Accessor
	extra map[string][]string
}

func (o oldTooling) RelationUnits(ctx context.Context, id string) ([]string, error) {
	units, err := o.Accessor.RelationUnits(ctx, id)
	return append(units, o.extra[id]...), err
}

// TestServicesHookRules: whatever the tools list, Services leaves out the
// unit leaving in a relation-departed hook and the relation of a
// relation-broken hook.
func TestServicesHookRules(t *testing.T) {
	rels := func() map[string]toolsim.Relation {
		return map[string]toolsim.Relation{
			"reverseproxy:4": {RemoteApp: "shop", Units: map[string]map[string]string{
				"shop/0": {"private-address": "172.20.1.10", "port": "8000"},
				"shop/3": {"private-address": "172.20.1.13", "port": "8000"},
			}},
			"reverseproxy:11": {RemoteApp: "blog", Units: map[string]map[string]string{
				"blog/1": {"private-address": "172.20.2.11", "port": "80"},
			}},
		}
	}
	shop0 := httprelation.Service{Name: "shop", Hosts: []httprelation.Host{h("172.20.1.10", "172.20.1.10", 8000)}}
	both := httprelation.Service{Name: "shop", Hosts: []httprelation.Host{h("172.20.1.10", "172.20.1.10", 8000), h("172.20.1.13", "172.20.1.13", 8000)}}
	blogs := httprelation.Service{Name: "blog", Hosts: []httprelation.Host{h("172.20.2.11", "172.20.2.11", 80)}}
	departed := toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "shop/3"}
	broken := toolsim.Hook{Name: "reverseproxy-relation-broken", RelationID: "reverseproxy:11"}
	tests := []struct {
		name  string
		hook  toolsim.Hook
		extra map[string][]string
		want  []httprelation.Service
	}{
		{name: "changed", hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3"},
			want: []httprelation.Service{blogs, both}},
		{name: "departed, juju 3", hook: departed, want: []httprelation.Service{blogs, shop0}},
		{name: "departed, still listed", hook: departed, extra: map[string][]string{"reverseproxy:4": {"shop/3"}}, want: []httprelation.Service{blogs, shop0}},
		{name: "departed, other relation keeps its units", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:11", RemoteUnit: "blog/1", DepartingUnit: "blog/1"},
			want: []httprelation.Service{both}},
		// The local unit leaving: Juju drops the hook's remote unit, one per departed hook.
		{name: "local unit departing", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "haproxy/0"},
			want: []httprelation.Service{blogs, shop0}},
		{name: "local unit departing, still listed", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "haproxy/0"},
			extra: map[string][]string{"reverseproxy:4": {"shop/3"}}, want: []httprelation.Service{blogs, shop0}},
		{name: "broken, juju 3", hook: broken, want: []httprelation.Service{both}},
		{name: "broken, still listed", hook: broken, extra: map[string][]string{"reverseproxy:11": {"blog/1"}}, want: []httprelation.Service{both}},
		{name: "broken by number only", hook: toolsim.Hook{Name: "reverseproxy-relation-broken", RelationID: "11"},
			extra: map[string][]string{"reverseproxy:11": {"blog/1"}}, want: []httprelation.Service{both}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := proxy(rels())
			model.Hook = tt.hook
			assert.Equal(t, tt.want, services(t, oldTooling{Accessor: serveAccessor(t, model), extra: tt.extra}))
		})
	}
}
