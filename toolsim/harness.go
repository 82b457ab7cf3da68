package toolsim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmkit/httprelation/internal/simtool"
)

// Sim is a simulated hook environment on disk, like httptest.Server is a
// server: tool symlinks in Dir, the model at ModelPath, the call log at
// LogPath. Run a charm or the accessor with Environ as its environment.
type Sim struct {
	Dir, ModelPath, LogPath string

	mu      sync.Mutex
	hookEnv map[string]string
	path    []string // nil: the tools, then the test process's PATH
}

// Start builds the simulator (once per test process), lays out a Sim in a
// test temporary directory, writes m to it and sets the hook environment:
// hookEnv, or when it is nil the model's own (see [Model.HookEnv]). It
// fails the test on any error, a model that does not pass
// [Model.Validate] included.
func Start(t testing.TB, m *Model, hookEnv map[string]string) *Sim {
	t.Helper()
	bin, err := sharedBinary()
	if err != nil {
		t.Fatalf("toolsim: %v", err)
	}
	s, err := NewSim(bin, t.TempDir(), m, hookEnv)
	if err != nil {
		t.Fatalf("toolsim: %v", err)
	}
	return s
}

// NewSim is Start for programs: binary is a hook-tool-sim built from
// github.com/charmkit/httprelation/cmd/hook-tool-sim (go build, go
// install) and dir an existing directory that receives bin/ (the tool
// symlinks), model.json and calls.jsonl. A relative CharmDir in m is made
// absolute from the working directory.
func NewSim(binary, dir string, m *Model, hookEnv map[string]string) (*Sim, error) {
	if m == nil {
		return nil, errors.New("new sim: nil model")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("new sim: %w", err)
	}
	if m.CharmDir != "" && !filepath.IsAbs(m.CharmDir) {
		abs, err := filepath.Abs(m.CharmDir)
		if err != nil {
			return nil, fmt.Errorf("new sim: %w", err)
		}
		m = m.Clone()
		m.CharmDir = abs
	}
	if hookEnv == nil {
		hookEnv = m.HookEnv()
	}
	s := &Sim{
		Dir:       filepath.Join(dir, "bin"),
		ModelPath: filepath.Join(dir, "model.json"),
		LogPath:   filepath.Join(dir, "calls.jsonl"),
		hookEnv:   maps.Clone(hookEnv),
	}
	if err := simtool.Install(binary, s.Dir); err != nil {
		return nil, fmt.Errorf("new sim: %w", err)
	}
	if err := m.WriteFile(s.ModelPath); err != nil {
		return nil, fmt.Errorf("new sim: %w", err)
	}
	if err := os.WriteFile(s.LogPath, nil, 0o644); err != nil {
		return nil, fmt.Errorf("new sim: %w", err)
	}
	return s, nil
}

// SetHookEnv replaces the hook variables (JUJU_HOOK_NAME, JUJU_RELATION_ID,
// ...) used by later Environ calls, to move from one hook to the next.
func (s *Sim) SetHookEnv(env map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookEnv = maps.Clone(env)
}

// SetPath makes the PATH of what the Sim runs the tool directory followed
// by dirs only, so that a charm under test cannot reach the machine's own
// systemctl, apt-get or haproxy by accident. A PATH in the hook variables
// still wins.
func (s *Sim) SetPath(dirs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.path = append([]string{}, dirs...)
}

// Environ returns os.Environ() with the tools first on PATH, TOOLSIM_MODEL
// and TOOLSIM_LOG set, and the hook variables applied. JUJU_* variables of
// the calling process are dropped so they cannot leak into the hook.
func (s *Sim) Environ() []string {
	s.mu.Lock()
	set, path := maps.Clone(s.hookEnv), s.pathLocked()
	s.mu.Unlock()
	return s.environ(set, path)
}

// pathLocked is the PATH after the tool directory; s.mu is held.
func (s *Sim) pathLocked() string {
	if s.path != nil {
		return strings.Join(s.path, string(os.PathListSeparator))
	}
	return os.Getenv("PATH")
}

// environ is Environ with the hook variables set and the PATH after the
// tool directory given.
func (s *Sim) environ(set map[string]string, path string) []string {
	if set == nil {
		set = map[string]string{}
	}
	if path != "" {
		path = string(os.PathListSeparator) + path
	}
	defaults := map[string]string{
		"PATH":          s.Dir + path,
		"TOOLSIM_MODEL": s.ModelPath,
		"TOOLSIM_LOG":   s.LogPath,
	}
	for k, v := range defaults {
		if _, ok := set[k]; !ok {
			set[k] = v
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok || strings.HasPrefix(k, "JUJU_") {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		env = append(env, k+"="+set[k])
	}
	return env
}

// command prepares a hook tool (or any program) to run in the simulated
// hook: a tool name resolves to its symlink in Dir.
func (s *Sim) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	if isTool(name) {
		name = filepath.Join(s.Dir, name)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = s.Environ()
	return cmd
}

// Model returns the model as the tools have left it.
func (s *Sim) Model() (*Model, error) {
	return loadModel(s.ModelPath)
}
