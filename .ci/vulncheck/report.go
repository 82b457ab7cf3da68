package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/version"
	"io"
	"slices"
	"strings"
)

// The parts of govulncheck's JSON stream (golang.org/x/vuln
// internal/govulncheck, protocol v1.0.0) that the verdict needs.
type (
	message struct {
		Config *struct {
			ScannerVersion string `json:"scanner_version"`
			GoVersion      string `json:"go_version"`
			ScanLevel      string `json:"scan_level"`
		} `json:"config"`
		OSV *struct {
			ID      string   `json:"id"`
			Summary string   `json:"summary"`
			Aliases []string `json:"aliases"`
		} `json:"osv"`
		Finding *finding `json:"finding"`
	}
	finding struct {
		OSV          string   `json:"osv"`
		FixedVersion string   `json:"fixed_version"`
		Trace        []*frame `json:"trace"`
	}
	frame struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
		Receiver string `json:"receiver"`
		Position *struct {
			Filename string `json:"filename"`
			Line     int    `json:"line"`
		} `json:"position"`
	}
)

// Levels of a finding, from govulncheck's traces: the module is required,
// a vulnerable package is imported, or a vulnerable symbol is reachable
// from the module's code.
const (
	levelModule = iota + 1
	levelPackage
	levelSymbol
)

var levelNames = map[int]string{levelModule: "required", levelPackage: "imported", levelSymbol: "called"}

// vuln is everything govulncheck reported about one OSV entry.
type vuln struct {
	ID, Summary     string
	Aliases         []string
	Module, Version string // the vulnerable module as the build uses it
	Fixed           string // "" when no version fixes it
	Level           int
	Calls           []string // "symbol <- entry point (file:line)", at symbol level
}

// scan is a parsed govulncheck run.
type scan struct {
	Scanner, GoVersion string
	Vulns              []*vuln // sorted by ID
}

// parseStream reads govulncheck's -format json output.
func parseStream(r io.Reader) (*scan, error) {
	dec := json.NewDecoder(r)
	s := &scan{}
	byID := map[string]*vuln{}
	summaries := map[string]*vuln{}
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			if m.Config.ScanLevel != "symbol" {
				return nil, fmt.Errorf("govulncheck scanned at level %q, not symbol: reachability unknown", m.Config.ScanLevel)
			}
			s.Scanner, s.GoVersion = m.Config.ScannerVersion, m.Config.GoVersion
		case m.OSV != nil:
			summaries[m.OSV.ID] = &vuln{Summary: m.OSV.Summary, Aliases: m.OSV.Aliases}
		case m.Finding != nil:
			if err := addFinding(byID, m.Finding); err != nil {
				return nil, err
			}
		}
	}
	if s.Scanner == "" {
		return nil, errors.New("govulncheck output has no config message")
	}
	for id, v := range byID {
		if sum := summaries[id]; sum != nil {
			v.Summary, v.Aliases = sum.Summary, sum.Aliases
		}
		s.Vulns = append(s.Vulns, v)
	}
	slices.SortFunc(s.Vulns, func(a, b *vuln) int { return strings.Compare(a.ID, b.ID) })
	return s, nil
}

// addFinding merges one finding into the vuln of its OSV entry, which
// keeps the deepest level seen.
func addFinding(byID map[string]*vuln, f *finding) error {
	if f.OSV == "" || len(f.Trace) == 0 || f.Trace[0] == nil {
		return fmt.Errorf("govulncheck finding without an entry or a trace: %+v", f)
	}
	top := f.Trace[0]
	v := byID[f.OSV]
	if v == nil {
		v = &vuln{ID: f.OSV, Module: top.Module, Version: top.Version, Fixed: f.FixedVersion}
		byID[f.OSV] = v
	}
	level := levelModule
	switch {
	case top.Function != "":
		level = levelSymbol
		v.Calls = append(v.Calls, describeCall(f.Trace))
	case top.Package != "":
		level = levelPackage
	}
	v.Level = max(v.Level, level)
	return nil
}

// describeCall names the vulnerable symbol and the module's function that
// reaches it.
func describeCall(trace []*frame) string {
	entry := trace[len(trace)-1]
	where := ""
	if entry.Position != nil && entry.Position.Line > 0 {
		where = fmt.Sprintf(" (%s:%d)", entry.Position.Filename, entry.Position.Line)
	}
	return symbol(trace[0]) + " <- " + symbol(entry) + where
}

func symbol(f *frame) string {
	name := f.Function
	if f.Receiver != "" {
		name = strings.TrimPrefix(f.Receiver, "*") + "." + name
	}
	return f.Package + "." + name
}

// goDirective looks up the go line of a module version's go.mod; "" when
// it has none.
type goDirective func(module, version string) (string, error)

// verdict is the decision about one vuln.
type verdict struct {
	Fail   bool
	Reason string
}

// judge decides one vuln for a module that declares go goLine: only a
// reachable (called) vulnerability in a module, not the standard library,
// whose fixed version needs no newer Go than goLine fails the check.
func judge(v *vuln, goLine string, lookup goDirective) (verdict, error) {
	switch {
	case v.Module == "stdlib" || v.Module == "toolchain":
		return verdict{Reason: fmt.Sprintf("standard library of the toolchain that builds the charm (%s); fixed in %s",
			v.Version, orNone(v.Fixed))}, nil
	case v.Level < levelSymbol:
		return verdict{Reason: fmt.Sprintf("%s, never called: no code of this module reaches it", levelNames[v.Level])}, nil
	case v.Fixed == "":
		return verdict{Reason: "called, but no version of " + v.Module + " fixes it"}, nil
	}
	need, err := lookup(v.Module, v.Fixed)
	if err != nil {
		return verdict{}, fmt.Errorf("%s: go line of %s@%s: %w", v.ID, v.Module, v.Fixed, err)
	}
	if need != "" && version.Compare("go"+need, "go"+goLine) > 0 {
		return verdict{Reason: fmt.Sprintf("called; the fix, %s@%s, needs go %s, above this module's go %s", v.Module, v.Fixed, need, goLine)}, nil
	}
	return verdict{Fail: true, Reason: fmt.Sprintf("called, and %s@%s fixes it within go %s: upgrade", v.Module, v.Fixed, goLine)}, nil
}

func orNone(s string) string {
	if s == "" {
		return "no version"
	}
	return s
}

// report prints every vuln with its verdict and at most maxCalls of its
// call paths (all when maxCalls < 0), and returns how many fail.
func report(w io.Writer, s *scan, goLine string, lookup goDirective, maxCalls int) (int, error) {
	fmt.Fprintf(w, "govulncheck %s, standard library %s, module declares go %s\n", s.Scanner, s.GoVersion, goLine)
	failed := 0
	for _, v := range s.Vulns {
		vd, err := judge(v, goLine, lookup)
		if err != nil {
			return 0, err
		}
		mark := "ok  "
		if vd.Fail {
			mark = "FAIL"
			failed++
		}
		aliases := ""
		if len(v.Aliases) > 0 {
			aliases = " (" + strings.Join(v.Aliases, ", ") + ")"
		}
		fmt.Fprintf(w, "%s %s %-8s %s@%s%s: %s\n", mark, v.ID, levelNames[v.Level], v.Module, v.Version, aliases, v.Summary)
		fmt.Fprintf(w, "     %s\n", vd.Reason)
		calls := slices.Compact(slices.Sorted(slices.Values(v.Calls)))
		for i, c := range calls {
			if maxCalls >= 0 && i == maxCalls {
				fmt.Fprintf(w, "     ... and %d more\n", len(calls)-maxCalls)
				break
			}
			fmt.Fprintf(w, "     %s\n", c)
		}
	}
	fmt.Fprintf(w, "%d findings, %d failing\n", len(s.Vulns), failed)
	return failed, nil
}
