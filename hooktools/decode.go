package hooktools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/juju"
)

// The decoders below read exactly what Juju's tools print with
// --format=json and guess nothing: where Juju prints "[]" or "{}" for
// none, "null" is not read as none, and a value of the wrong JSON type is
// never read as an empty string.

// decodeList reads relation-ids' or relation-list's list of names. Juju
// prints [] for none; null, or an element that is not a string, is a
// ParseError.
func decodeList(tool string, out []byte) ([]string, error) {
	if err := checkNotBlank(tool, out); err != nil {
		return nil, err
	}
	var items []*string
	if err := json.Unmarshal(out, &items); err != nil {
		return nil, newParseError(tool, out, err)
	}
	if items == nil {
		return nil, newParseError(tool, out, errors.New("null, not a list (Juju prints [] for none)"))
	}
	list := make([]string, len(items))
	for i, s := range items {
		if s == nil {
			return nil, newParseError(tool, out, fmt.Errorf("element %d is null, not a string", i))
		}
		list[i] = *s
	}
	if s, ok := repeated(list); ok {
		return nil, newParseError(tool, out, fmt.Errorf("%s is listed twice", badchar.Quote(s)))
	}
	return list, nil
}

// repeated returns an element that list holds twice, if any. Juju lists
// each relation and unit once: a repeat is not its answer.
func repeated(list []string) (string, bool) {
	sorted := slices.Clone(list)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return sorted[i], true
		}
	}
	return "", false
}

// checkRelationIDs checks that relation-ids ENDPOINT answered ids of that
// endpoint, "ENDPOINT:N", as Juju prints them, N without leading zeros:
// anything else would be passed on to later tools and into errors and
// logs, and "website:03" would not match the relation "website:3" of a
// relation-broken hook.
func checkRelationIDs(endpoint string, ids []string, out []byte) error {
	for _, id := range ids {
		n, ok := strings.CutPrefix(id, endpoint+":")
		if !ok || n == "" || juju.RelationNumber(n) != n || len(n) > 1 && n[0] == '0' {
			return newParseError("relation-ids", out, fmt.Errorf("%s is not a relation id of %s", badchar.Quote(id), endpoint))
		}
	}
	return nil
}

// bagValue is one value of a relation-get or state-get map, decoded
// without guessing: a string, or else the JSON text of what stood there.
type bagValue struct {
	s string
	// notString holds the JSON text of a value that is not a string.
	notString []byte
}

// UnmarshalJSON implements json.Unmarshaler. The decoder hands over the
// value's own bytes, so a number, a literal, an object or an array is
// kept as written, and never decoded further.
func (v *bagValue) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) > 0 && data[0] == '"' {
		return json.Unmarshal(data, &v.s)
	}
	v.notString = bytes.Clone(data) // data belongs to the decoder
	return nil
}

// decodeStringMap reads a JSON object of strings: relation-get's bag or
// state-get's state. null is a ParseError unless nullOK (state-get prints
// null when nothing is stored; relation-get prints {} for an empty bag).
// A value that is not a string is left out of the map and reported as a
// problem naming its key, in key order; the caller decides what that
// costs. members is countMembers(out), which the caller has already
// needed for its own cap.
func decodeStringMap(tool string, out []byte, members int, nullOK bool) (map[string]string, []*httprelation.EntryError, error) {
	if err := checkNotBlank(tool, out); err != nil {
		return nil, nil, err
	}
	var raw map[string]bagValue
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, nil, newParseError(tool, out, err)
	}
	if raw == nil && !nullOK {
		return nil, nil, newParseError(tool, out, errors.New("null, not an object (Juju prints {} for an empty bag)"))
	}
	if len(raw) != members {
		// Which of two values wins is the decoder's choice, not Juju's:
		// its maps have each key once.
		return nil, nil, newParseError(tool, out, fmt.Errorf("key %s appears twice", badchar.Quote(repeatedKey(out))))
	}
	m := make(map[string]string, len(raw))
	var problems []*httprelation.EntryError
	for k, v := range raw {
		if v.notString == nil {
			m[k] = v.s
			continue
		}
		problems = append(problems, &httprelation.EntryError{
			Key: k, Value: string(v.notString), Index: -1,
			Err: fmt.Errorf("%w: JSON %s", httprelation.ErrNotString, jsonKind(v.notString)),
		})
	}
	// Map order is random; warnings should not be.
	slices.SortFunc(problems, func(a, b *httprelation.EntryError) int { return strings.Compare(a.Key, b.Key) })
	return m, problems, nil
}

// jsonKind names the type of a JSON value that is not a string.
func jsonKind(value []byte) string {
	switch value[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// checkNotBlank refuses output that holds nothing: a tool that printed
// nothing did not answer.
func checkNotBlank(tool string, out []byte) error {
	if len(bytes.TrimSpace(out)) == 0 {
		return newParseError(tool, out, errors.New("empty output"))
	}
	return nil
}

// repeatedKey returns the first top-level key that the JSON object out,
// which decoded, holds twice (as decoded: "p\u006frt" is "port").
func repeatedKey(out []byte) string {
	dec := json.NewDecoder(bytes.NewReader(out))
	if _, err := dec.Token(); err != nil {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		if seen[key] {
			return key
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return ""
		}
	}
	return ""
}
