package httprelation_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

// propertySequences is how many random hook sequences
// TestViewEqualsFullRead drives; -short runs a tenth.
const propertySequences = 10_000

// TestViewEqualsFullRead drives random hook sequences, as Juju would fire
// them, through a charm that keeps the incremental view: units join
// (joined, changed), change their data, good or bad (changed), depart,
// come back under the same name, join a second relation of the same
// application, relations come and go (departed per unit, naming the
// remote or the local unit as departing, then broken), hooks fail and
// are retried (their Save never happens), the store is lost or holds a
// view of another format, the clock moves, and update-status,
// upgrade-charm, config-changed, leader-elected, juju exec, another
// endpoint's hooks (naming units with our units' names) and
// relation-changed for application data run in between. After every
// hook, failed ones included, the view's answer must equal a full read
// of the same state; the hook may have read only its own unit and units
// the view did not hold, and must have read every unit when a full
// re-read is due (counted by the test itself from the hooks it ran); a
// warning names a unit read in that hook.
//
// Some changes are missed (the charm skipped the changed hook): until a
// hook reads that unit again, the answer may differ from a full read;
// the periodic re-read is what brings it back.
//
// Each sequence is seeded by its number, so a failure names the seed
// that reproduces it: go test -run 'TestViewEqualsFullRead/seeds=S'.
func TestViewEqualsFullRead(t *testing.T) {
	n := propertySequences
	if testing.Short() {
		n /= 10
	}
	const chunk = 500
	for first := 0; first < n; first += chunk {
		t.Run(fmt.Sprintf("seeds=%d-%d", first, first+chunk-1), func(t *testing.T) {
			t.Parallel()
			seen := map[string]int{}
			for seed := first; seed < first+chunk && seed < n; seed++ {
				for k, v := range newHookSequence(uint64(seed)).run(t) {
					seen[k] += v
				}
			}
			// Every kind of step happened, often: the generator cannot
			// quietly stop covering one.
			for _, kind := range []string{"hooks", "relation-joined", "relation-changed", "relation-departed",
				"relation-broken", "relation-created", "update-status", "upgrade-charm", "config-changed", "juju exec",
				"failed", "store lost", "full re-read", "bad entry warned", "rejoined", "unit in two relations",
				"other endpoint", "application data", "local unit departing", "old format", "missed change", "stale answer"} {
				require.Greater(t, seen[kind], chunk/25, "%s in %v", kind, seen)
			}
		})
	}
}

// hookSequence is one random run of the charm's life.
type hookSequence struct {
	rng       *rand.Rand
	seed      uint64
	world     *viewWorld
	queue     []pendingHook
	state     map[string]string // the committed store
	known     map[string]bool   // "id unit" of the units the committed view holds
	now       time.Time
	dying     map[string]bool // relations being removed: no more joins
	leave     map[string]bool // units departing: no more changes
	nextID    int
	nextU     int
	stats     map[string]int
	trace     []string        // every hook fired, for reproducibility
	gone      map[string]bool // units that left a relation of the endpoint
	rejoining map[string]int  // relation id: units queued to come back
	// missed holds the "id unit" of units whose data changed without a
	// hook, until a hook reads them.
	missed map[string]bool
	// lastFull is when the last committed hook read every unit.
	lastFull time.Time
	// oldView is set while the committed view is of another format.
	oldView bool
}

// otherRelation is a relation of another endpoint of the charm, whose
// remote units have the names of units of ours: its hooks must not touch
// the view.
const otherRelation = "website:1000"

// pendingHook is a hook Juju has queued; before runs when it is about to
// run (the model change that makes Juju run it), after once it succeeded.
type pendingHook struct {
	hook          toolsim.Hook
	before, after func()
}

func newHookSequence(seed uint64) *hookSequence {
	return &hookSequence{
		rng: rand.New(rand.NewPCG(seed, 0x1d)), seed: seed, world: newViewWorld(),
		known: map[string]bool{}, now: t0, dying: map[string]bool{}, leave: map[string]bool{},
		nextID: 1 + int(seed%11), stats: map[string]int{}, gone: map[string]bool{},
		rejoining: map[string]int{}, missed: map[string]bool{},
	}
}

// run plays the sequence and returns how often each kind of step
// happened.
func (s *hookSequence) run(t *testing.T) map[string]int {
	s.world.addRelation(otherRelation, "web")
	for _, u := range []string{"web/0", "web/1", "web/2"} {
		s.world.setUnit(otherRelation, u, s.randomBag())
	}
	s.addRelation()
	s.join()
	steps := 3 + s.rng.IntN(7)
	if s.seed%25 == 0 {
		steps = 30 // a long life now and then: the view after many hooks
	}
	for range steps {
		if len(s.queue) > 0 && s.rng.IntN(2) == 0 {
			p := s.queue[0]
			s.queue = s.queue[1:]
			s.fire(t, p)
			continue
		}
		s.event(t)
	}
	for len(s.queue) > 0 { // Juju runs what it queued
		p := s.queue[0]
		s.queue = s.queue[1:]
		s.fire(t, p)
	}
	s.fire(t, pendingHook{hook: plainHook("config-changed")})
	return s.stats
}

// fire runs a hook until it succeeds, as Juju retries a failed hook
// before any other; between tries the store may be lost and time passes.
func (s *hookSequence) fire(t *testing.T, p pendingHook) {
	if p.before != nil {
		p.before()
	}
	for {
		if p.hook.Name == "update-status" {
			s.now = s.now.Add(time.Duration(s.rng.IntN(8)) * time.Minute)
		} else {
			s.now = s.now.Add(time.Duration(s.rng.IntN(30)) * time.Second)
		}
		fail := s.rng.IntN(8) == 0
		s.trace = append(s.trace, fmt.Sprintf("%+v fail=%v", p.hook, fail))
		run := s.world.run(t, s.state, viewHook{hook: p.hook, fail: fail, now: s.now, order: s.rng.IntN(3)})
		listed := s.listed(p.hook)
		s.check(t, p.hook, run, listed)
		s.count(p.hook, run, listed, fail)
		if !fail {
			if s.rereadDue(p.hook) || !s.viewKept() {
				s.lastFull = s.now
			}
			s.state = run.state
			s.known = listed
			s.oldView = false
			for _, r := range run.reads {
				delete(s.missed, r)
			}
			if p.after != nil {
				p.after()
			}
			return
		}
		if s.rng.IntN(6) == 0 {
			s.loseStore()
		}
	}
}

// count notes what kind of step a hook was.
func (s *hookSequence) count(h toolsim.Hook, run viewRun, listed map[string]bool, fail bool) {
	s.stats["hooks"]++
	kind := strings.TrimPrefix(h.Name, "reverseproxy-")
	switch {
	case kind == "":
		kind = "juju exec"
	case strings.HasPrefix(kind, "website-"):
		kind = "other endpoint"
	case kind == "relation-changed" && h.RemoteUnit == "":
		kind = "application data"
	case kind == "relation-departed" && h.DepartingUnit != h.RemoteUnit:
		s.stats["local unit departing"]++
	case kind == "relation-joined" && s.gone[h.RemoteUnit]:
		s.stats["rejoined"]++
	}
	if h.RemoteUnit != "" && s.inTwoRelations(h.RemoteUnit) {
		s.stats["unit in two relations"]++
	}
	s.stats[kind]++
	if fail {
		s.stats["failed"]++
	}
	if len(run.warnings) > 0 {
		s.stats["bad entry warned"]++
	}
}

// check fails the test unless the hook's answer is a full read's, it
// read only what it had to and it warned only about what it read.
func (s *hookSequence) check(t *testing.T, h toolsim.Hook, run viewRun, listed map[string]bool) {
	const where = "seed %d, hook %d %+v"
	hook := s.stats["hooks"]
	due := s.rereadDue(h)
	read := make(map[string]bool, len(run.reads))
	for _, r := range run.reads {
		read[r] = true
		if !listed[r] {
			t.Fatalf(where+": read %s, which is not listed", s.seed, hook, h, r)
		}
		if !due && s.known[r] && r != h.RelationID+" "+h.RemoteUnit {
			t.Fatalf(where+": read %s, which the view held", s.seed, hook, h, r)
		}
	}
	stale := 0
	for r := range listed {
		switch {
		case due && !read[r]:
			t.Fatalf(where+": a full re-read is due, but %s was not read", s.seed, hook, h, r)
		case s.missed[r] && !read[r]:
			stale++
		}
	}
	if stale == 0 {
		require.Equal(t, run.full, run.services, where, s.seed, hook, h)
	} else {
		s.stats["stale answer"]++
	}
	if due && len(s.known) > 1 {
		s.stats["full re-read"]++
	}
	for _, w := range run.warnings {
		if strings.Contains(w.Message, "stored view unusable") {
			if !s.oldView {
				t.Fatalf(where+": %q, but the view is of this format", s.seed, hook, h, w.Message)
			}
			continue
		}
		if !read[attr(w, "relation")+" "+attr(w, "unit")] {
			t.Fatalf(where+": warning %q for a unit not read in this hook", s.seed, hook, h, w.Message)
		}
	}
	if run.calls["RelationIDs"] != 1 || run.calls["StateSave"] > 1 {
		t.Fatalf(where+": calls %v", s.seed, hook, h, run.calls)
	}
}

// rereadDue reports whether hook h must re-read every unit: upgrade-charm
// always, update-status once DefaultRereadInterval has passed since the
// last committed full read (the test's own count, not the view's), or the
// clock went back; and any hook without a view to start from.
func (s *hookSequence) rereadDue(h toolsim.Hook) bool {
	switch h.Name {
	case "upgrade-charm":
		return true
	case "update-status":
		elapsed := s.now.Sub(s.lastFull)
		return !s.viewKept() || elapsed < 0 || elapsed >= httprelation.DefaultRereadInterval
	}
	return false
}

// viewKept reports whether the committed store holds a view this code
// reads; without one, a hook reads every unit.
func (s *hookSequence) viewKept() bool {
	_, ok := s.state["view.reverseproxy.0"]
	return ok && !s.oldView
}

// listed is what relation-list shows in hook h: every unit of every
// relation of the endpoint but the broken one, minus the unit leaving in
// a departed hook (the hook's remote unit, whichever side leaves).
func (s *hookSequence) listed(h toolsim.Hook) map[string]bool {
	out := map[string]bool{}
	for id, r := range s.world.rels {
		if id == otherRelation || h.Name == "reverseproxy-relation-broken" && h.RelationID == id {
			continue
		}
		for unit := range r.units {
			if h.Name == "reverseproxy-relation-departed" && h.RemoteUnit == unit && h.RelationID == id {
				continue
			}
			out[id+" "+unit] = true
		}
	}
	return out
}

// TestHookSequenceIsReproducible: the same seed plays the same hooks,
// with the same failures, and another seed others.
func TestHookSequenceIsReproducible(t *testing.T) {
	play := func(seed uint64) []string {
		s := newHookSequence(seed)
		s.run(t)
		return s.trace
	}
	for _, seed := range []uint64{25, 42, 4217} {
		first := play(seed)
		require.GreaterOrEqual(t, len(first), 4, "seed %d", seed)
		require.Equal(t, first, play(seed), "seed %d", seed)
		require.NotEqual(t, first, play(seed+1), "seed %d", seed)
	}
}
