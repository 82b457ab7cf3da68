package httprelation_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
)

// TestServicesUnreadableAddressDropsHost (class 6): a hostname,
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
		for _, bulk := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
					"web/0": {"private-address": "10.0.0.1", "port": "80"},
					"web/1": {"private-address": "10.0.0.2", "port": "8081"},
				})))
				got, records, err := servicesRead(t, m, map[string]readAnswer{"web/1": tc.answer}, bulk)
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
