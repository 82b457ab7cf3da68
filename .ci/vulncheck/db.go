package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// osvEntry holds the fields of an OSV entry that the database index needs.
type osvEntry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

// The index files of the v1 database layout
// (https://go.dev/security/vuln/database#api): index/db.json,
// index/modules.json and index/vulns.json, beside ID/<id>.json.
type (
	dbMeta struct {
		Modified time.Time `json:"modified"`
	}
	moduleMeta struct {
		Path  string       `json:"path"`
		Vulns []moduleVuln `json:"vulns"`
	}
	// moduleVuln leaves out the optional "fixed" field. Clients only use
	// it to skip entries that cannot affect the version they look up, so
	// without it govulncheck reads every entry of a module it uses and
	// decides on the entry's own ranges: slower by a few files, never
	// wrong.
	moduleVuln struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
	}
	vulnMeta struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Aliases  []string  `json:"aliases,omitempty"`
	}
)

// buildDB lays out a vulnerability database in dst, an empty directory,
// from the OSV entries in src (the data/osv directory of the
// golang.org/x/vulndb module), in the layout govulncheck's file:// source
// reads. It returns the number of entries.
func buildDB(src, dst string) (int, error) {
	files, err := os.ReadDir(src)
	if err != nil {
		return 0, fmt.Errorf("read OSV entries: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dst, "ID"), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(dst, "index"), 0o755); err != nil {
		return 0, err
	}
	var (
		db      dbMeta
		modules = map[string]*moduleMeta{}
		vulns   []vulnMeta
	)
	for _, f := range files {
		if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			return 0, err
		}
		var e osvEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", f.Name(), err)
		}
		// The file name comes from the directory listing, so checking the
		// ID against it also keeps a hostile ID from naming a path.
		if e.ID == "" || f.Name() != e.ID+".json" {
			return 0, fmt.Errorf("%s: entry id %q does not match its file name", f.Name(), e.ID)
		}
		if err := os.WriteFile(filepath.Join(dst, "ID", f.Name()), raw, 0o644); err != nil {
			return 0, err
		}
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name}
				modules[a.Package.Name] = m
			}
			// An entry may list a module twice (two version ranges of one
			// module); the index names it once.
			if !slices.ContainsFunc(m.Vulns, func(v moduleVuln) bool { return v.ID == e.ID }) {
				m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
			}
		}
	}
	if len(vulns) == 0 {
		return 0, errors.New("no OSV entries in " + src)
	}

	slices.SortFunc(vulns, func(a, b vulnMeta) int { return strings.Compare(a.ID, b.ID) })
	index := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		slices.SortFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		index = append(index, m)
	}
	slices.SortFunc(index, func(a, b *moduleMeta) int { return strings.Compare(a.Path, b.Path) })

	for name, v := range map[string]any{"db.json": db, "modules.json": index, "vulns.json": vulns} {
		data, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dst, "index", name), data, 0o644); err != nil {
			return 0, err
		}
	}
	return len(vulns), nil
}
