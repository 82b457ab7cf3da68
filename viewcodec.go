package httprelation

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmkit/httprelation/internal/address"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/juju"
)

// The stored form of the incremental view: text, cut into values of at
// most viewPartSize bytes kept under "view.<endpoint>.0", ".1", ... The
// text is a header line, then one line per remote unit, sorted:
//
//	httprelation-view 1 <unix time of the last full read> kept|over
//	<relation number> <unit> <host> <host> ...
//
// where a host is "address,port" when its hostname and private address
// are the same, else "hostname,private-address,port". Addresses are
// validated names and IP literals, so neither ' ' nor ',' occurs in them.
// About 30 bytes a unit: 1000 units take 30 to 40 KiB.
const (
	viewPrefix = "view."
	viewMagic  = "httprelation-view"
	viewFormat = "1"
	viewKept   = "kept"
	viewOver   = "over"

	// viewPartSize keeps each value under Juju's 64 KiB.
	viewPartSize = 60 << 10
	// maxViewParts is what MaxViewBytes needs, and some slack: the header
	// and the padding of a view that shrank.
	maxViewParts = MaxViewBytes/viewPartSize + 2
	// maxUnitHosts is the most hosts one bag gives: its top-level host
	// and the entries of extended_data.
	maxUnitHosts = 1 + maxExtendedEntries
)

// errViewCorrupt reports a stored view that does not decode.
var errViewCorrupt = errors.New("corrupt stored view")

// viewKey names one remote unit in one relation, by relation number as
// Juju compares relation ids.
type viewKey struct{ rel, unit string }

func viewKeyOf(ref unitRef) viewKey {
	return viewKey{rel: juju.RelationNumber(ref.RelationID), unit: ref.Unit}
}

// storedView is what a Registry holds for an endpoint.
type storedView struct {
	// usable is false when nothing usable is stored: then every unit is
	// read.
	usable bool
	// over notes that the last hook found the view past its limits.
	over     bool
	lastFull int64
	units    map[viewKey][]Host
}

// viewKeys are the Registry keys of one endpoint's view.
type viewKeys struct{ prefix string }

// newViewKeys reports false for an endpoint name the library does not
// serve (see ErrInvalidEndpoint): its keys might not fit Juju's limit.
func newViewKeys(endpoint string) (viewKeys, bool) {
	if !juju.ValidEndpoint(endpoint) {
		return viewKeys{}, false
	}
	return viewKeys{prefix: viewPrefix + endpoint + "."}, true
}

func (k viewKeys) part(i int) string { return k.prefix + strconv.Itoa(i) }

// load decodes the view kept in reg. It also returns how many parts are
// stored, so that a shrinking view pads rather than deletes them (a
// deletion is one more tool call with Juju's state store). Nothing stored
// is not an error.
//
// What store writes is checked before anything is decoded or joined: at
// most maxViewParts parts, each of at most viewPartSize bytes, at most
// MaxViewBytes in all. Anything larger was not written here, and would
// cost memory in proportion to its size to decode.
func (k viewKeys) load(reg *Registry) (storedView, int, error) {
	values := reg.prefixed(k.prefix)
	if len(values) == 0 {
		return storedView{}, 0, nil
	}
	if len(values) > maxViewParts {
		return storedView{}, 0, fmt.Errorf("%w: %d parts, at most %d", errViewCorrupt, len(values), maxViewParts)
	}
	total := 0
	for i := range len(values) {
		part, ok := values[k.part(i)]
		if !ok {
			return storedView{}, 0, fmt.Errorf("%w: part %d of %d missing", errViewCorrupt, i, len(values))
		}
		if len(part) > viewPartSize {
			return storedView{}, 0, fmt.Errorf("%w: part %d is %d bytes, at most %d", errViewCorrupt, i, len(part), viewPartSize)
		}
		total += len(part)
	}
	if total > MaxViewBytes {
		return storedView{}, 0, fmt.Errorf("%w: %d bytes, at most %d", errViewCorrupt, total, MaxViewBytes)
	}
	var text strings.Builder
	text.Grow(total)
	for i := range len(values) {
		text.WriteString(values[k.part(i)])
	}
	view, err := decodeView(text.String())
	if err != nil {
		return storedView{}, 0, err
	}
	return view, len(values), nil
}

// store puts text in reg, cut into parts, padded with empty lines to at
// least minParts parts as far as MaxViewBytes allows in all (load refuses
// more); any other key of the view is deleted.
func (k viewKeys) store(reg *Registry, text string, minParts int) {
	values := make(map[string]string, max(minParts, 1))
	n, size := 0, len(text)
	for ; text != ""; n++ {
		part := text[:min(len(text), viewPartSize)]
		values[k.part(n)] = part
		text = text[len(part):]
	}
	for ; n < minParts && size < MaxViewBytes; n, size = n+1, size+1 {
		values[k.part(n)] = "\n"
	}
	reg.setPrefixed(k.prefix, values)
}

func decodeView(text string) (storedView, error) {
	header, body, _ := strings.Cut(text, "\n")
	f := strings.Split(header, " ")
	if len(f) != 4 || f[0] != viewMagic {
		return storedView{}, fmt.Errorf("%w: header %s", errViewCorrupt, badchar.Quote(header))
	}
	if f[1] != viewFormat {
		return storedView{}, fmt.Errorf("%w: format %s, this library reads %s", errViewCorrupt, badchar.Quote(f[1]), viewFormat)
	}
	// Any time is one a clock can give (a fake clock at time.Time{} is
	// before 1970): refusing some would make a view that this code wrote
	// unusable, in every hook.
	lastFull, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return storedView{}, fmt.Errorf("%w: time %s", errViewCorrupt, badchar.Quote(f[2]))
	}
	view := storedView{usable: true, lastFull: lastFull, units: map[viewKey][]Host{}}
	switch f[3] {
	case viewKept:
	case viewOver:
		view.over = true
	default:
		return storedView{}, fmt.Errorf("%w: mode %s", errViewCorrupt, badchar.Quote(f[3]))
	}
	for n := 2; body != ""; n++ {
		var line string
		line, body, _ = strings.Cut(body, "\n")
		if line == "" {
			continue // padding of a view that shrank
		}
		key, hosts, err := decodeUnit(line)
		if err == nil && view.over {
			err = errors.New("unit kept in a view not kept")
		}
		if _, dup := view.units[key]; err == nil && dup {
			err = errors.New("unit listed twice")
		}
		if err == nil && len(view.units) == MaxViewUnits {
			err = fmt.Errorf("more than %d units", MaxViewUnits) // never kept
		}
		if err != nil {
			return storedView{}, fmt.Errorf("%w: line %d: %v", errViewCorrupt, n, err)
		}
		view.units[key] = hosts
	}
	return view, nil
}

// decodeUnit checks the hosts as if they came from a remote unit, and
// that they are canonical as written: the store is outside this process,
// and hosts end up in proxy configuration.
// The unit's name needs no check: a kept unit is used only when the
// listing, whose names are checked, names it.
func decodeUnit(line string) (viewKey, []Host, error) {
	if n := strings.Count(line, " ") - 1; n > maxUnitHosts {
		return viewKey{}, nil, fmt.Errorf("%d hosts, more than a bag gives (%d)", n, maxUnitHosts)
	}
	f := strings.Split(line, " ")
	if len(f) < 2 || f[0] == "" || juju.RelationNumber(f[0]) != f[0] || f[1] == "" {
		return viewKey{}, nil, fmt.Errorf("bad unit %s", badchar.Quote(line))
	}
	hosts := make([]Host, 0, len(f)-2)
	for _, field := range f[2:] {
		h, err := decodeHost(field)
		if err != nil {
			return viewKey{}, nil, err
		}
		hosts = append(hosts, h)
	}
	return viewKey{rel: f[0], unit: f[1]}, hosts, nil
}

func decodeHost(field string) (Host, error) {
	f := strings.Split(field, ",")
	if len(f) != 2 && len(f) != 3 {
		return Host{}, fmt.Errorf("bad host %s", badchar.Quote(field))
	}
	port, err := ParsePort(f[len(f)-1])
	if err != nil {
		return Host{}, err
	}
	h := Host{Hostname: f[0], PrivateAddress: f[0], Port: port}
	if len(f) == 3 {
		h.PrivateAddress = f[1]
	}
	for _, a := range []string{h.Hostname, h.PrivateAddress} {
		// The view is written canonical: another spelling was not written
		// here, and kept as is it would not merge with a fresh read of
		// the same target.
		canonical, err := address.Canonical(a)
		if err != nil {
			return Host{}, err
		}
		if canonical != a {
			return Host{}, fmt.Errorf("%w: %s is not written canonically", ErrInvalidAddress, badchar.Quote(a))
		}
	}
	return h, nil
}

// viewState is the view a hook leaves: every listed unit with its hosts.
type viewState struct {
	lastFull int64
	refs     []unitRef
	hosts    [][]Host
}

// encode returns the stored text and its size, or a size past
// MaxViewBytes when a host cannot be written (an address holding a
// separator, which validation rules out).
func (s viewState) encode() (string, int) {
	order := make([]int, len(s.refs))
	for i := range order {
		order[i] = i
	}
	keys := make([]viewKey, len(s.refs))
	for i, ref := range s.refs {
		keys[i] = viewKeyOf(ref)
	}
	slices.SortFunc(order, func(a, b int) int { return compareViewKeys(keys[a], keys[b]) })
	var b strings.Builder
	b.WriteString(viewHeader(s.lastFull, viewKept))
	for n, i := range order {
		if keys[i].rel == "" || n > 0 && keys[order[n-1]] == keys[i] {
			// A relation id without a number is not Juju's and is read
			// in every hook; a unit listed twice has one bag.
			continue
		}
		b.WriteString(keys[i].rel)
		b.WriteByte(' ')
		b.WriteString(keys[i].unit)
		for _, h := range s.hosts[i] {
			if strings.ContainsAny(h.Hostname, " ,\n") || strings.ContainsAny(h.PrivateAddress, " ,\n") {
				return "", MaxViewBytes + 1
			}
			b.WriteByte(' ')
			b.WriteString(h.Hostname)
			if h.PrivateAddress != h.Hostname {
				b.WriteByte(',')
				b.WriteString(h.PrivateAddress)
			}
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(h.Port))
		}
		b.WriteByte('\n')
	}
	return b.String(), b.Len()
}

// encodeOver is the stored text of a view past its limits: a header only.
func (s viewState) encodeOver() string { return viewHeader(s.lastFull, viewOver) }

func viewHeader(lastFull int64, mode string) string {
	return viewMagic + " " + viewFormat + " " + strconv.FormatInt(lastFull, 10) + " " + mode + "\n"
}

// compareViewKeys orders by relation number, numerically, then unit.
func compareViewKeys(a, b viewKey) int {
	if c := cmp.Compare(len(a.rel), len(b.rel)); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.rel, b.rel), strings.Compare(a.unit, b.unit))
}

// prefixed returns the stored values whose keys start with prefix, with
// this hook's edits.
func (r *Registry) prefixed(prefix string) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for k, v := range r.values {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// setPrefixed makes values the only keys under prefix; Save writes them
// with the rest of the hook's state.
func (r *Registry) setPrefixed(prefix string, values map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.values {
		if _, keep := values[k]; !keep && strings.HasPrefix(k, prefix) {
			delete(r.values, k)
		}
	}
	for k, v := range values {
		r.values[k] = v
	}
}
