package hooktools

import (
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEnvFrom(t *testing.T) {
	for name, tc := range map[string]struct {
		vars map[string]string
		want Env
	}{
		"relation hook": {
			vars: map[string]string{
				"JUJU_UNIT_NAME": "lb/0", "JUJU_CHARM_DIR": "/var/lib/juju/charm", "CHARM_DIR": "/old",
				"JUJU_HOOK_NAME": "backends-relation-departed", "JUJU_RELATION": "backends",
				"JUJU_RELATION_ID": "backends:4", "JUJU_REMOTE_UNIT": "shop/3", "JUJU_REMOTE_APP": "shop",
				"JUJU_DEPARTING_UNIT": "shop/3", "JUJU_MODEL_NAME": "prod", "JUJU_MODEL_UUID": "u-u-i-d",
				"JUJU_VERSION": "3.5.4",
			},
			want: Env{
				Unit: "lb/0", CharmDir: "/var/lib/juju/charm", HookName: "backends-relation-departed",
				RelationName: "backends", RelationID: "backends:4", RemoteUnit: "shop/3", RemoteApp: "shop",
				DepartingUnit: "shop/3", ModelName: "prod", ModelUUID: "u-u-i-d", JujuVersion: "3.5.4",
			},
		},
		"dispatch and old charm dir": {
			vars: map[string]string{"JUJU_UNIT_NAME": "lb/0", "CHARM_DIR": "/c", "JUJU_DISPATCH_PATH": "hooks/install"},
			want: Env{Unit: "lb/0", CharmDir: "/c", HookName: "install"},
		},
		"action is no hook": {
			vars: map[string]string{"JUJU_UNIT_NAME": "lb/0", "JUJU_DISPATCH_PATH": "actions/backup"},
			want: Env{Unit: "lb/0"},
		},
		"hook name wins over dispatch path": {
			vars: map[string]string{"JUJU_HOOK_NAME": "start", "JUJU_DISPATCH_PATH": "hooks/install"},
			want: Env{HookName: "start"},
		},
		"remote app from remote unit": {
			vars: map[string]string{"JUJU_REMOTE_UNIT": "web/2", "JUJU_REMOTE_APP": ""},
			want: Env{RemoteUnit: "web/2", RemoteApp: "web"},
		},
		"empty": {vars: map[string]string{}, want: Env{}},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, EnvFrom(lookupMap(tc.vars)))
		})
	}
}

func TestEnvHookContext(t *testing.T) {
	env := Env{Unit: "lb/0", HookName: "backends-relation-broken", RelationID: "backends:11",
		RemoteApp: "blog", CharmDir: "/c", ModelName: "m"}
	assert.Equal(t, httprelation.HookContext{
		Unit: "lb/0", HookName: "backends-relation-broken", RelationID: "backends:11", RemoteApp: "blog",
	}, env.hookContext())
	assert.False(t, Env{}.inHook())
}
