package httprelation_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

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
		if _, in := s.world.rels[id].units[unit]; httprelation.AppName(unit) == app && rel != otherRelation && !in && !slices.Contains(names, unit) {
			names = append(names, unit)
		}
	}
	for _, unit := range slices.Sorted(maps.Keys(s.gone)) {
		if _, in := s.world.rels[id].units[unit]; httprelation.AppName(unit) == app && !in && !slices.Contains(names, unit) {
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

// loseStore empties the store, as when a FileStore goes with the charm
// directory.
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
