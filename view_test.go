package httprelation_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// warmWorld is two relations, three backends and one bad unit, with the
// view built by a first hook.
func warmWorld(t *testing.T) (*viewWorld, map[string]string) {
	w := newViewWorld()
	w.addRelation("reverseproxy:1", "web")
	w.addRelation("reverseproxy:2", "api")
	w.setUnit("reverseproxy:1", "web/0", backendBag("10.0.0.1", "80"))
	w.setUnit("reverseproxy:1", "web/1", backendBag("10.0.0.2", "80"))
	w.setUnit("reverseproxy:1", "web/2", backendBag("10.0.0.3", "http")) // bad port
	w.setUnit("reverseproxy:2", "api/0", backendBag("2001:db8::1", "8443"))
	run := w.run(t, nil, viewHook{hook: plainHook("config-changed"), now: t0})
	require.Equal(t, 4, run.calls["UnitData"], "an empty view reads every unit")
	require.Len(t, run.warnings, 1, "the bad port, once")
	assert.Equal(t, w.fullRead(t, plainHook("config-changed")), run.services)
	return w, run.state
}

func TestViewRelationHookReadsItsUnitOnly(t *testing.T) {
	w, state := warmWorld(t)
	w.setUnit("reverseproxy:1", "web/1", backendBag("10.0.0.22", "8080"))
	h := changed("reverseproxy:1", "web/1")
	run := w.run(t, state, viewHook{hook: h, now: t0})
	assert.Equal(t, []string{"reverseproxy:1 web/1"}, run.reads)
	assert.Empty(t, run.warnings, "web/2's bad port was logged when it was read, not again")
	assert.Equal(t, w.fullRead(t, h), run.services)
	// state-get, relation-ids, R relation-list, 1 relation-get, state-set
	assert.Equal(t, map[string]int{"StateLoad": 1, "RelationIDs": 1, "RelationUnits": 2, "UnitData": 1, "StateSave": 1}, withoutHookContext(run.calls))
}

func TestViewOtherHooksReadNothing(t *testing.T) {
	w, state := warmWorld(t)
	for _, name := range []string{"config-changed", "leader-elected", "start", "update-status", ""} {
		run := w.run(t, state, viewHook{hook: plainHook(name), now: t0.Add(time.Minute)})
		assert.Empty(t, run.reads, name)
		assert.Zero(t, run.calls["StateSave"], "%s: nothing changed, nothing written", name)
		assert.Equal(t, w.fullRead(t, plainHook(name)), run.services, name)
	}
}

func TestViewBadUnitWarnsWhenRead(t *testing.T) {
	w, state := warmWorld(t)
	run := w.run(t, state, viewHook{hook: changed("reverseproxy:1", "web/2"), now: t0})
	require.Len(t, run.warnings, 1, "its own hook reads it again")
	assert.Equal(t, "web/2", attr(run.warnings[0], "unit"))
	assert.Equal(t, "port", attr(run.warnings[0], "key"))
}

func TestViewDrops(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *viewWorld)
		hook   toolsim.Hook
		after  func(w *viewWorld)
	}{{
		name: "departed unit",
		hook: departed("reverseproxy:1", "web/0"),
		after: func(w *viewWorld) {
			w.removeUnit("reverseproxy:1", "web/0")
		},
	}, {
		name: "broken relation",
		hook: broken("reverseproxy:2"),
		after: func(w *viewWorld) {
			w.removeRelation("reverseproxy:2")
		},
	}, {
		name:   "unit gone without its departed hook",
		change: func(w *viewWorld) { w.removeUnit("reverseproxy:1", "web/1") },
		hook:   plainHook("config-changed"),
	}, {
		name:   "relation gone without its broken hook",
		change: func(w *viewWorld) { w.removeRelation("reverseproxy:2") },
		hook:   plainHook("update-status"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, state := warmWorld(t)
			if tt.change != nil {
				tt.change(w)
			}
			run := w.run(t, state, viewHook{hook: tt.hook, now: t0})
			assert.Empty(t, run.reads)
			assert.Equal(t, w.fullRead(t, tt.hook), run.services)
			if tt.after != nil {
				tt.after(w)
			}
			next := w.run(t, run.state, viewHook{hook: plainHook("config-changed"), now: t0})
			assert.Empty(t, next.reads)
			assert.Equal(t, w.fullRead(t, plainHook("config-changed")), next.services)
		})
	}
}

func TestViewReadsUnitsListedButNotKept(t *testing.T) {
	w, state := warmWorld(t)
	// A unit whose joined hook the charm did not open the view in.
	w.setUnit("reverseproxy:2", "api/1", backendBag("10.0.2.2", "80"))
	run := w.run(t, state, viewHook{hook: plainHook("config-changed"), now: t0})
	assert.Equal(t, []string{"reverseproxy:2 api/1"}, run.reads)
	assert.Equal(t, w.fullRead(t, plainHook("config-changed")), run.services)

	// A lost store: every unit is read again.
	run = w.run(t, nil, viewHook{hook: changed("reverseproxy:1", "web/0"), now: t0})
	assert.Len(t, run.reads, 5)
	assert.Equal(t, w.fullRead(t, changed("reverseproxy:1", "web/0")), run.services)
}

func TestViewFailedHookCommitsNothing(t *testing.T) {
	w, state := warmWorld(t)
	w.setUnit("reverseproxy:1", "web/0", backendBag("10.0.0.100", "80"))
	h := changed("reverseproxy:1", "web/0")
	failed := w.run(t, state, viewHook{hook: h, now: t0, fail: true})
	assert.Equal(t, w.fullRead(t, h), failed.services, "the failing hook saw the change")
	assert.Equal(t, state, failed.state, "and committed nothing")
	retry := w.run(t, failed.state, viewHook{hook: h, now: t0})
	assert.Equal(t, []string{"reverseproxy:1 web/0"}, retry.reads, "Juju's retry reads the unit again")
	assert.Equal(t, w.fullRead(t, h), retry.services)
}

func TestViewPeriodicReread(t *testing.T) {
	w, state := warmWorld(t)
	// A change the charm missed (it did not open the view in the
	// changed hook): the view keeps the old hosts until a full re-read.
	w.setUnit("reverseproxy:1", "web/0", backendBag("10.0.0.100", "80"))
	status := plainHook("update-status")
	stale := w.run(t, state, viewHook{hook: status, now: t0.Add(4 * time.Minute)})
	assert.Empty(t, stale.reads, "within the interval")
	assert.NotEqual(t, w.fullRead(t, status), stale.services)

	other := w.run(t, stale.state, viewHook{hook: plainHook("config-changed"), now: t0.Add(10 * time.Minute)})
	assert.Empty(t, other.reads, "only update-status re-reads")

	due := w.run(t, other.state, viewHook{hook: status, now: t0.Add(5 * time.Minute)})
	assert.Len(t, due.reads, 4, "update-status once 5 minutes have passed")
	assert.Equal(t, w.fullRead(t, status), due.services)
	assert.Len(t, due.warnings, 1, "a full read logs what it reads")

	next := w.run(t, due.state, viewHook{hook: status, now: t0.Add(9 * time.Minute)})
	assert.Empty(t, next.reads, "the interval counts from the last full read")

	back := w.run(t, due.state, viewHook{hook: status, now: t0.Add(-time.Hour)})
	assert.Len(t, back.reads, 4, "a clock that went back re-reads")

	custom := w.run(t, due.state, viewHook{hook: status, now: t0.Add(6 * time.Minute),
		opts: []httprelation.ViewOption{httprelation.WithRereadInterval(0)}})
	assert.Len(t, custom.reads, 4, "interval 0: every update-status")

	upgrade := w.run(t, due.state, viewHook{hook: plainHook("upgrade-charm"), now: t0.Add(6 * time.Minute)})
	assert.Len(t, upgrade.reads, 4, "upgrade-charm always re-reads")
}

func TestViewCorruptStateIsReplaced(t *testing.T) {
	w, state := warmWorld(t)
	for name, edit := range map[string]func(map[string]string){
		"garbage":      func(s map[string]string) { s["view.reverseproxy.0"] = "garbage" },
		"other format": func(s map[string]string) { s["view.reverseproxy.0"] = "httprelation-view 2 0 kept\n" },
		"missing part": func(s map[string]string) { s["view.reverseproxy.2"] = "\n" },
		"bad host":     func(s map[string]string) { s["view.reverseproxy.0"] += "1 web/9 bad_host,80\n" },
		"bad port":     func(s map[string]string) { s["view.reverseproxy.0"] += "1 web/9 10.0.0.9,0\n" },
		"no relation":  func(s map[string]string) { s["view.reverseproxy.0"] += " web/9 10.0.0.9,80\n" },
		"unit twice":   func(s map[string]string) { s["view.reverseproxy.0"] += "1 web/0 10.0.0.9,80\n" },
		"units when over": func(s map[string]string) {
			s["view.reverseproxy.0"] = "httprelation-view 1 0 over\n1 web/0 10.0.0.1,80\n"
		},
		"bad time": func(s map[string]string) { s["view.reverseproxy.0"] = "httprelation-view 1 5m kept\n" },
		"too many parts": func(s map[string]string) {
			for i := range 30 {
				s[fmt.Sprintf("view.reverseproxy.%d", i)] = "\n"
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := make(map[string]string, len(state))
			for k, v := range state {
				s[k] = v
			}
			edit(s)
			h := changed("reverseproxy:1", "web/1")
			run := w.run(t, s, viewHook{hook: h, now: t0})
			assert.Len(t, run.reads, 4, "every unit read")
			assert.Equal(t, w.fullRead(t, h), run.services)
			var views int
			for _, r := range run.warnings {
				if strings.Contains(r.Message, "stored view unusable") {
					views++
				}
			}
			assert.Equal(t, 1, views, "one warning for the view")
			assert.Equal(t, state["view.reverseproxy.0"], run.state["view.reverseproxy.0"], "replaced by a good view")
			next := w.run(t, run.state, viewHook{hook: h, now: t0})
			assert.Len(t, next.reads, 1)
			assert.Empty(t, next.warnings)
		})
	}
}

// TestViewUnlistedStoredUnitIsDropped: a stored unit that the listing
// does not name, whatever its name, gives no host and is dropped from the
// view without a read.
func TestViewUnlistedStoredUnitIsDropped(t *testing.T) {
	w, state := warmWorld(t)
	for _, unit := range []string{"web/9", "Web/9", "web/09", "x"} {
		s := maps.Clone(state)
		s["view.reverseproxy.0"] += "1 " + unit + " 10.0.0.99,80\n"
		h := changed("reverseproxy:1", "web/1")
		run := w.run(t, s, viewHook{hook: h, now: t0})
		assert.Equal(t, []string{"reverseproxy:1 web/1"}, run.reads, unit)
		assert.Empty(t, run.warnings, unit)
		assert.Equal(t, w.fullRead(t, h), run.services, unit)
		assert.Equal(t, state["view.reverseproxy.0"], run.state["view.reverseproxy.0"], unit)
	}
}

// withoutHookContext drops HookContext calls, which cost no tool call.
func withoutHookContext(calls map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range calls {
		if k != "HookContext" {
			out[k] = v
		}
	}
	return out
}
