package httprelation_test

// The property test of the incremental view and its generator of hook
// sequences: one file of about 550 lines, because the generator (events,
// the hooks Juju queues for them) and the checks it feeds are read
// together.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
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
	if run.idsAsked != 1 || run.calls["relation-ids"] != 1 || run.calls["state-set"] > 1 {
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

// The events of a random hook sequence (see TestViewEqualsFullRead):
// what happens in the model, and the hooks Juju queues for it.

// event makes one thing happen in the model.
func (s *hookSequence) event(t *testing.T) {
	switch k := s.rng.IntN(21); {
	case k < 3 && len(s.liveRelations()) < 3:
		s.addRelation()
	case k < 9:
		s.join()
	case k < 13:
		id, unit, ok := s.someUnit()
		if !ok {
			return
		}
		s.world.setUnit(id, unit, s.randomBag())
		if s.rng.IntN(4) == 0 {
			// The charm misses the changed hook (it was skipped, or
			// resolved without a retry): the view may answer the old
			// hosts of this unit until it reads it again.
			s.missed[id+" "+unit] = true
			s.stats["missed change"]++
			return
		}
		// The changed hook runs before any other: a full read in another
		// hook would see data whose hook has not run yet.
		s.fire(t, pendingHook{hook: changed(id, unit)})
	case k < 15:
		id, unit, ok := s.someUnit()
		if !ok {
			return
		}
		s.leave[id+" "+unit] = true
		s.queue = append(s.queue, pendingHook{hook: departed(id, unit), after: func() { s.world.removeUnit(id, unit); s.gone[unit] = true }})
		if s.rng.IntN(3) == 0 {
			// It comes back under its name with other data (a
			// cross-model relation suspended and resumed).
			bag := s.randomBag()
			enter := func() {
				delete(s.leave, id+" "+unit)
				s.world.setUnit(id, unit, bag)
			}
			s.rejoining[id]++
			s.queue = append(s.queue, pendingHook{hook: joined(id, unit), before: enter},
				pendingHook{hook: changed(id, unit), after: func() { s.rejoining[id]-- }})
		}
	case k < 16:
		// Not one a unit is coming back to: its departed hook would come
		// after the relation's broken one.
		rels := slices.DeleteFunc(s.liveRelations(), func(id string) bool { return s.rejoining[id] > 0 })
		if len(rels) == 0 {
			return
		}
		id := rels[s.rng.IntN(len(rels))]
		s.dying[id] = true
		local := s.rng.IntN(2) == 0 // this side leaves first: Juju names the local unit as departing
		for _, unit := range slices.Sorted(maps.Keys(s.world.rels[id].units)) {
			if !s.leave[id+" "+unit] {
				s.leave[id+" "+unit] = true
				h := departed(id, unit)
				if local {
					h.DepartingUnit = "haproxy/0"
				}
				s.queue = append(s.queue, pendingHook{hook: h, after: func() { s.world.removeUnit(id, unit); s.gone[unit] = true }})
			}
		}
		s.queue = append(s.queue, pendingHook{hook: broken(id), after: func() { s.world.removeRelation(id) }})
	case k < 17:
		if s.rng.IntN(2) == 0 {
			s.loseStore()
			return
		}
		s.oldFormat()
	case k == 20:
		s.otherHook()
	default:
		name := []string{"update-status", "update-status", "update-status", "config-changed", "leader-elected", "upgrade-charm", ""}[s.rng.IntN(7)]
		s.queue = append(s.queue, pendingHook{hook: plainHook(name)})
	}
}

func (s *hookSequence) addRelation() {
	id := fmt.Sprintf("reverseproxy:%d", s.nextID)
	s.nextID += 1 + s.rng.IntN(5) // numbers above 9 sort before 3 as strings
	app := []string{"web", "api", "blog-a"}[s.rng.IntN(3)]
	if rels := s.liveRelations(); len(rels) > 0 && s.rng.IntN(3) > 0 {
		app = s.world.rels[rels[0]].app // related twice: its units are in both
	}
	s.world.addRelation(id, app)
	s.queue = append(s.queue, pendingHook{hook: toolsim.Hook{Name: "reverseproxy-relation-created", RelationID: id}})
}

// join adds a unit to a live relation: Juju queues joined, then changed.
func (s *hookSequence) join() {
	rels := s.liveRelations()
	if len(rels) == 0 {
		return
	}
	id := rels[s.rng.IntN(len(rels))]
	unit := fmt.Sprintf("%s/%d", s.world.rels[id].app, s.nextU)
	if other, ok := s.reusableName(id); ok && s.rng.IntN(3) > 0 {
		unit = other
	} else {
		s.nextU++
	}
	delete(s.leave, id+" "+unit)
	s.world.setUnit(id, unit, s.randomBag())
	s.queue = append(s.queue, pendingHook{hook: joined(id, unit)}, pendingHook{hook: changed(id, unit)})
}

// reusableName is the name of a unit of relation id's application that
// is not in id: one that left id and comes back (a cross-model relation
// suspended and resumed), or one that is in another relation of ours
// with the same application (related twice), which has a bag in each.
func (s *hookSequence) reusableName(id string) (string, bool) {
	app := s.world.rels[id].app
	var names []string
	for _, other := range slices.Sorted(maps.Keys(s.known)) {
		rel, unit, _ := strings.Cut(other, " ")
		if _, in := s.world.rels[id].units[unit]; appOf(unit) == app && rel != otherRelation && !in && !slices.Contains(names, unit) {
			names = append(names, unit)
		}
	}
	for _, unit := range slices.Sorted(maps.Keys(s.gone)) {
		if _, in := s.world.rels[id].units[unit]; appOf(unit) == app && !in && !slices.Contains(names, unit) {
			names = append(names, unit)
		}
	}
	if len(names) == 0 {
		return "", false
	}
	return names[s.rng.IntN(len(names))], true
}

// otherHook is a hook that names no unit of the endpoint's: another
// endpoint's relation-changed for a unit with the name of one of ours,
// or a relation-changed for the remote application's data.
func (s *hookSequence) otherHook() {
	rels := s.liveRelations()
	if len(rels) == 0 || s.rng.IntN(2) == 0 {
		unit := []string{"web/0", "web/1", "web/2"}[s.rng.IntN(3)]
		s.world.setUnit(otherRelation, unit, s.randomBag())
		s.queue = append(s.queue, pendingHook{hook: toolsim.Hook{Name: "website-relation-changed", RelationID: otherRelation, RemoteUnit: unit}})
		return
	}
	id := rels[s.rng.IntN(len(rels))]
	s.queue = append(s.queue, pendingHook{hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: id, RemoteApp: s.world.rels[id].app}})
}

// oldFormat replaces the committed view by one of another format, as a
// charm upgrade from another version of the library leaves it.
func (s *hookSequence) oldFormat() {
	state := maps.Clone(s.state)
	if state == nil {
		state = map[string]string{}
	}
	state["view.reverseproxy.0"] = "httprelation-view 0 1740830400\n1 web/0 10.0.0.1 80\n"
	s.state, s.known, s.oldView = state, map[string]bool{}, true
	s.stats["old format"]++
}

// loseStore empties the store, as when a statefile store goes with the
// charm directory.
func (s *hookSequence) loseStore() {
	s.state, s.known, s.oldView = nil, map[string]bool{}, false
	s.stats["store lost"]++
}

// inTwoRelations reports whether unit is in more than one relation of
// the endpoint.
func (s *hookSequence) inTwoRelations(unit string) bool {
	n := 0
	for _, id := range s.liveRelations() {
		if _, ok := s.world.rels[id].units[unit]; ok {
			n++
		}
	}
	return n > 1
}

func (s *hookSequence) liveRelations() []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(s.world.rels)) {
		if !s.dying[id] && id != otherRelation {
			ids = append(ids, id)
		}
	}
	return ids
}

// someUnit picks a unit that is not departing.
func (s *hookSequence) someUnit() (string, string, bool) {
	var ids, units []string
	for _, id := range slices.Sorted(maps.Keys(s.world.rels)) {
		if id == otherRelation {
			continue
		}
		for _, u := range slices.Sorted(maps.Keys(s.world.rels[id].units)) {
			if !s.leave[id+" "+u] {
				ids, units = append(ids, id), append(units, u)
			}
		}
	}
	if len(ids) == 0 {
		return "", "", false
	}
	i := s.rng.IntN(len(ids))
	return ids[i], units[i], true
}

// randomBag is a provider's bag: complete, early (no port yet), or
// broken in one of the ways remote data breaks. Addresses come from a
// small pool, so units often share hosts.
func (s *hookSequence) randomBag() map[string]string {
	addr := fmt.Sprintf("10.0.0.%d", 1+s.rng.IntN(6))
	bag := map[string]string{"private-address": addr, "ingress-address": addr}
	switch s.rng.IntN(12) {
	case 0: // joined, no port yet
	case 1:
		bag["port"] = []string{"http", "0", "99999", " 80"}[s.rng.IntN(4)]
	case 2:
		bag["port"], bag["hostname"] = "80", []string{"bad host", "a\nb", "-x.example"}[s.rng.IntN(3)]
	case 3:
		bag["port"], bag["hostname"] = "8080", fmt.Sprintf("svc-%d.example", s.rng.IntN(3))
	case 4:
		bag["port"] = "80"
		bag["extended_data"] = fmt.Sprintf(`[{"hostname":"10.9.0.%d","private-address":"10.9.0.%d","port":"81"},{"hostname":"x y","port":80}]`, s.rng.IntN(3), s.rng.IntN(3))
	case 5:
		bag["port"], bag["extended_data"] = "80", `[{"hostname":`
	case 6:
		bag["private-address"], bag["port"] = fmt.Sprintf("2001:db8::%d", 1+s.rng.IntN(3)), "443"
	default:
		bag["port"] = []string{"80", "8080"}[s.rng.IntN(2)]
	}
	return bag
}

// appOf is the application of a unit name.
func appOf(unit string) string {
	app, _, _ := strings.Cut(unit, "/")
	return app
}
