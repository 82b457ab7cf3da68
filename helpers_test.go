package httprelation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/toolsim"
)

// Helpers shared by the external tests: loggers, models, the accessor of
// a simulated unit and wrappers that make one of its answers misbehave.

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperCharmEnv); mode != "" {
		os.Exit(helperCharm(mode))
	}
	os.Exit(m.Run())
}

// endpoint is the requires endpoint every scenario under testdata uses.
const endpoint = "reverseproxy"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// silent drops every record without formatting it: the full reads that
// a view is compared with log what the view's hook already logged.
var silent = slog.New(disabledHandler{})

type disabledHandler struct{}

func (disabledHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (disabledHandler) Handle(context.Context, slog.Record) error { return nil }
func (h disabledHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h disabledHandler) WithGroup(string) slog.Handler           { return h }

// captureLog returns a logger and a function decoding what it logged.
func captureLog(t *testing.T) (*slog.Logger, func() []map[string]any) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, nil)), func() []map[string]any {
		var records []map[string]any
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var r map[string]any
			require.NoError(t, dec.Decode(&r))
			records = append(records, r)
		}
		return records
	}
}

// recordHandler keeps every record logged at warning level or above.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordHandler) all() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.records)
}

// attr returns the string value of a record's attribute.
func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// wantLogValue is how a warning shows a value a remote unit wrote: as it
// is when it is short printable text without a backslash (a handler quotes
// it if it must), else cut to 64 bytes on a rune boundary, with its
// length, backslashes doubled and what a terminal would not print escaped
// by badchar.Escape.
func wantLogValue(v string) string {
	shown := badchar.Escape(strings.ReplaceAll(badchar.Prefix(v, 64), `\`, `\\`))
	if len(v) > 64 {
		shown += fmt.Sprintf("...(%d bytes)", len(v))
	}
	return shown
}

func h(hostname, priv string, port int) httprelation.Host {
	return httprelation.Host{Hostname: hostname, PrivateAddress: priv, Port: port}
}

// web is relation reverseproxy:1 to application web with these units.
func web(units map[string]map[string]string) map[string]toolsim.Relation {
	return map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web", Units: units}}
}

// proxy is the requirer unit haproxy/0 with these relations.
func proxy(rels map[string]toolsim.Relation) *toolsim.Model {
	return &toolsim.Model{Unit: "haproxy/0", Relations: rels}
}

// serve runs model in a harness and returns it with the accessor of a
// unit in the model's hook: hooktools' own, over the simulated tools.
// A test that changes the model takes a new unit's accessor afterwards.
func serve(t testing.TB, model *toolsim.Model) (*httprelationtest.Harness, httprelation.Accessor) {
	t.Helper()
	m := httprelationtest.New(t, model)
	return m, m.Unit().Accessor
}

// serveAccessor is the accessor of a unit of model, for a test that needs
// nothing else of the harness.
func serveAccessor(t testing.TB, model *toolsim.Model) httprelation.Accessor {
	t.Helper()
	_, acc := serve(t, model)
	return acc
}

func services(t *testing.T, acc httprelation.Accessor) []httprelation.Service {
	t.Helper()
	got, err := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
	require.NoError(t, err)
	return got
}

// relationArg is the relation a tool call names with -r.
func relationArg(c httprelationtest.Call) string {
	for _, a := range c.Args {
		if id, ok := strings.CutPrefix(a, "-r="); ok {
			return id
		}
	}
	return ""
}

// bagReads lists the bags relation-get read, as "relation-id unit", in
// the order of the calls.
func bagReads(calls []httprelationtest.Call) []string {
	var out []string
	for _, c := range calls {
		if c.Tool == "relation-get" {
			out = append(out, relationArg(c)+" "+c.Args[len(c.Args)-1])
		}
	}
	return out
}

// toolCounts counts calls by tool.
func toolCounts(calls []httprelationtest.Call) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		out[c.Tool]++
	}
	return out
}

// ingress is the network of a relation reached on addr: what network-get
// -r answers for it.
func ingress(addr string) *toolsim.Network {
	n := toolsim.NetworkAt(addr)
	return &n
}

// editRelation changes one relation of a model in place.
func editRelation(m *toolsim.Model, id string, edit func(r *toolsim.Relation)) {
	r := m.Relations[id]
	edit(&r)
	m.Relations[id] = r
}

// jujuLocal is what Juju puts in the local bag on entering scope.
func jujuLocal(addr string) map[string]string {
	return map[string]string{"private-address": addr, "ingress-address": addr, "egress-subnets": addr + "/32"}
}

// website returns a unit with two website relations reached on different
// networks, plus a relation of another endpoint that must never be touched.
func website(h toolsim.Hook) *toolsim.Model {
	return &toolsim.Model{
		Unit:           "shop/0",
		PrivateAddress: "172.16.0.9",
		Hook:           h,
		Relations: map[string]toolsim.Relation{
			"website:3": {RemoteApp: "lb", Network: ingress("10.0.0.3"), Local: jujuLocal("10.0.0.3"),
				Units: map[string]map[string]string{"lb/0": {"private-address": "10.0.0.50"}}},
			"website:12": {RemoteApp: "cdn", Network: ingress("10.1.0.12"), Local: jujuLocal("10.1.0.12"),
				Units: map[string]map[string]string{"cdn/0": {"private-address": "10.1.0.60"}}},
			"admin:5": {RemoteApp: "ops", Network: ingress("10.2.0.5"), Local: jujuLocal("10.2.0.5")},
		},
	}
}

// with returns Juju's local bag for addr plus the given keys.
func with(addr string, kv ...string) map[string]string {
	m := jujuLocal(addr)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// snapshot copies every local bag of a website model, to prove a call
// changed none.
func snapshot(m *httprelationtest.Harness) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, id := range []string{"website:3", "website:12", "admin:5"} {
		out[id] = m.Local(id)
	}
	return out
}

var errBoom = errors.New("boom")

// readAnswer is what UnitData answers for one unit.
type readAnswer struct {
	bag map[string]string
	err error
}

// answering answers UnitData for some units with a chosen bag and error,
// as hooktools would for a bag it can read only in part, one too large,
// or a failing agent, and for the others defers to its Accessor.
type answering struct {
	httprelation.Accessor
	answers map[string]readAnswer // unit → answer
}

func (a answering) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	if ans, ok := a.answers[unit]; ok {
		return ans.bag, ans.err
	}
	return a.Accessor.UnitData(ctx, id, unit)
}

// lastFirst hands the reads of bags back in the reverse of the order they
// were asked for: each read waits until every read that can be in flight
// (eight, or those left of total) has been asked for, and the one asked
// for last goes first. The library must not depend on the order reads
// end in.
type lastFirst struct {
	httprelation.Accessor
	total int // the reads the test expects

	mu      sync.Mutex
	asked   int
	ended   int
	waiting []heldRead
}

type heldRead struct {
	seq     int
	release chan struct{}
}

// readsInFlight is how many bags the library reads at once.
const readsInFlight = 8

func (l *lastFirst) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	bag, err := l.Accessor.UnitData(ctx, id, unit)
	held := heldRead{release: make(chan struct{})}
	l.mu.Lock()
	held.seq = l.asked
	l.asked++
	l.waiting = append(l.waiting, held)
	l.releaseLocked()
	l.mu.Unlock()
	select {
	case <-held.release:
		return bag, err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Minute):
		return nil, fmt.Errorf("lastFirst: read of %s held too long: expected %d reads in all", unit, l.total)
	}
}

// releaseLocked lets the reads go, last asked first, while every read
// that can be in flight is waiting.
func (l *lastFirst) releaseLocked() {
	for len(l.waiting) > 0 && len(l.waiting) >= min(readsInFlight, l.total-l.ended) {
		last := 0
		for i, w := range l.waiting {
			if w.seq > l.waiting[last].seq {
				last = i
			}
		}
		close(l.waiting[last].release)
		l.waiting = slices.Delete(l.waiting, last, last+1)
		l.ended++
	}
}

// servicesRead runs Services over the units of m, answering some of them
// with answers, their reads ending in the order asked for or, with
// reversed, last first; it returns what Services logged too.
func servicesRead(t *testing.T, m *httprelationtest.Harness, answers map[string]readAnswer, reversed bool) ([]httprelation.Service, []map[string]any, error) {
	t.Helper()
	var acc httprelation.Accessor = answering{Accessor: m.Unit().Accessor, answers: answers}
	if reversed {
		total := 0
		for _, r := range m.Snapshot().Relations {
			total += len(r.Units)
		}
		acc = &lastFirst{Accessor: acc, total: total}
	}
	logger, logged := captureLog(t)
	got, err := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
	return got, logged(), err
}

// notString is the problem a bag read in part reports for a value that is
// not a JSON string.
func notString(key, value, kind string) *httprelation.EntryError {
	return &httprelation.EntryError{Key: key, Value: value, Index: -1, Err: fmt.Errorf("%w: JSON %s", httprelation.ErrNotString, kind)}
}

// flaky fails SetLocalData and IngressAddress for chosen relations and
// otherwise defers to its Accessor.
type flaky struct {
	httprelation.Accessor
	failSet     map[string]bool
	failIngress map[string]bool
}

func (f flaky) SetLocalData(ctx context.Context, id string, data map[string]string) error {
	if f.failSet[id] {
		return errBoom
	}
	return f.Accessor.SetLocalData(ctx, id, data)
}

func (f flaky) IngressAddress(ctx context.Context, id string) (string, error) {
	if f.failIngress[id] {
		return "", errBoom
	}
	return f.Accessor.IngressAddress(ctx, id)
}

// asking records what the library asks its Accessor for, whether or not
// the accessor then runs a tool: hooktools' accessor answers from what it
// read earlier in the hook, so the tool calls alone would not show a
// library that asks twice.
type asking struct {
	httprelation.Accessor
	mu    sync.Mutex
	calls []string // "Method arguments", in order
}

func (a *asking) note(call ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, strings.Join(call, " "))
}

func (a *asking) HookContext(ctx context.Context) (httprelation.HookContext, error) {
	a.note("HookContext")
	return a.Accessor.HookContext(ctx)
}

func (a *asking) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	a.note("RelationIDs", endpoint)
	return a.Accessor.RelationIDs(ctx, endpoint)
}

func (a *asking) RelationUnits(ctx context.Context, id string) ([]string, error) {
	a.note("RelationUnits", id)
	return a.Accessor.RelationUnits(ctx, id)
}

func (a *asking) RemoteApp(ctx context.Context, id string) (string, error) {
	a.note("RemoteApp", id)
	return a.Accessor.RemoteApp(ctx, id)
}

func (a *asking) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	a.note("UnitData", id, unit)
	return a.Accessor.UnitData(ctx, id, unit)
}

func (a *asking) SetLocalData(ctx context.Context, id string, data map[string]string) error {
	a.note("SetLocalData", id)
	return a.Accessor.SetLocalData(ctx, id, data)
}

func (a *asking) IngressAddress(ctx context.Context, id string) (string, error) {
	a.note("IngressAddress", id)
	return a.Accessor.IngressAddress(ctx, id)
}

// count counts the calls to method so far.
func (a *asking) count(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.calls {
		if c == method || strings.HasPrefix(c, method+" ") {
			n++
		}
	}
	return n
}

// bags lists the bags asked for so far, as "relation-id unit".
func (a *asking) bags() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, c := range a.calls {
		if bag, ok := strings.CutPrefix(c, "UnitData "); ok {
			out = append(out, bag)
		}
	}
	return out
}

// trace returns every call so far, in order.
func (a *asking) trace() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}
