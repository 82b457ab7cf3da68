package httprelation_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/toolsim"
)

// propertySequences is how many random hook sequences
// TestViewEqualsFullRead drives; -short runs a tenth.
const propertySequences = 10_000

// TestViewEqualsFullRead drives random hook sequences, as Juju would fire
// them, through a charm that keeps the incremental view: units join
// (joined, changed), change their data, good or bad (changed), depart,
// relations come and go (departed per unit, then broken), hooks fail and
// are retried (their Save never happens), the store is lost, the clock
// moves, and update-status, upgrade-charm, config-changed and juju exec
// run in between. After every hook, failed ones included, the view's
// answer must equal a full read of the same state, and the hook may have
// read only its own unit and units the view did not hold; a warning
// names a unit read in that hook.
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
				"failed", "store lost", "full re-read", "bad entry warned"} {
				require.Greater(t, seen[kind], chunk/25, "%s in %v", kind, seen)
			}
		})
	}
}

// hookSequence is one random run of the charm's life.
type hookSequence struct {
	rng    *rand.Rand
	seed   uint64
	world  *viewWorld
	queue  []pendingHook
	state  map[string]string // the committed store
	known  map[string]bool   // "id unit" of the units the committed view holds
	now    time.Time
	dying  map[string]bool // relations being removed: no more joins
	leave  map[string]bool // units departing: no more changes
	nextID int
	nextU  int
	stats  map[string]int
}

// pendingHook is a hook Juju has queued; after runs once it succeeded.
type pendingHook struct {
	hook  toolsim.Hook
	after func()
}

func newHookSequence(seed uint64) *hookSequence {
	return &hookSequence{
		rng: rand.New(rand.NewPCG(seed, 0x1d)), seed: seed, world: newViewWorld(),
		known: map[string]bool{}, now: t0, dying: map[string]bool{}, leave: map[string]bool{},
		nextID: 1 + int(seed%11), stats: map[string]int{},
	}
}

// run plays the sequence and returns how often each kind of step
// happened.
func (s *hookSequence) run(t *testing.T) map[string]int {
	s.addRelation()
	s.join()
	steps := 2 + s.rng.IntN(6)
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

// event makes one thing happen in the model.
func (s *hookSequence) event(t *testing.T) {
	switch k := s.rng.IntN(20); {
	case k < 3 && len(s.liveRelations()) < 3:
		s.addRelation()
	case k < 9:
		s.join()
	case k < 13:
		id, unit, ok := s.someUnit()
		if !ok {
			return
		}
		// The changed hook runs before any other: a full read in another
		// hook would see data whose hook has not run yet.
		s.world.setUnit(id, unit, s.randomBag())
		s.fire(t, pendingHook{hook: changed(id, unit)})
	case k < 15:
		id, unit, ok := s.someUnit()
		if !ok {
			return
		}
		s.leave[id+" "+unit] = true
		s.queue = append(s.queue, pendingHook{hook: departed(id, unit), after: func() { s.world.removeUnit(id, unit) }})
	case k < 16:
		rels := s.liveRelations()
		if len(rels) == 0 {
			return
		}
		id := rels[s.rng.IntN(len(rels))]
		s.dying[id] = true
		for _, unit := range slices.Sorted(maps.Keys(s.world.rels[id].units)) {
			if !s.leave[id+" "+unit] {
				s.leave[id+" "+unit] = true
				s.queue = append(s.queue, pendingHook{hook: departed(id, unit), after: func() { s.world.removeUnit(id, unit) }})
			}
		}
		s.queue = append(s.queue, pendingHook{hook: broken(id), after: func() { s.world.removeRelation(id) }})
	case k < 17:
		s.loseStore()
	default:
		name := []string{"update-status", "update-status", "config-changed", "leader-elected", "upgrade-charm", ""}[s.rng.IntN(6)]
		s.queue = append(s.queue, pendingHook{hook: plainHook(name)})
	}
}

func (s *hookSequence) addRelation() {
	id := fmt.Sprintf("reverseproxy:%d", s.nextID)
	s.nextID += 1 + s.rng.IntN(5) // numbers above 9 sort before 3 as strings
	s.world.addRelation(id, []string{"web", "api", "blog-a"}[s.rng.IntN(3)])
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
	s.nextU++
	s.world.setUnit(id, unit, s.randomBag())
	s.queue = append(s.queue, pendingHook{hook: joined(id, unit)}, pendingHook{hook: changed(id, unit)})
}

// loseStore empties the store, as when a FileStore goes with the charm
// directory.
func (s *hookSequence) loseStore() {
	s.state, s.known = nil, map[string]bool{}
	s.stats["store lost"]++
}

// fire runs a hook until it succeeds, as Juju retries a failed hook
// before any other; between tries the store may be lost and time passes.
func (s *hookSequence) fire(t *testing.T, p pendingHook) {
	for {
		if p.hook.Name == "update-status" {
			s.now = s.now.Add(time.Duration(s.rng.IntN(8)) * time.Minute)
		} else {
			s.now = s.now.Add(time.Duration(s.rng.IntN(30)) * time.Second)
		}
		fail := s.rng.IntN(8) == 0
		run := s.world.run(t, s.state, viewHook{hook: p.hook, fail: fail, now: s.now, order: s.rng.IntN(3)})
		listed := s.listed(p.hook)
		s.check(t, p.hook, run, listed)
		s.count(p.hook, run, listed, fail)
		if !fail {
			s.state = run.state
			s.known = listed
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
	if kind == "" {
		kind = "juju exec"
	}
	s.stats[kind]++
	if fail {
		s.stats["failed"]++
	}
	if len(s.known) > 1 && len(run.reads) == len(listed) {
		s.stats["full re-read"]++
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
	require.Equal(t, run.full, run.services, where, s.seed, hook, h)
	reread := h.Name == "update-status" || h.Name == "upgrade-charm" // may be the periodic full re-read
	read := make(map[string]bool, len(run.reads))
	for _, r := range run.reads {
		read[r] = true
		if !listed[r] {
			t.Fatalf(where+": read %s, which is not listed", s.seed, hook, h, r)
		}
		if !reread && s.known[r] && r != h.RelationID+" "+h.RemoteUnit {
			t.Fatalf(where+": read %s, which the view held", s.seed, hook, h, r)
		}
	}
	for _, w := range run.warnings {
		if !read[attr(w, "relation")+" "+attr(w, "unit")] {
			t.Fatalf(where+": warning %q for a unit not read in this hook", s.seed, hook, h, w.Message)
		}
	}
	if run.calls["RelationIDs"] != 1 || run.calls["StateSave"] > 1 {
		t.Fatalf(where+": calls %v", s.seed, hook, h, run.calls)
	}
}

// listed is what relation-list shows in hook h: every unit of every
// relation but the broken one, minus the departing unit.
func (s *hookSequence) listed(h toolsim.Hook) map[string]bool {
	out := map[string]bool{}
	for id, r := range s.world.rels {
		if h.Name == "reverseproxy-relation-broken" && h.RelationID == id {
			continue
		}
		for unit := range r.units {
			if h.DepartingUnit == unit && h.RelationID == id {
				continue
			}
			out[id+" "+unit] = true
		}
	}
	return out
}

func (s *hookSequence) liveRelations() []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(s.world.rels)) {
		if !s.dying[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// someUnit picks a unit that is not departing.
func (s *hookSequence) someUnit() (string, string, bool) {
	var ids, units []string
	for _, id := range slices.Sorted(maps.Keys(s.world.rels)) {
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

// TestHookSequenceIsReproducible: the same seed plays the same hooks.
func TestHookSequenceIsReproducible(t *testing.T) {
	trace := func(seed uint64) string {
		s := newHookSequence(seed)
		var b strings.Builder
		for range 50 {
			fmt.Fprintf(&b, "%d ", s.rng.IntN(1000))
		}
		return b.String()
	}
	require.Equal(t, trace(42), trace(42))
	require.NotEqual(t, trace(42), trace(43))
}
