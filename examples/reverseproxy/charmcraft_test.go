package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v2"
)

// What charmcraft does with charmcraft.yaml, as far as this charm uses it,
// as read in charmcraft 4.4 and craft-parts 2.35: packCharm packs a charm
// directory as "charmcraft pack" does, so that pack_test.go can check the
// charm without charmcraft. This file is the same in every example charm.

// charmcraftFile is the part of charmcraft.yaml that packCharm emulates.
// It is read strictly: a key it does not know is an error, so a change to
// charmcraft.yaml fails the tests until the emulation understands it.
type charmcraftFile struct {
	Type string `yaml:"type"`
	// Platforms uses the shorthand "<base>:<arch>", with no value.
	Platforms map[string]*struct{}      `yaml:"platforms"`
	Parts     map[string]charmcraftPart `yaml:"parts"`
}

// charmcraftPart is a part of charmcraft.yaml.
type charmcraftPart struct {
	Plugin string   `yaml:"plugin"`
	Source string   `yaml:"source"`
	Stage  []string `yaml:"stage"`
	Prime  []string `yaml:"prime"`
}

// readStrict decodes the YAML file dir/name into v, refusing unknown keys.
func readStrict(dir, name string, v any) error {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// packCharm packs the charm in dir as charmcraft does, working in the
// directory work, and returns the directory that becomes the .charm file:
// the prime directory, with the files charmcraft adds.
//
// For each part, as craft-parts does: pull copies the source, leaving out
// at its top level what charmcraft and craft-parts ignore there
// (charmcraft.yaml, *.charm, .craft, and the parts, stage, prime and
// overlay directories that --destructive-mode makes in the charm
// directory); the dump plugin's build copies that into the part's install
// directory (cp --archive); stage copies what the stage list selects into
// the stage directory; prime copies from there what the prime list
// selects, or the stage list when prime names nothing. Then charmcraft
// writes metadata.yaml and config.yaml into the prime directory, copies of
// dir's, and a manifest.yaml that packCharm leaves out. It adds no
// dispatch: it writes one only for a Python charm's src/charm.py.
//
// Anything else charmcraft.yaml could say is refused: another plugin or
// source, stage or prime entries with wildcards or exclusions.
func packCharm(dir, work string) (string, error) {
	var cc charmcraftFile
	if err := readStrict(dir, "charmcraft.yaml", &cc); err != nil {
		return "", err
	}
	if cc.Type != "charm" || len(cc.Parts) == 0 {
		return "", fmt.Errorf("charmcraft.yaml: type %q with %d parts, want a charm with parts", cc.Type, len(cc.Parts))
	}
	stage, prime := filepath.Join(work, "stage"), filepath.Join(work, "prime")
	for _, name := range slices.Sorted(maps.Keys(cc.Parts)) {
		part := cc.Parts[name]
		if part.Plugin != "dump" || filepath.Clean(part.Source) != "." {
			return "", fmt.Errorf("part %s: plugin %q, source %q: charmcraft sees only the charm directory (plugin dump, source .)", name, part.Plugin, part.Source)
		}
		install := filepath.Join(work, "parts", name, "install")
		ignored := []string{"charmcraft.yaml", "*.charm", ".craft", "parts", "stage", "prime", "overlay"}
		if err := copyTree(dir, install, ignored); err != nil {
			return "", fmt.Errorf("part %s: pull and build: %w", name, err)
		}
		staged, err := selectFiles(install, part.Stage)
		if err == nil {
			err = copyFiles(install, stage, staged)
		}
		if err != nil {
			return "", fmt.Errorf("part %s: stage: %w", name, err)
		}
		primeList := part.Prime
		if len(primeList) == 0 {
			primeList = part.Stage
		}
		primed, err := selectFiles(install, primeList)
		if err == nil {
			err = copyFiles(stage, prime, primed)
		}
		if err != nil {
			return "", fmt.Errorf("part %s: prime: %w", name, err)
		}
	}
	for _, f := range []string{"metadata.yaml", "config.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			continue
		}
		// Charmcraft's copy replaces a file of that name that a part primed.
		if err := os.Remove(filepath.Join(prime, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if err := copyFiles(dir, prime, []string{f}); err != nil {
			return "", err
		}
	}
	return prime, nil
}

// selectFiles lists the files below root that a stage or prime list
// selects, relative to root and sorted: every file for an empty list, else
// each entry's file, or every file below it for a directory. A missing
// entry is an error, as it is when craft-parts migrates it.
func selectFiles(root string, entries []string) ([]string, error) {
	if len(entries) == 0 {
		entries = []string{"."}
	}
	var files []string
	for _, e := range entries {
		if strings.ContainsAny(e, `*?[\`) || strings.HasPrefix(e, "-") || !filepath.IsLocal(e) {
			return nil, fmt.Errorf("entry %q: only plain relative paths are emulated", e)
		}
		err := filepath.WalkDir(filepath.Join(root, e), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, path)
				files = append(files, filepath.ToSlash(rel))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// copyTree copies the directory src to dst, leaving out the entries of
// src's top level that match a pattern of ignored.
func copyTree(src, dst string, ignored []string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		for _, pattern := range ignored {
			if match, _ := filepath.Match(pattern, rel); match {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		if !d.IsDir() {
			return copyFiles(src, dst, []string{rel})
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.MkdirAll(filepath.Join(dst, rel), info.Mode().Perm())
	})
}

// copyFiles copies the regular files of from named by rel (relative
// paths) to the same names in to, keeping their mode. Anything else, a
// symbolic link included, is refused, and so is a file that is already
// there: two parts staging one file conflict.
func copyFiles(from, to string, rel []string) error {
	for _, name := range rel {
		src, dst := filepath.Join(from, name), filepath.Join(to, name)
		info, err := os.Lstat(src)
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: %v is not a regular file", name, info.Mode().Type())
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		// Chmod: the mode OpenFile gave went through the umask.
		if err = errors.Join(err, f.Close(), os.Chmod(dst, info.Mode().Perm())); err != nil {
			return err
		}
	}
	return nil
}
