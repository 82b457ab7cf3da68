package httprelation_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
)

// TestServicesUnreadableUnits: a bag read in part is used for what it
// holds and each value left out is one warning naming unit and key; a bag
// too large, or a unit that left, is skipped with one warning naming
// relation and unit; any other failure fails Services. Warnings come in
// unit order whatever the order reads end in.
func TestServicesUnreadableUnits(t *testing.T) {
	good := map[string]string{"private-address": "10.0.0.1", "port": "80"}
	tests := []struct {
		name     string
		answer   readAnswer
		hosts    []httprelation.Host // of web/1
		warnings []map[string]any    // about web/1
		fails    string
	}{{
		name:     "port as a JSON number",
		answer:   readAnswer{map[string]string{"private-address": "10.0.0.2"}, &httprelation.PartialBagError{Problems: []*httprelation.EntryError{notString("port", "8080", "number")}}},
		warnings: []map[string]any{{"msg": "httprelation: ignoring invalid remote data", "key": "port", "value": "8080", "error": "value is not a string: JSON number"}},
	}, {
		name:   "two values left out, the host kept",
		answer: readAnswer{map[string]string{"private-address": "10.0.0.2", "port": "81"}, &httprelation.PartialBagError{Problems: []*httprelation.EntryError{notString("b", "true", "boolean"), notString("a", `{"x":1}`, "object")}}},
		hosts:  []httprelation.Host{h("10.0.0.2", "10.0.0.2", 81)},
		warnings: []map[string]any{
			{"msg": "httprelation: ignoring invalid remote data", "key": "b", "value": "true"},
			{"msg": "httprelation: ignoring invalid remote data", "key": "a", "value": `{"x":1}`},
		},
	}, {
		name:   "value left out next to a bad port",
		answer: readAnswer{map[string]string{"private-address": "10.0.0.2", "port": "http"}, &httprelation.PartialBagError{Problems: []*httprelation.EntryError{notString("hostname", "null", "null")}}},
		warnings: []map[string]any{
			{"msg": "httprelation: ignoring invalid remote data", "key": "hostname", "value": "null"},
			{"msg": "httprelation: ignoring invalid remote data", "key": "port", "value": "http"},
		},
	}, {
		name:     "bag too large",
		answer:   readAnswer{nil, fmt.Errorf("relation-get: %w", httprelation.ErrDataTooLarge)},
		warnings: []map[string]any{{"msg": "httprelation: skipping remote unit whose data is too large", "relation": "reverseproxy:1"}},
	}, {
		name:     "unit left",
		answer:   readAnswer{nil, fmt.Errorf("relation-get: %w", httprelation.ErrUnitNotFound)},
		warnings: []map[string]any{{"msg": "httprelation: skipping remote unit that left the relation", "relation": "reverseproxy:1"}},
	}, {
		name:   "connection shut down",
		answer: readAnswer{nil, errors.New(`cannot read settings for unit "web/1" in relation "reverseproxy:1": connection is shut down`)},
		fails:  `relation "reverseproxy:1": unit "web/1": cannot read settings`,
	}, {
		name:   "deadline",
		answer: readAnswer{nil, fmt.Errorf("relation-get: %w", context.DeadlineExceeded)},
		fails:  "deadline exceeded",
	}, {
		name:   "a bag with a failure is not read in part",
		answer: readAnswer{good, errors.New("boom")},
		fails:  "boom",
	}}
	for _, tt := range tests {
		for _, reversed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reversed=%v", tt.name, reversed), func(t *testing.T) {
				m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
					"web/0": good, "web/1": good, "web/2": {"private-address": "10.0.0.3", "port": "http"},
				})))
				got, records, err := servicesRead(t, m, map[string]readAnswer{"web/1": tt.answer}, reversed)
				if tt.fails != "" {
					require.ErrorContains(t, err, tt.fails)
					assert.Nil(t, got)
					return
				}
				require.NoError(t, err)
				hosts := append([]httprelation.Host{h("10.0.0.1", "10.0.0.1", 80)}, tt.hosts...)
				assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: hosts}}, got)
				// web/1's warnings, then web/2's bad port: unit order.
				require.Len(t, records, len(tt.warnings)+1, "%v", records)
				for i, want := range tt.warnings {
					assert.Equal(t, "web/1", records[i]["unit"])
					for k, v := range want {
						assert.Equal(t, v, records[i][k], k)
					}
				}
				assert.Equal(t, "web/2", records[len(tt.warnings)]["unit"])
			})
		}
	}
}

// TestServicesUnreadableAddressDropsHost: a hostname,
// private-address or port that the accessor could not read as a string
// drops the unit's top-level host, as a bad string in that key does:
// serving the unit at its private address when it named another host
// would point the proxy at a guess. Other keys left out, extended_data
// included, cost the top-level host nothing; each key left out is one
// warning naming it.
func TestServicesUnreadableAddressDropsHost(t *testing.T) {
	bag := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	partial := func(problems ...*httprelation.EntryError) error {
		return &httprelation.PartialBagError{Problems: problems}
	}
	for _, tc := range []struct {
		name   string
		answer readAnswer
		hosts  []httprelation.Host // of web/1
		keys   []string            // the keys warned about, in order
	}{{
		name:   "hostname a JSON boolean",
		answer: readAnswer{bag("private-address", "10.0.0.2", "port", "8081"), partial(notString("hostname", "true", "boolean"))},
		keys:   []string{"hostname"},
	}, {
		name:   "hostname a JSON object",
		answer: readAnswer{bag("private-address", "10.0.0.2", "port", "8081"), partial(notString("hostname", `{"a":"web.example"}`, "object"))},
		keys:   []string{"hostname"},
	}, {
		name:   "hostname null",
		answer: readAnswer{bag("private-address", "10.0.0.2", "port", "8081"), partial(notString("hostname", "null", "null"))},
		keys:   []string{"hostname"},
	}, {
		name:   "private-address a JSON array next to a good hostname",
		answer: readAnswer{bag("hostname", "web.example", "port", "8081"), partial(notString("private-address", `["10.0.0.9"]`, "array"))},
		keys:   []string{"private-address"},
	}, {
		name:   "private-address a JSON number, no hostname",
		answer: readAnswer{bag("port", "8081"), partial(notString("private-address", "167772162", "number"))},
		keys:   []string{"private-address"},
	}, {
		name:   "port a JSON number",
		answer: readAnswer{bag("private-address", "10.0.0.2"), partial(notString("port", "8081", "number"))},
		keys:   []string{"port"},
	}, {
		name:   "extended_data a JSON array: the top-level host stays",
		answer: readAnswer{bag("private-address", "10.0.0.2", "port", "8081"), partial(notString("extended_data", `[{"hostname":"10.0.0.9","port":80}]`, "array"))},
		hosts:  []httprelation.Host{h("10.0.0.2", "10.0.0.2", 8081)},
		keys:   []string{"extended_data"},
	}, {
		name: "hostname unreadable, extended_data still read",
		answer: readAnswer{bag("private-address", "10.0.0.2", "port", "8081", "extended_data", `[{"hostname":"10.0.0.9","port":80}]`),
			partial(notString("hostname", "1", "number"))},
		hosts: []httprelation.Host{h("10.0.0.9", "10.0.0.9", 80)},
		keys:  []string{"hostname"},
	}, {
		name:   "an unrelated key: the host stays",
		answer: readAnswer{bag("private-address", "10.0.0.2", "port", "8081"), partial(notString("services", "[]", "array"))},
		hosts:  []httprelation.Host{h("10.0.0.2", "10.0.0.2", 8081)},
		keys:   []string{"services"},
	}} {
		for _, reversed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reversed=%v", tc.name, reversed), func(t *testing.T) {
				m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
					"web/0": {"private-address": "10.0.0.1", "port": "80"},
					"web/1": {"private-address": "10.0.0.2", "port": "8081"},
				})))
				got, records, err := servicesRead(t, m, map[string]readAnswer{"web/1": tc.answer}, reversed)
				require.NoError(t, err)
				hosts := append([]httprelation.Host{h("10.0.0.1", "10.0.0.1", 80)}, tc.hosts...)
				assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: hosts}}, got)
				var keys []string
				for _, r := range records {
					assert.Equal(t, "web/1", r["unit"])
					keys = append(keys, r["key"].(string))
				}
				assert.Equal(t, tc.keys, keys)
			})
		}
	}
}

// busyAgent is an Accessor over units of the reverseproxy endpoint, spread
// over three relations, whose UnitData acts as a busy Juju agent: it
// answers after a pause, or hangs until its context ends for the units
// hang names, or fails for the unit fail names. It counts the reads, how
// many ran at most at once, and the reads that ended with their context.
type busyAgent struct {
	rels  map[string][]string // relation id → units
	pause time.Duration
	hang  func(unit string) bool
	fail  string
	// perCall, when set, is the deadline of each read, as hooktools'
	// WithTimeout gives every tool call.
	perCall time.Duration

	mu                 sync.Mutex
	now, most          int
	read               map[string]int // "relation unit" → reads
	started, cancelled atomic.Int32
}

// newBusyAgent lists n units, unit i being web-X/i, in relations
// reverseproxy:1 to :3 by thirds (X is a, b or c), so that the library
// lists them in the order of i.
func newBusyAgent(n int) *busyAgent {
	a := &busyAgent{rels: map[string][]string{}, read: map[string]int{}, hang: func(string) bool { return false }}
	for i := range n {
		a.rels[busyRelation(n, i)] = append(a.rels[busyRelation(n, i)], busyUnit(n, i))
	}
	return a
}

func busyRelation(n, i int) string { return fmt.Sprintf("reverseproxy:%d", 3*i/n+1) }

func busyUnit(n, i int) string { return fmt.Sprintf("web-%c/%d", 'a'+3*i/n, i) }

func (a *busyAgent) HookContext(context.Context) (httprelation.HookContext, error) {
	return httprelation.HookContext{Unit: "haproxy/0"}, nil
}

// The listings ignore ctx, so that what a test sees of the context is the
// reads'.
func (a *busyAgent) RelationIDs(context.Context, string) ([]string, error) {
	return slices.Sorted(maps.Keys(a.rels)), nil
}

func (a *busyAgent) RelationUnits(_ context.Context, id string) ([]string, error) {
	return slices.Clone(a.rels[id]), nil
}

func (a *busyAgent) RemoteApp(context.Context, string) (string, error) {
	return "", errors.New("busyAgent: RemoteApp is not asked")
}

func (a *busyAgent) SetLocalData(context.Context, string, map[string]string) error {
	return errors.New("busyAgent: read only")
}

func (a *busyAgent) IngressAddress(context.Context, string) (string, error) {
	return "", errors.New("busyAgent: read only")
}

func (a *busyAgent) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	a.started.Add(1)
	a.mu.Lock()
	a.now++
	a.most = max(a.most, a.now)
	a.read[id+" "+unit]++
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.now--
		a.mu.Unlock()
	}()
	if a.perCall > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.perCall)
		defer cancel()
	}
	switch {
	case unit == a.fail:
		time.Sleep(20 * time.Millisecond)
		return nil, fmt.Errorf("relation-get %s: %w", unit, errAgentDown)
	case a.hang(unit):
		<-ctx.Done()
		a.cancelled.Add(1)
		return nil, ctx.Err()
	}
	select {
	case <-time.After(a.pause):
	case <-ctx.Done():
		a.cancelled.Add(1)
		return nil, ctx.Err()
	}
	if strings.HasSuffix(unit, "/404") {
		return nil, fmt.Errorf("relation-get %s: %w", unit, httprelation.ErrUnitNotFound)
	}
	n, _ := strconv.Atoi(unit[strings.IndexByte(unit, '/')+1:])
	return map[string]string{"private-address": fmt.Sprintf("10.0.%d.%d", n>>8, n&255), "port": "80"}, nil
}

var errAgentDown = errors.New("connection is shut down")

// hosts counts the hosts of services.
func hostCount(services []httprelation.Service) int {
	n := 0
	for _, s := range services {
		n += len(s.Hosts)
	}
	return n
}

// TestServicesReadsAtMostEightBagsAtOnce: Services reads bags eight at a
// time, each wait being mostly the agent's, and reads every listed unit
// once.
func TestServicesReadsAtMostEightBagsAtOnce(t *testing.T) {
	for _, n := range []int{30, 12, 9, 8, 5, 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a := newBusyAgent(n)
			a.pause = 30 * time.Millisecond
			got, err := httprelation.NewRequires(a, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
			require.NoError(t, err)
			assert.Equal(t, n, hostCount(got))
			assert.Equal(t, min(n, 8), a.most)
			assert.EqualValues(t, n, a.started.Load())
			for ref, reads := range a.read {
				assert.Equal(t, 1, reads, ref)
			}
		})
	}
}

// TestServicesJudgesEveryRead: every read, however it ended, is judged:
// a unit that left is skipped with its warning, and the reads around it
// count. The bags are handed over one at a time, so Services keeps them
// in plain maps: under -race, a second one handed over while the first is
// being used is a reported race.
func TestServicesJudgesEveryRead(t *testing.T) {
	a := newBusyAgent(40)
	a.pause = time.Millisecond
	a.rels["reverseproxy:2"] = append(a.rels["reverseproxy:2"], "web-b/404")
	logger, logged := captureLog(t)
	got, err := httprelation.NewRequires(a, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 40, hostCount(got))
	assert.Len(t, a.read, 41)
	records := logged()
	require.Len(t, records, 1)
	assert.Equal(t, "web-b/404", records[0]["unit"])
	assert.Equal(t, "httprelation: skipping remote unit that left the relation", records[0]["msg"])
}

// TestServicesReadsNothingWithoutUnits: relations without units cost no
// read.
func TestServicesReadsNothingWithoutUnits(t *testing.T) {
	a := newBusyAgent(0)
	a.rels["reverseproxy:1"] = nil
	got, err := httprelation.NewRequires(a, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Zero(t, a.started.Load())
}

// TestServicesCancelledReadsNothing: a context ended before the reads
// starts none of them.
func TestServicesCancelledReadsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := newBusyAgent(4)
	_, err := httprelation.NewRequires(a, endpoint, httprelation.WithLogger(quiet)).Services(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, a.started.Load())
}

// TestServicesFirstReadFailureStopsTheOthers: the first read that fails
// (a failure other than a unit that left or a bag too large) cancels the
// reads in flight and starts no more: Services returns it long before any
// deadline of theirs, whatever the number of units and where among the
// reads in flight the failing one is.
func TestServicesFirstReadFailureStopsTheOthers(t *testing.T) {
	for _, tc := range []struct{ units, failing int }{{1, 0}, {3, 2}, {8, 7}, {24, 5}, {1000, 7}, {1000, 0}} {
		t.Run(fmt.Sprintf("%d units, #%d fails", tc.units, tc.failing), func(t *testing.T) {
			a := newBusyAgent(tc.units)
			a.fail = busyUnit(tc.units, tc.failing)
			a.hang = func(unit string) bool { return true }
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // the reads' deadline
			defer cancel()
			_, err := httprelation.NewRequires(a, endpoint, httprelation.WithLogger(quiet)).Services(ctx)
			require.ErrorIs(t, err, errAgentDown)
			assert.ErrorContains(t, err, a.fail)
			assert.Less(t, time.Since(start), 10*time.Second, "no read waited for its deadline")
			// Every read that started and did not fail was cancelled, and
			// none started after the failure: eight at most were in flight.
			assert.Equal(t, a.started.Load()-1, a.cancelled.Load())
			assert.LessOrEqual(t, int(a.started.Load()), 8)
		})
	}
}

// TestServicesDeadlineEndsHangingReads: the caller's deadline, reached in
// the middle of the reads, stops them; the error is the deadline's.
func TestServicesDeadlineEndsHangingReads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	a := newBusyAgent(100)
	a.hang = func(string) bool { return true }
	_, err := httprelation.NewRequires(a, endpoint, httprelation.WithLogger(quiet)).Services(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, a.started.Load(), a.cancelled.Load())
	assert.LessOrEqual(t, int(a.started.Load()), 8)
}

// TestServicesFirstCallDeadlineEndsAllReads: with every read hanging, the
// first read to reach its own deadline ends them all, for 1 unit or 1000.
func TestServicesFirstCallDeadlineEndsAllReads(t *testing.T) {
	const deadline = 200 * time.Millisecond
	for _, units := range []int{1, 8, 9, 1000} {
		t.Run(fmt.Sprint(units), func(t *testing.T) {
			a := newBusyAgent(units)
			a.hang = func(string) bool { return true }
			a.perCall = deadline
			start := time.Now()
			_, err := httprelation.NewRequires(a, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), deadline+5*time.Second)
			assert.Equal(t, a.started.Load(), a.cancelled.Load())
			assert.LessOrEqual(t, int(a.started.Load()), 8)
		})
	}
}

// TestServicesSkipsBagsTooLargeToRead: a bag over MaxBagBytes or
// MaxBagKeys, as relation-get prints it, is not read: its unit is skipped
// whole with one warning naming relation and unit, and the others stay.
func TestServicesSkipsBagsTooLargeToRead(t *testing.T) {
	keys := map[string]string{"private-address": "10.0.0.2", "port": "80"}
	for i := range httprelation.MaxBagKeys {
		keys[fmt.Sprintf("k%d", i)] = "v"
	}
	for name, bag := range map[string]map[string]string{
		"bytes": {"private-address": "10.0.0.2", "port": "80", "services": strings.Repeat("x", httprelation.MaxBagBytes)},
		"keys":  keys,
	} {
		t.Run(name, func(t *testing.T) {
			m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
				"web/0": {"private-address": "10.0.0.1", "port": "80"},
				"web/1": bag,
			})))
			got, records, err := servicesRead(t, m, nil, false)
			require.NoError(t, err)
			assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 80)}}}, got)
			require.Len(t, records, 1)
			assert.Equal(t, "httprelation: skipping remote unit whose data is too large", records[0]["msg"])
			assert.Equal(t, "reverseproxy:1", records[0]["relation"])
			assert.Equal(t, "web/1", records[0]["unit"])
			assert.Contains(t, records[0]["error"], httprelation.ErrDataTooLarge.Error())
			assert.Equal(t, 2, m.CallCount("relation-get"))
		})
	}
}
