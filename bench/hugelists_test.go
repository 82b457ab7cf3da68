package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/toolsim"
)

// unitList is a relation-list answer of distinct short unit names,
// size bytes long: the most units, and so the most memory, a list of
// that size can cost.
func unitList(size int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; ; i++ {
		item := fmt.Sprintf(`"a/%d"`, i)
		if i > 0 {
			item = "," + item
		}
		if b.Len()+len(item)+1 > size {
			break
		}
		b.WriteString(item)
	}
	b.WriteString(strings.Repeat(" ", size-b.Len()-1) + "]")
	return b.String()
}

// BenchmarkHookHugeLists runs `http-relation services` where relation-list
// answers a huge list of short unit names: one at
// hooktools.MaxListOutput, read (every relation-get then fails, which
// ends the hook at its first read), and one of 16 MiB, refused. Before
// the list cap, the 16 MiB list took the process to 230 MB. It reports
// the hook process's peak RSS (MiB-rss) and fails when it reaches
// 64 MiB.
func BenchmarkHookHugeLists(b *testing.B) {
	for _, tc := range []struct {
		name string
		size int
	}{
		{"MaxListOutput", hooktools.MaxListOutput},
		{"16MiB", 16 << 20},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m := world(1, 1)
			m.LatencyMS = 0
			m.Faults = map[string]toolsim.Fault{
				"relation-list": {Stdout: unitList(tc.size)},
				"relation-get":  {Exit: 1, Stderr: "ERROR boom\n"},
			}
			env := changedHook(b)
			env["TOOLSIM_LOG"] = ""
			sim := toolsim.Start(b, m, env)
			var peak int64
			for range b.N {
				cmd := exec.CommandContext(context.Background(), builds.binary(b, httpRelationPkg), "services", endpoint)
				cmd.Env = sim.Environ()
				var hwm int64
				_, err := runProcessPolled(cmd, &hwm)
				if err == nil || !strings.Contains(err.Error(), "exit status 1") {
					b.Fatalf("want exit status 1, got %v", err)
				}
				if hwm == 0 {
					b.Fatal("no peak RSS read from /proc for the hook process")
				}
				peak = max(peak, hwm)
			}
			b.ReportMetric(float64(peak)/1024, "MiB-rss")
			if peak >= maxServicesRSS {
				b.Fatalf("peak RSS %d KiB, want under %d KiB", peak, maxServicesRSS)
			}
		})
	}
}
