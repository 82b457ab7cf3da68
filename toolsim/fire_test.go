package toolsim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/internal/gobuild"
)

// testCharm builds testdata/charm once per test process.
var testCharm = gobuild.Once("./testdata/charm")

func charmBinary(t *testing.T) string {
	t.Helper()
	bin, err := testCharm()
	require.NoError(t, err)
	return bin
}

// hookSeen is what testdata/charm prints.
type hookSeen struct {
	Env    map[string]string
	Listed []string          `json:"listed"`
	IDs    []string          `json:"ids"`
	Bag    map[string]string `json:"bag"`
	Own    map[string]string `json:"own"`
	Config map[string]any    `json:"config"`
	Cwd    string            `json:"cwd"`
}

func parseSeen(t *testing.T, run HookRun) hookSeen {
	t.Helper()
	var s hookSeen
	require.NoError(t, json.Unmarshal([]byte(run.Result.Stdout), &s), run.Result.Stdout)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(run.Result.Stdout), &raw))
	s.Env = map[string]string{}
	for k, v := range raw {
		if str, ok := v.(string); ok && (strings.HasPrefix(k, "JUJU_") || k == "CHARM_DIR") {
			s.Env[k] = str
		}
	}
	return s
}

func eventModel(charmDir string) *Model {
	return &Model{
		Unit:           "lb/0",
		CharmDir:       charmDir,
		PrivateAddress: "10.0.0.9",
		Config:         map[string]any{"port": json.Number("80")},
		Relations:      map[string]Relation{"proxy:1": {RemoteApp: "web", RemoteEndpoint: "website", Local: map[string]string{}}},
		Networks: map[string]Network{"proxy": {
			BindAddresses:    []BindAddress{{InterfaceName: "eth0", Addresses: []InterfaceAddress{{Value: "10.0.0.9", CIDR: "10.0.0.0/24"}}}},
			EgressSubnets:    []string{"10.0.0.9/32"},
			IngressAddresses: []string{"10.0.0.9"},
		}},
	}
}

// Every event fires Juju's hooks in Juju's order against a real charm
// process, with Juju's environment, and the model changes as Juju's does.
func TestFireAsProcesses(t *testing.T) {
	t.Parallel()
	charm := charmBinary(t)
	charmDir := t.TempDir()
	s := Start(t, eventModel(charmDir), nil)
	ctx := context.Background()
	fire := func(ev Event) HookRuns {
		t.Helper()
		runs, err := s.Fire(ctx, charm, ev)
		require.NoError(t, err, "%v", ev)
		for _, r := range runs {
			require.Equal(t, 0, r.Result.ExitCode, r.Result.Stderr)
		}
		return runs
	}
	model := func() *Model {
		t.Helper()
		m, err := s.Model()
		require.NoError(t, err)
		return m
	}

	runs := fire(RunHook("install"))
	assert.Equal(t, []string{"install"}, runs.Names())
	seen := parseSeen(t, runs[0])
	installID := seen.Env["JUJU_CONTEXT_ID"]
	assert.Regexp(t, `^lb/0-install-[0-9]+$`, installID)
	want := map[string]string{
		"JUJU_UNIT_NAME": "lb/0", "JUJU_CHARM_DIR": charmDir, "CHARM_DIR": charmDir,
		"JUJU_HOOK_NAME": "install", "JUJU_DISPATCH_PATH": "hooks/install",
		"JUJU_MODEL_NAME": modelName, "JUJU_MODEL_UUID": modelUUID, "JUJU_VERSION": jujuVersion,
		"JUJU_CONTEXT_ID": installID,
	}
	for k, v := range (&Model{Unit: "lb/0"}).agentVars() {
		if k != "JUJU_CONTEXT_ID" && strings.HasPrefix(k, "JUJU_") { // what the charm prints
			want[k] = v
		}
	}
	assert.Equal(t, want, seen.Env)
	assert.Equal(t, charmDir, seen.Cwd, "hooks run from the charm directory")

	runs = fire(Join("proxy:1", "web/0", map[string]string{"private-address": "10.0.0.1"}))
	assert.Equal(t, []string{"proxy-relation-joined", "proxy-relation-changed"}, runs.Names())
	for _, r := range runs {
		seen := parseSeen(t, r)
		assert.Equal(t, "proxy", seen.Env["JUJU_RELATION"])
		assert.Equal(t, "proxy:1", seen.Env["JUJU_RELATION_ID"])
		assert.Equal(t, "web/0", seen.Env["JUJU_REMOTE_UNIT"])
		assert.Equal(t, "web", seen.Env["JUJU_REMOTE_APP"])
		assert.NotContains(t, seen.Env, "JUJU_DEPARTING_UNIT")
		assert.Equal(t, []string{"web/0"}, seen.Listed)
		assert.Equal(t, map[string]string{"private-address": "10.0.0.1", "ingress-address": "10.0.0.1",
			"egress-subnets": "10.0.0.1/32"}, seen.Bag, "Juju adds the addresses of a joining unit")
		assert.NotEqual(t, installID, seen.Env["JUJU_CONTEXT_ID"], "one context per hook run")
		assert.Equal(t, r.Hook.Name, seen.Own["last-hook"], "a hook reads its own writes")
	}
	fire(Join("proxy:1", "web/1", map[string]string{"private-address": "10.0.0.2"}))

	runs = fire(Change("proxy:1", "web/1", map[string]string{"port": "8080", "private-address": ""}))
	assert.Equal(t, []string{"proxy-relation-changed"}, runs.Names())
	assert.Equal(t, map[string]string{"port": "8080", "ingress-address": "10.0.0.2", "egress-subnets": "10.0.0.2/32"},
		parseSeen(t, runs[0]).Bag)

	runs = fire(Depart("proxy:1", "web/0"))
	assert.Equal(t, []string{"proxy-relation-departed"}, runs.Names())
	seen = parseSeen(t, runs[0])
	assert.Equal(t, "web/0", seen.Env["JUJU_REMOTE_UNIT"])
	assert.Equal(t, "web/0", seen.Env["JUJU_DEPARTING_UNIT"])
	assert.Equal(t, "web", seen.Env["JUJU_REMOTE_APP"])
	assert.Equal(t, []string{"web/1"}, seen.Listed, "relation-list leaves the departing unit out")
	assert.Equal(t, map[string]string{"private-address": "10.0.0.1", "ingress-address": "10.0.0.1",
		"egress-subnets": "10.0.0.1/32"}, seen.Bag, "its bag stays readable")
	assert.NotContains(t, model().Relations["proxy:1"].Units, "web/0", "then it is gone")

	runs = fire(ChangeConfig(map[string]any{"port": 8081, "name": "x"}))
	assert.Equal(t, []string{"config-changed"}, runs.Names())
	seen = parseSeen(t, runs[0])
	assert.Equal(t, map[string]any{"port": 8081.0, "name": "x"}, seen.Config)
	assert.NotContains(t, seen.Env, "JUJU_RELATION_ID", "no relation variables outside relation hooks")

	fire(Join("proxy:1", "web/2", nil))
	runs = fire(RemoveRelation("proxy:1"))
	assert.Equal(t, []string{"proxy-relation-departed", "proxy-relation-departed", "proxy-relation-broken"}, runs.Names())
	assert.Equal(t, "web/1", parseSeen(t, runs[0]).Env["JUJU_DEPARTING_UNIT"])
	assert.Equal(t, []string{"web/2"}, parseSeen(t, runs[0]).Listed)
	assert.Equal(t, "web/2", parseSeen(t, runs[1]).Env["JUJU_DEPARTING_UNIT"])
	assert.Empty(t, parseSeen(t, runs[1]).Listed)
	seen = parseSeen(t, runs[2])
	assert.Equal(t, "", seen.Env["JUJU_REMOTE_UNIT"])
	assert.Equal(t, "web", seen.Env["JUJU_REMOTE_APP"])
	assert.NotContains(t, seen.Env, "JUJU_DEPARTING_UNIT")
	assert.Empty(t, seen.Listed, "no units in relation-broken")
	assert.Equal(t, []string{"proxy:1"}, seen.IDs, "relation-ids still lists the broken relation")
	assert.NotContains(t, model().Relations, "proxy:1", "then the relation is gone")

	runs = fire(AddRelation("proxy:4", "api", "web"))
	assert.Equal(t, []string{"proxy-relation-created"}, runs.Names())
	seen = parseSeen(t, runs[0])
	assert.Equal(t, "", seen.Env["JUJU_REMOTE_UNIT"])
	assert.Equal(t, "api", seen.Env["JUJU_REMOTE_APP"])
	assert.Empty(t, seen.Listed)
	assert.Equal(t, map[string]string{"private-address": "10.0.0.9", "ingress-address": "10.0.0.9",
		"egress-subnets": "10.0.0.9/32", "last-hook": "proxy-relation-created"}, model().Relations["proxy:4"].Local)

	m := model()
	assert.Equal(t, Hook{Name: "proxy-relation-created", RelationID: "proxy:4", RemoteApp: "api"}, m.Hook, "the model is in the last hook")
	assert.Equal(t, "proxy-relation-created", m.State["last-hook"])
	calls, err := calllog.Read(s.LogPath)
	require.NoError(t, err)
	assert.NotEmpty(t, calls)
}

// A test may give its charm another model or Juju version through the
// Sim's hook variables; the hooks of events keep them.
func TestFireKeepsTheTestsModelVariables(t *testing.T) {
	t.Parallel()
	charm := charmBinary(t)
	s := Start(t, eventModel(""), map[string]string{"JUJU_VERSION": "3.6.1", "JUJU_MODEL_NAME": "prod"})
	runs, err := s.Fire(context.Background(), charm, RunHook("install"))
	require.NoError(t, err)
	seen := parseSeen(t, runs[0])
	assert.Equal(t, "3.6.1", seen.Env["JUJU_VERSION"])
	assert.Equal(t, "prod", seen.Env["JUJU_MODEL_NAME"])
	assert.Equal(t, modelUUID, seen.Env["JUJU_MODEL_UUID"])
}

// A hook that exits with a status other than 0 commits nothing it wrote
// to relations, the charm state or the opened ports, as in Juju; its
// status, workload version and log lines stay (Juju sends them at once),
// and the event stops there.
func TestFireCommitsOnlyOnSuccess(t *testing.T) {
	t.Parallel()
	charm := charmBinary(t)
	s := Start(t, eventModel(""), nil)
	ctx := context.Background()
	_, err := s.Fire(ctx, charm, Join("proxy:1", "web/0", nil))
	require.NoError(t, err)
	before, err := s.Model()
	require.NoError(t, err)

	s.SetHookEnv(map[string]string{"TEST_FAIL": "proxy-relation-departed"})
	runs, err := s.Fire(ctx, charm, RemoveRelation("proxy:1"))
	var he *HookError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, "proxy-relation-departed", he.Hook.Name)
	assert.Equal(t, 1, he.Result.ExitCode)
	assert.Contains(t, err.Error(), "failing as asked")
	assert.Equal(t, []string{"proxy-relation-departed"}, runs.Names(), "broken never ran")
	assert.Equal(t, "proxy-relation-departed", parseSeen(t, runs[0]).Own["last-hook"], "the hook saw its own write")

	after, err := s.Model()
	require.NoError(t, err)
	assert.Equal(t, before.Relations["proxy:1"].Local, after.Relations["proxy:1"].Local)
	assert.Equal(t, before.State, after.State)
	assert.Equal(t, map[string][]string{"*": {"10021/tcp", "10022/tcp"}}, after.OpenedPorts,
		"joined's and changed's ports, not the failed departed's 10023")
	assert.Equal(t, before.OpenedPorts, after.OpenedPorts)
	assert.Equal(t, "proxy-relation-departed", after.WorkloadVersion)
	assert.Contains(t, after.Relations["proxy:1"].Units, "web/0", "the unit stays until its departed hook succeeds")
	assert.Equal(t, &Status{Status: "active", Message: "proxy-relation-departed"}, after.Status)
	assert.Equal(t, "INFO proxy:1: ran proxy-relation-departed", after.Log[len(after.Log)-1])

	// Run keeps the same rule for the Sim's current hook.
	res, err := s.Run(ctx, charm)
	require.NoError(t, err)
	assert.Equal(t, 1, res.ExitCode)
	again, err := s.Model()
	require.NoError(t, err)
	assert.Equal(t, before.State, again.State)

	s.SetHookEnv(nil)
	runs, err = s.Fire(ctx, charm, RemoveRelation("proxy:1"))
	require.NoError(t, err, "resolved: the event goes through")
	assert.Len(t, runs, 2)
}

func TestFireRefusesEventsThatDoNotFit(t *testing.T) {
	t.Parallel()
	s := Start(t, eventModel(""), nil)
	for _, ev := range []Event{
		Change("proxy:1", "web/0", nil),
		Depart("proxy:1", "web/0"),
		Join("proxy:1", "api/0", nil),
		Join("proxy:2", "web/0", nil),
		Join("proxy:1", "web/01", nil),
		AddRelation("proxy:1", "web", "website"),
		AddRelation("proxy:2", "Web", "website"),
		RemoveRelation("proxy:9"),
		RunHook("proxy-relation-joined"),
	} {
		runs, err := s.Fire(context.Background(), "/nonexistent", ev)
		assert.ErrorIs(t, err, ErrInvalidModel, "%v", ev)
		assert.Empty(t, runs)
	}
	calls, err := calllog.Read(s.LogPath)
	require.NoError(t, err)
	assert.Empty(t, calls, "nothing ran")
}

func TestConfigValue(t *testing.T) {
	for in, want := range map[string]any{
		"8080": json.Number("8080"), "1.5": json.Number("1.5"), "true": true, "null": nil, `"8080"`: "8080",
		"web site": "web site", "8080 x": "8080 x", `{"a":1}`: `{"a":1}`, "[1]": "[1]", "": "",
	} {
		assert.Equal(t, want, configValue(in), "%q", in)
	}
}
