package httprelation_test

import (
	"bufio"
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// TestNamesAgainstResolver proves the class 1 rule against the real C
// resolver, through getent (glibc's getaddrinfo on Debian and Ubuntu, where
// charms run):
//
//   - every string of numericNames is refused by CheckAddress, and getent
//     does read it as the IPv4 address the table says: the table holds
//     real cases, not imagined ones;
//   - every name of this package's tables that CheckAddress accepts as a
//     DNS name does not resolve unless it is in /etc/hosts or is the
//     machine's own name. The names are chosen under reserved or unused
//     domains, so they resolve in no DNS; the sandbox has no DNS at all.
//     getaddrinfo reads numbers before asking any name service, so a
//     number in disguise would resolve here, with or without DNS.
func TestNamesAgainstResolver(t *testing.T) {
	getent, err := exec.LookPath("getent")
	if err != nil {
		t.Skip("getent is not installed: nothing to check the rule against")
	}
	local := localNames(t)

	t.Run("numbers", func(t *testing.T) {
		for _, n := range numericNames {
			t.Run(n.name, func(t *testing.T) {
				t.Parallel()
				require.ErrorIs(t, httprelation.CheckAddress(n.name), httprelation.ErrInvalidAddress)
				addrs := resolve(t, getent, n.name)
				require.NotEmpty(t, addrs, "getent does not read %q as a number: the table is wrong", n.name)
				assert.Equal(t, n.ipv4, addrs[0])
			})
		}
	})
	t.Run("names", func(t *testing.T) {
		names := dnsNamesOfTables()
		require.GreaterOrEqual(t, len(names), 20)
		for _, name := range names {
			if local[strings.ToLower(name)] {
				continue
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				assert.Empty(t, resolve(t, getent, name), "%q passes as a DNS name, yet the resolver reads it without DNS", name)
			})
		}
	})
}

// dnsNamesOfTables is every string of this package's address tables that
// CheckAddress accepts as a DNS name, in its spelling before and after
// canonicalization.
func dnsNamesOfTables() []string {
	var candidates []string
	candidates = append(candidates, nearNumericNames...)
	candidates = append(candidates, digitLedNames...)
	for _, n := range numericNames {
		candidates = append(candidates, n.name)
	}
	for _, c := range canonicalCases {
		candidates = append(candidates, c.in, c.want)
	}
	candidates = append(candidates, exactKeyNames...)
	candidates = append(candidates, nearLoopbackNames...)
	var names []string
	for _, s := range candidates {
		if _, err := netip.ParseAddr(s); err != nil && httprelation.CheckAddress(s) == nil {
			names = append(names, s)
		}
	}
	return names
}

// resolve returns the addresses getent ahosts prints for name, none when
// it finds nothing (exit status 2).
func resolve(t *testing.T, getent, name string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, getent, "ahosts", name).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		return nil
	}
	require.NoError(t, err, "getent ahosts %q", name)
	var addrs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			addrs = append(addrs, fields[0])
		}
	}
	return addrs
}

// localNames are the names the resolver answers without DNS: those of
// /etc/hosts, the machine's own (nss-myhostname) and localhost.
func localNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{"localhost": true}
	if h, err := os.Hostname(); err == nil {
		names[strings.ToLower(h)] = true
	}
	f, err := os.Open("/etc/hosts")
	if errors.Is(err, os.ErrNotExist) {
		return names
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		for i := 1; i < len(fields); i++ {
			names[strings.ToLower(fields[i])] = true
		}
	}
	require.NoError(t, sc.Err())
	return names
}
