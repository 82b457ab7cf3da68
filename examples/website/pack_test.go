package main

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Charmcraft packs the charm from this directory alone: its managed mode
// mounts nothing else, and a part's local source cannot reach the module
// root in --destructive-mode either. So the binary is built first, by the
// command README.md shows (buildCommand), and charmcraft.yaml's part copies
// this directory (plugin dump, source ".") and stages what the charm runs.
// The tests pack a copy of this directory alone with packCharm
// (charmcraft_test.go), and checkCharm checks what the charm then holds.
// This file is the same in every example charm: the name comes from
// metadata.yaml.

// buildCommand is the build README.md shows, run in the charm directory:
// a static binary (no cgo, so no libc to match) for linux/amd64, the
// architecture of charmcraft.yaml's platforms.
func buildCommand(name string) (env, args []string) {
	return []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"},
		[]string{"build", "-trimpath", "-o", "bin/" + name, "."}
}

// relation is an endpoint in metadata.yaml.
type relation struct {
	Interface string `yaml:"interface"`
}

// charmMetadata is metadata.yaml, read strictly.
type charmMetadata struct {
	Name        string              `yaml:"name"`
	DisplayName string              `yaml:"display-name"`
	Summary     string              `yaml:"summary"`
	Description string              `yaml:"description"`
	Provides    map[string]relation `yaml:"provides"`
	Requires    map[string]relation `yaml:"requires"`
	Peers       map[string]relation `yaml:"peers"`
}

// option is an option of config.yaml.
type option struct {
	Type        string `yaml:"type"`
	Default     any    `yaml:"default"`
	Description string `yaml:"description"`
}

// readOptions reads config.yaml strictly, and returns its options with
// their type and default: what the code has to agree with. Every option
// must have a description.
func readOptions(t *testing.T) map[string]option {
	t.Helper()
	var cfg struct {
		Options map[string]option `yaml:"options"`
	}
	require.NoError(t, readStrict(".", "config.yaml", &cfg))
	for name, opt := range cfg.Options {
		assert.NotEmpty(t, opt.Description, name)
		opt.Description = ""
		cfg.Options[name] = opt
	}
	return cfg.Options
}

// elfMachine is the ELF machine of a charmcraft architecture.
func elfMachine(arch string) (elf.Machine, bool) {
	m, ok := map[string]elf.Machine{
		"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "armhf": elf.EM_ARM,
		"ppc64el": elf.EM_PPC64, "riscv64": elf.EM_RISCV, "s390x": elf.EM_S390,
	}[arch]
	return m, ok
}

// architectures are the architectures of charmcraft.yaml's platforms.
func (c charmcraftFile) architectures() ([]string, error) {
	var archs []string
	for platform := range c.Platforms {
		_, arch, ok := strings.Cut(platform, ":")
		if _, known := elfMachine(arch); !ok || !known {
			return nil, fmt.Errorf("platform %q: want <base>:<arch> with a known arch", platform)
		}
		archs = append(archs, arch)
	}
	slices.Sort(archs)
	return slices.Compact(archs), nil
}

// checkCharm checks the charm packed from dir into prime: it holds
// bin/<name>, dispatch, metadata.yaml and config.yaml and nothing else;
// dispatch is executable and runs bin/<name>; the binary is executable,
// statically linked (no program interpreter, no dynamic section: the
// machine's libc does not matter) and built for the architecture of every
// platform; metadata.yaml and config.yaml are dir's.
func checkCharm(prime, dir string) error {
	var meta charmMetadata
	var cc charmcraftFile
	if err := errors.Join(readStrict(dir, "metadata.yaml", &meta), readStrict(dir, "charmcraft.yaml", &cc)); err != nil {
		return err
	}
	archs, err := cc.architectures()
	if err != nil {
		return err
	}
	files, err := selectFiles(prime, nil)
	if err != nil {
		return err
	}
	var errs []error
	if want := []string{"bin/" + meta.Name, "config.yaml", "dispatch", "metadata.yaml"}; !slices.Equal(files, want) {
		errs = append(errs, fmt.Errorf("the charm holds %q, want %q", files, want))
	}
	script := "#!/bin/sh\nexec \"${JUJU_CHARM_DIR:-.}/bin/" + meta.Name + "\" \"$@\"\n"
	errs = append(errs, sameFile(prime, "dispatch", []byte(script)), checkExecutable(prime, "dispatch"), checkBinary(prime, "bin/"+meta.Name, archs))
	for _, f := range []string{"metadata.yaml", "config.yaml"} {
		source, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil {
			err = sameFile(prime, f, source)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// sameFile checks that dir/name holds want.
func sameFile(dir, name string, want []byte) error {
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s is %q, want %q", name, got, want)
	}
	return nil
}

// checkExecutable checks that dir/name is a regular file everyone may run.
func checkExecutable(dir, name string) error {
	info, err := os.Lstat(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o111 != 0o111 {
		return fmt.Errorf("%s: mode %v, want an executable file", name, info.Mode())
	}
	return nil
}

// checkBinary checks that dir/name is an executable, statically linked
// ELF binary for each of archs.
func checkBinary(dir, name string, archs []string) error {
	if err := checkExecutable(dir, name); err != nil {
		return err
	}
	f, err := elf.Open(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	var errs []error
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			errs = append(errs, fmt.Errorf("%s: dynamically linked (%v): build it with CGO_ENABLED=0", name, p.Type))
		}
	}
	if f.Section(".dynamic") != nil {
		errs = append(errs, fmt.Errorf("%s: has a .dynamic section", name))
	}
	for _, arch := range archs {
		if want, _ := elfMachine(arch); f.Machine != want {
			errs = append(errs, fmt.Errorf("%s: built for %v, platform arch %s runs %v", name, f.Machine, arch, want))
		}
	}
	return errors.Join(errs...)
}

// charmName is the charm's name in this directory's metadata.yaml.
func charmName(t *testing.T) string {
	t.Helper()
	var meta charmMetadata
	require.NoError(t, readStrict(".", "metadata.yaml", &meta))
	require.NotEmpty(t, meta.Name)
	return meta.Name
}

// copyCharmDir copies this directory, as charmcraft sees it, to a
// temporary directory: without bin/, which the test then builds.
func copyCharmDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, copyTree(".", dir, []string{"bin"}))
	return dir
}

// packedWith packs this charm with binary as its bin/<name>, and returns
// the charm's files as Juju unpacks them.
func packedWith(t *testing.T, binary string) string {
	t.Helper()
	dir := copyCharmDir(t)
	// toolsim.TestMain builds the charm on its first run: run it once,
	// outside any hook (it refuses to work there), before copying it.
	_ = exec.Command(binary).Run()
	data, err := os.ReadFile(binary)
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bin", charmName(t)), data, 0o755))
	prime, err := packCharm(dir, t.TempDir())
	require.NoError(t, err)
	return prime
}

// TestPackShipsTheCharm builds the binary with buildCommand, packs a copy
// of this directory alone as charmcraft does, and checks the charm.
func TestPackShipsTheCharm(t *testing.T) {
	name := charmName(t)
	dir := copyCharmDir(t)
	env, args := buildCommand(name)
	args[slices.Index(args, "bin/"+name)] = filepath.Join(dir, "bin", name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	prime, err := packCharm(dir, t.TempDir())
	require.NoError(t, err)
	require.NoError(t, checkCharm(prime, dir))
}

// TestREADMEShowsTheBuild keeps the build command that README.md, doc.go
// and charmcraft.yaml show the one TestPackShipsTheCharm runs.
func TestREADMEShowsTheBuild(t *testing.T) {
	env, args := buildCommand(charmName(t))
	command := strings.Join(env, " ") + " go " + strings.Join(args, " ") + "\n"
	for _, file := range []string{"README.md", "doc.go", "charmcraft.yaml"} {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.True(t, strings.Contains(string(text), command), "%s does not show %q", file, command)
	}
}

// writeELF writes a minimal ELF executable for machine whose one program
// header is of type prog: what checkBinary reads of a real binary.
func writeELF(t *testing.T, path string, machine elf.Machine, prog elf.ProgType) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, binary.Write(&b, binary.LittleEndian, elf.Header64{
		Ident:   [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)},
		Type:    uint16(elf.ET_EXEC),
		Machine: uint16(machine),
		Version: uint32(elf.EV_CURRENT),
		Phoff:   64, Ehsize: 64, Phentsize: 56, Phnum: 1,
	}))
	require.NoError(t, binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(prog)}))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o755))
	require.NoError(t, os.Chmod(path, 0o755))
}

// TestPackCatchesWhatCharmcraftWouldNotShip packs a copy of this charm,
// with a stand-in static binary, broken one way at a time: packCharm
// refuses what it does not emulate, and checkCharm what must not ship.
func TestPackCatchesWhatCharmcraftWouldNotShip(t *testing.T) {
	name := charmName(t)
	edit := func(file, old, new string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			data, err := os.ReadFile(filepath.Join(dir, file))
			require.NoError(t, err)
			edited := strings.Replace(string(data), old, new, 1)
			require.NotEqual(t, string(data), edited, "%s has no %q", file, old)
			require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(edited), 0o644))
		}
	}
	tests := []struct {
		name              string
		change            func(*testing.T, string)
		packErr, checkErr string // what the error says; "" for none
	}{
		{name: "as it is"},
		{name: "source outside the charm", change: edit("charmcraft.yaml", "source: .\n", "source: ../..\n"), packErr: `source "../.."`},
		{name: "build step", change: edit("charmcraft.yaml", "source: .\n", "source: .\n    override-build: go build .\n"), packErr: "override-build"},
		{name: "stage wildcard", change: edit("charmcraft.yaml", "- dispatch\n", "- '*'\n"), packErr: `"*"`},
		{name: "binary not built", change: func(t *testing.T, dir string) { require.NoError(t, os.RemoveAll(filepath.Join(dir, "bin"))) }, packErr: "bin/" + name},
		{name: "unknown key", change: edit("charmcraft.yaml", "    stage:\n", "    stage-files:\n"), packErr: "stage-files"},
		{name: "everything staged", change: edit("charmcraft.yaml", "    stage:\n      - bin/"+name+"\n      - dispatch\n", ""), checkErr: "main.go"},
		{name: "dispatch not shipped", change: edit("charmcraft.yaml", "      - dispatch\n", ""), checkErr: `"dispatch"`},
		{name: "dispatch not executable", change: func(t *testing.T, dir string) { require.NoError(t, os.Chmod(filepath.Join(dir, "dispatch"), 0o644)) }, checkErr: "dispatch: mode"},
		{name: "dynamic binary", change: func(t *testing.T, dir string) {
			writeELF(t, filepath.Join(dir, "bin", name), elf.EM_X86_64, elf.PT_INTERP)
		}, checkErr: "dynamically linked"},
		{name: "platform of another arch", change: edit("charmcraft.yaml", "  ubuntu@24.04:amd64:\n", "  ubuntu@24.04:arm64:\n"), checkErr: "arch arm64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyCharmDir(t)
			writeELF(t, filepath.Join(dir, "bin", name), elf.EM_X86_64, elf.PT_LOAD)
			if tt.change != nil {
				tt.change(t, dir)
			}
			prime, err := packCharm(dir, t.TempDir())
			if tt.packErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.packErr)
				return
			}
			require.NoError(t, err)
			err = checkCharm(prime, dir)
			if tt.checkErr == "" {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.checkErr)
			}
		})
	}
}
