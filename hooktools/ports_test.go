package hooktools

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/charmkit/httprelation/toolsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPortString(t *testing.T) {
	for want, p := range map[string]Port{
		"80/tcp":        {Number: 80},
		"443/tcp":       {Protocol: "tcp", Number: 443},
		"53/udp":        {Protocol: "udp", Number: 53},
		"8000-8099/udp": {Protocol: "udp", Number: 8000, To: 8099},
		"icmp":          {Protocol: "icmp"},
	} {
		assert.Equal(t, want, p.String())
	}
}

func TestOpenPortRefusesWhatIsNoPort(t *testing.T) {
	for _, tc := range []struct {
		port Port
		want string
	}{
		{Port{}, "invalid port 0/tcp"},
		{Port{Number: 70000}, "invalid port 70000/tcp"},
		{Port{Number: -1}, "invalid port -1/tcp"},
		{Port{Number: 80, To: 80}, "invalid port 80-80/tcp"},
		{Port{Number: 90, To: 80}, "invalid port 90-80/tcp"},
		{Port{Number: 80, To: 65536}, "invalid port 80-65536/tcp"},
		{Port{Protocol: "xyz", Number: 80}, `invalid protocol "xyz", expected "tcp", "udp", or "icmp"`},
		{Port{Protocol: "TCP", Number: 80}, `invalid protocol "TCP"`},
		{Port{Protocol: "icmp", Number: 8}, "invalid port {icmp 8 0}: icmp has no ports"},
	} {
		r := answer(nil)
		tools := toolsOver(t, r, "")
		err := tools.OpenPort(context.Background(), tc.port)
		assert.ErrorContains(t, err, "open-port: "+tc.want)
		err = tools.ClosePort(context.Background(), tc.port)
		assert.ErrorContains(t, err, "close-port: "+tc.want)
		assert.Empty(t, r.seen(), "refused before any tool runs")
	}
}

func TestOpenedPortsReadsJujusForms(t *testing.T) {
	r := answer(map[string]string{"opened-ports --format=json": `["80/tcp","443/tcp","8000-8099/tcp","icmp","53/udp"]` + "\n"})
	got, err := toolsOver(t, r, "").OpenedPorts(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []Port{
		{Protocol: "tcp", Number: 80}, {Protocol: "tcp", Number: 443}, {Protocol: "tcp", Number: 8000, To: 8099},
		{Protocol: "icmp"}, {Protocol: "udp", Number: 53},
	}, got)
}

func TestOpenedPortsRefusesMalformedOutput(t *testing.T) {
	for _, out := range []string{
		"", "null", "{}", `[80]`, `[null]`, `["80/tcp","80/tcp"]`,
		`["80"]`, `["80/TCP"]`, `["80/icmp"]`, `["icmp/tcp"]`, `["/tcp"]`, `["080/tcp"]`, `["+80/tcp"]`,
		`["0/tcp"]`, `["65536/tcp"]`, `["99999999999999999999/tcp"]`, `["90-80/tcp"]`, `["80-80/tcp"]`, `["80-/tcp"]`,
		`["-80/tcp"]`, `["80-90-100/tcp"]`, `["80/tcp (*)"]`, `["80/tcp\n"]`,
	} {
		r := answer(map[string]string{"opened-ports --format=json": out})
		_, err := toolsOver(t, r, "").OpenedPorts(context.Background())
		require.ErrorIs(t, err, ErrBadOutput, "%q", out)
		assertPrintable(t, err.Error())
	}
}

// modelRunner runs the simulator's tools in-process against m.
type modelRunner struct {
	m     *toolsim.Model
	tools []string
}

func (r *modelRunner) Run(_ context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	r.tools = append(r.tools, strings.Join(append([]string{tool}, args...), " "))
	var out, errOut bytes.Buffer
	if code := r.m.Call(nil, bytes.NewReader(stdin), &out, &errOut, tool, args...); code != 0 {
		return nil, &ToolError{Tool: tool, Args: args, ExitCode: code, Message: strings.TrimPrefix(strings.TrimSpace(errOut.String()), "ERROR ")}
	}
	return out.Bytes(), nil
}

// TestSetPorts: the unit ends with exactly the ports asked for, through
// the fewest open-port and close-port calls, and a bad port changes
// nothing.
func TestSetPorts(t *testing.T) {
	ctx := context.Background()
	r := &modelRunner{m: &toolsim.Model{Unit: "web/0"}}
	unit, err := NewUnit(WithRunner(r), WithEnv(Env{Unit: "web/0"}))
	require.NoError(t, err)
	tools := ToolsOf(unit)
	opened := func() []string {
		ports, err := tools.OpenedPorts(ctx)
		require.NoError(t, err)
		var names []string
		for _, p := range ports {
			names = append(names, p.String())
		}
		return names
	}

	require.NoError(t, tools.SetPorts(ctx, Port{Number: 8080}, Port{Number: 9090}, Port{Protocol: "tcp", Number: 8080}))
	assert.Equal(t, []string{"8080/tcp", "9090/tcp"}, opened())

	r.tools = nil
	require.NoError(t, tools.SetPorts(ctx, Port{Number: 9090}, Port{Protocol: "udp", Number: 53}))
	assert.Equal(t, []string{"opened-ports --format=json", "close-port 8080/tcp", "open-port 53/udp"}, r.tools,
		"one read; 9090 stays as it is")
	assert.Equal(t, []string{"9090/tcp", "53/udp"}, opened())

	r.tools = nil
	assert.Error(t, tools.SetPorts(ctx, Port{Number: 80}, Port{Number: 70000}))
	assert.Empty(t, r.tools, "refused before any tool runs")

	require.NoError(t, tools.SetPorts(ctx))
	assert.Empty(t, opened(), "no port: every port closed")
}
