package httprelation

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
)

// memAccessor is an Accessor over relations kept in maps, with no
// bookkeeping of its own, so that a benchmark over it measures the
// library: no tool is run, no output parsed, no call recorded.
type memAccessor struct {
	hook  HookContext
	ids   map[string][]string                     // endpoint → relation ids
	units map[string][]string                     // relation → remote units
	bags  map[string]map[string]map[string]string // relation → unit → bag
	addr  string                                  // every relation's ingress address

	mu    sync.Mutex
	local map[string]map[string]string // relation → the local unit's bag
}

func newMemAccessor(hook HookContext) *memAccessor {
	return &memAccessor{hook: hook, ids: map[string][]string{}, units: map[string][]string{},
		bags: map[string]map[string]map[string]string{}, local: map[string]map[string]string{}}
}

// addUnit puts unit in relation id with bag.
func (a *memAccessor) addUnit(id, unit string, bag map[string]string) {
	endpoint, _, _ := strings.Cut(id, ":")
	if !slices.Contains(a.ids[endpoint], id) {
		a.ids[endpoint] = append(a.ids[endpoint], id)
		slices.Sort(a.ids[endpoint])
		a.bags[id] = map[string]map[string]string{}
	}
	a.units[id] = append(a.units[id], unit)
	a.bags[id][unit] = bag
}

func (a *memAccessor) HookContext(context.Context) (HookContext, error) { return a.hook, nil }

func (a *memAccessor) RelationIDs(_ context.Context, endpoint string) ([]string, error) {
	return a.ids[endpoint], nil
}

func (a *memAccessor) RelationUnits(_ context.Context, id string) ([]string, error) {
	return a.units[id], nil
}

func (a *memAccessor) RemoteApp(_ context.Context, id string) (string, error) {
	for _, u := range a.units[id] {
		app, _, _ := strings.Cut(u, "/")
		return app, nil
	}
	return "", fmt.Errorf("relation %s: %w", id, ErrRelationNotFound)
}

func (a *memAccessor) UnitData(_ context.Context, id, unit string) (map[string]string, error) {
	if unit == a.hook.Unit {
		a.mu.Lock()
		defer a.mu.Unlock()
		return maps.Clone(a.local[id]), nil
	}
	bag, ok := a.bags[id][unit]
	if !ok {
		return nil, fmt.Errorf("relation %s: unit %s: %w", id, unit, ErrUnitNotFound)
	}
	return bag, nil
}

func (a *memAccessor) SetLocalData(_ context.Context, id string, data map[string]string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.local[id] == nil {
		a.local[id] = map[string]string{}
	}
	applyChanges(a.local[id], data)
	return nil
}

func (a *memAccessor) IngressAddress(context.Context, string) (string, error) { return a.addr, nil }

var benchLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// BenchmarkServices measures Services over n remote units in memory, so
// what it reports is the library's own cost: the budget at n=1000 is 2 ms
// and 3,000 allocations per call.
func BenchmarkServices(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			// Four applications over two relations each, as a load
			// balancer in front of several sites would see it; every
			// tenth unit also lists a VIP.
			acc := newMemAccessor(HookContext{Unit: "haproxy/0", HookName: "reverseproxy-relation-changed",
				RelationID: "reverseproxy:1", RemoteUnit: "site-a/0", RemoteApp: "site-a"})
			for u := range n {
				rel := u % 8
				app := fmt.Sprintf("site-%c", 'a'+rel%4) // Juju refuses "site-0"
				bag := map[string]string{
					"private-address": fmt.Sprintf("10.%d.%d.%d", u>>16&255, u>>8&255, u&255),
					"ingress-address": fmt.Sprintf("10.%d.%d.%d", u>>16&255, u>>8&255, u&255),
					"egress-subnets":  fmt.Sprintf("10.%d.%d.%d/32", u>>16&255, u>>8&255, u&255),
					"port":            "8080",
				}
				if u%10 == 0 {
					bag["extended_data"] = fmt.Sprintf(`[{"hostname":"10.200.%d.%d","private-address":"10.200.%d.%d","port":80}]`, u>>8&255, u&255, u>>8&255, u&255)
				}
				acc.addUnit(fmt.Sprintf("reverseproxy:%d", rel+1), fmt.Sprintf("%s/%d", app, u), bag)
			}
			for _, units := range acc.units {
				slices.Sort(units)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				// A Requires per hook, as a charm builds it: a reused one
				// answers from its first read.
				services, err := NewRequires(acc, "reverseproxy", WithLogger(benchLog)).Services(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if got := countHosts(services); got != n+(n+9)/10 {
					b.Fatalf("got %d hosts, want %d", got, n+(n+9)/10)
				}
			}
		})
	}
}

func countHosts(services []Service) int {
	n := 0
	for _, s := range services {
		n += len(s.Hosts)
	}
	return n
}

// BenchmarkConfigure measures Configure in memory with n remote units,
// each in a relation of its own (n proxy applications in front of one
// website): Configure's work is per relation, so this is its worst case
// for n units.
func BenchmarkConfigure(b *testing.B) {
	vips := []ConfigureOption{
		WithHostnames("a.example.com", "b.example.com", "c.example.com"),
		WithAddresses("192.0.2.1", "192.0.2.2"),
	}
	for _, n := range []int{1, 10, 100, 1000} {
		for _, bc := range []struct {
			name string
			opts []ConfigureOption
		}{{"ingress", nil}, {"vips", vips}} {
			b.Run(fmt.Sprintf("N=%d/%s", n, bc.name), func(b *testing.B) {
				acc := newMemAccessor(HookContext{Unit: "shop/0", HookName: "config-changed"})
				acc.addr = "10.0.0.9"
				for i := range n {
					app := fmt.Sprintf("proxy-%d", i)
					acc.addUnit(fmt.Sprintf("website:%d", i+1), app+"/0", map[string]string{"private-address": fmt.Sprintf("10.1.%d.%d", i>>8&255, i&255)})
				}
				p := NewProvides(acc, "website")
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := p.Configure(ctx, 8080, bc.opts...); err != nil {
						b.Fatal(err)
					}
				}
				if got := acc.local[fmt.Sprintf("website:%d", n)]["port"]; got != "8080" {
					b.Fatalf("last relation has port %q, want 8080", got)
				}
			})
		}
	}
}

// BenchmarkPublish measures Publish in memory of one value of size bytes
// to n relations: each relation's bag is read and checked against the
// requirer's limits before anything is written.
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{1, 50} {
		for _, size := range []int{4 << 10, 256 << 10} {
			b.Run(fmt.Sprintf("N=%d/size=%dKiB", n, size>>10), func(b *testing.B) {
				acc := newMemAccessor(HookContext{Unit: "shop/0", HookName: "config-changed"})
				for i := range n {
					acc.addUnit(fmt.Sprintf("website:%d", i+1), fmt.Sprintf("proxy-%d/0", i), nil)
				}
				p := NewProvides(acc, "website")
				data := map[string]string{"services": strings.Repeat("x", size)}
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := p.Publish(ctx, data); err != nil {
						b.Fatal(err)
					}
				}
				if got := len(acc.local[fmt.Sprintf("website:%d", n)]["services"]); got != size {
					b.Fatalf("last relation has %d bytes of services, want %d", got, size)
				}
			})
		}
	}
}

// BenchmarkServicesExtendedData measures the extended_data decoder alone,
// on what a provider with virtual IPs publishes: n entries in the Python
// provider's spelling (port as a number, both addresses set).
func BenchmarkServicesExtendedData(b *testing.B) {
	for _, n := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			entries := make([]string, n)
			for i := range entries {
				entries[i] = fmt.Sprintf(`{"hostname": "10.200.%d.%d", "private-address": "10.200.%d.%d", "port": 80}`, i>>8, i&255, i>>8, i&255)
			}
			bag := map[string]string{"extended_data": "[" + strings.Join(entries, ", ") + "]"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				hosts, problems := parseUnitData(bag)
				if len(hosts) != n || len(problems) != 0 {
					b.Fatalf("got %d hosts and %v", len(hosts), problems)
				}
			}
		})
	}
}
