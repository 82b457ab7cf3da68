package httprelation_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmkit/httprelation"
)

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
				hosts, problems := httprelation.ParseUnitData(bag)
				if len(hosts) != n || len(problems) != 0 {
					b.Fatalf("got %d hosts and %v", len(hosts), problems)
				}
			}
		})
	}
}
