package httprelation_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
)

// reads is an accessor whose UnitData answers some units with a chosen
// bag and error, as hooktools would for the failures of issue 9.
type reads struct {
	*httprelationtest.Model
	answers map[string]readAnswer // unit → answer
}

type readAnswer struct {
	bag map[string]string
	err error
}

func (r *reads) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	if a, ok := r.answers[unit]; ok {
		return a.bag, a.err
	}
	return r.Model.UnitData(ctx, id, unit)
}

// bulkReads is reads that reads in bulk, handing the bags over last to
// first.
type bulkReads struct{ *reads }

var _ httprelation.BulkReader = bulkReads{}

func (b bulkReads) ReadUnits(ctx context.Context, refs []httprelation.UnitRef, fn func(int, map[string]string, error) error) error {
	for i := len(refs) - 1; i >= 0; i-- {
		bag, err := b.UnitData(ctx, refs[i].RelationID, refs[i].Unit)
		if err := fn(i, bag, err); err != nil {
			return err
		}
	}
	return nil
}

// servicesRead runs Services over m, with answers for some units, the
// units read one by one or, with bulk, in one bulk read handed over last
// to first, and returns what it logged too.
func servicesRead(t *testing.T, m *httprelationtest.Model, answers map[string]readAnswer, bulk bool) ([]httprelation.Service, []map[string]any, error) {
	t.Helper()
	r := &reads{Model: m, answers: answers}
	var acc httprelation.Accessor = r
	if bulk {
		acc = bulkReads{r}
	}
	logger, logged := captureLog(t)
	got, err := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
	return got, logged(), err
}

func notString(key, value, kind string) *httprelation.EntryError {
	return &httprelation.EntryError{Key: key, Value: value, Index: -1, Err: fmt.Errorf("%w: JSON %s", httprelation.ErrNotString, kind)}
}

// TestServicesUnreadableUnits (issue 9, classes 5, 6, 8): a bag read in
// part is used for what it holds and each value left out is one warning
// naming unit and key; a bag too large, or a unit that left, is skipped
// with one warning naming relation and unit; any other failure fails
// Services. Warnings come in unit order whatever the reader's order.
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
		for _, bulk := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/bulk=%v", tt.name, bulk), func(t *testing.T) {
				m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
					"web/0": good, "web/1": good, "web/2": {"private-address": "10.0.0.3", "port": "http"},
				})))
				got, records, err := servicesRead(t, m, map[string]readAnswer{"web/1": tt.answer}, bulk)
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
