package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// unitHeader is the response header a website unit names itself in.
const unitHeader = "X-Unit"

// tally is what one round of requests found.
type tally struct {
	// answered counts the responses of each unit.
	answered map[string]int
	// failed counts requests without a proper answer; firstErr is the
	// first of them.
	failed   int
	firstErr error
}

// trafficClient sends each request on a new connection, so that the proxy
// balances requests rather than connections and no connection outlives a
// proxy reload.
var trafficClient = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// sendRequests sends n GET requests to the proxy at addr and counts who
// answered. A unit's answer is its name in the X-Unit header and again,
// with a newline, as the body; anything else is a failure.
func sendRequests(ctx context.Context, addr string, n int) tally {
	t := tally{answered: map[string]int{}}
	for range n {
		unit, err := ask(ctx, "http://"+addr+"/")
		if err != nil {
			t.failed++
			if t.firstErr == nil {
				t.firstErr = err
			}
			continue
		}
		t.answered[unit]++
	}
	return t
}

// ask sends one request and returns the unit that answered it.
func ask(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := trafficClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s: %q", resp.Status, body)
	}
	unit := resp.Header.Get(unitHeader)
	if unit == "" || string(body) != unit+"\n" {
		return "", fmt.Errorf("answer %q with %s %q is not a unit's", body, unitHeader, unit)
	}
	return unit, nil
}

// line formats the tally as "web/0=10 web/1=10 failed=0": every unit in
// units, even with no answer, then any other name that answered.
func (t tally) line(units []string) string {
	names := slices.Clone(units)
	for u := range t.answered {
		if !slices.Contains(names, u) {
			names = append(names, u)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, u := range names {
		fmt.Fprintf(&b, "%s=%d ", u, t.answered[u])
	}
	fmt.Fprintf(&b, "failed=%d", t.failed)
	return b.String()
}

// check verifies that every unit in live answered and nobody else did:
// neither a unit in gone nor any name the demo did not start.
func (t tally) check(live, gone []string) error {
	if t.failed > 0 {
		return fmt.Errorf("%d requests failed, first: %w", t.failed, t.firstErr)
	}
	for _, u := range live {
		if t.answered[u] == 0 {
			return fmt.Errorf("unit %s got no request", u)
		}
	}
	for u, n := range t.answered {
		if slices.Contains(gone, u) {
			return fmt.Errorf("unit %s answered %d requests but must get none", u, n)
		}
		if !slices.Contains(live, u) {
			return fmt.Errorf("unknown unit %q answered %d requests", u, n)
		}
	}
	return nil
}
