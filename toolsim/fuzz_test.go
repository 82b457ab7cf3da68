package toolsim

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmkit/httprelation/internal/testcompat"
)

// FuzzMain feeds arbitrary arguments and input to every tool through the
// simulator binary's entry point, RunTool: whatever comes in, a tool
// answers with an exit status Juju uses and never panics.
func FuzzMain(f *testing.F) {
	for _, name := range transcriptNames {
		for _, c := range loadTranscript(f, name).Calls {
			stdin := ""
			if c.Stdin != nil {
				stdin = *c.Stdin
			}
			f.Add(strings.Join(c.Args, "\x00"), stdin)
		}
	}
	f.Add("relation-set\x00-r\x002\x00--file\x00-", "a: [1, {b: c}]\n? [x]\n: y\n")
	f.Add("network-get\x00-r=\x00bare\x00--ingress-address\x00--bind-address", "")
	f.Add("state-set\x00--file=-", "\xff\xfe: \"\\u0000\"\n")
	m := baseModel(f)
	m.Networks["bare"] = Network{BindAddresses: []BindAddress{{}}}
	p := newInProc(f, m, map[string]string{"JUJU_RELATION_ID": "backends:4", "JUJU_REMOTE_UNIT": "shop/0"})
	delete(p.env, "TOOLSIM_LOG")
	f.Fuzz(func(t *testing.T, argv, stdin string) {
		args := strings.Split(argv, "\x00")
		if !isTool(args[0]) {
			return // not a tool: RunTool leaves it to the command line
		}
		for _, a := range args {
			if strings.Contains(a, "/dev") || strings.Contains(a, "..") || strings.HasPrefix(a, "/") {
				return // -o and --file must stay inside the temporary directory
			}
		}
		testcompat.Chdir(t, t.TempDir())
		var out, errOut bytes.Buffer
		code, _ := RunTool(args[0], args[1:], func(k string) string { return p.env[k] }, strings.NewReader(stdin), &out, &errOut)
		if code < 0 || code > 2 {
			t.Fatalf("exit %d for %q", code, args)
		}
		if code != 0 && !strings.Contains(errOut.String(), "ERROR ") && !strings.Contains(errOut.String(), "Usage") {
			t.Fatalf("exit %d without an error message for %q: %q", code, args, errOut.String())
		}
	})
}
