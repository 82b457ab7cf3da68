//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

// Package statefile keeps a charm's flags in a JSON file of its own,
// outside Juju's controller-side charm state: an httprelation.Store for
// charms that want their flags under the charm directory.
//
//	flags, err := httprelation.NewRegistry(ctx, statefile.InCharmDir(unit.CharmDir))
//
// It needs syscall.Flock, which exists on Linux and the BSDs but not on
// Windows, Solaris or AIX. Juju runs charms on Linux only.
package statefile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/statekey"
)

// ErrCorrupt reports a state file that cannot be decoded. It is never
// silently replaced by empty state, because that would re-run every
// one-off handler of the charm.
var ErrCorrupt = errors.New("corrupt state")

// ErrTooLarge reports a state file past MaxFileSize bytes or MaxKeys
// keys, which Load refuses to read, or a Save that would write one, which
// writes nothing. Like a corrupt file, a file too large is left alone.
var ErrTooLarge = errors.New("state file too large")

// Bounds of a state file, the same as those of hooktools' store over
// Juju's charm state (hooktools.MaxStateOutput, MaxStateKeys), so that a
// charm may keep its state in either: the file is read up to MaxFileSize
// bytes, twice Juju's default max-charm-state-size of 2 MiB, and decoded
// up to MaxKeys keys; each key costs a few hundred bytes decoded however
// short it is. A charm's flags, change detectors and incremental views
// are some tens of keys, in far less.
const (
	MaxFileSize = statekey.MaxLoadBytes
	MaxKeys     = statekey.MaxLoadKeys
)

// File is an httprelation.Store kept in one JSON file, for charms that
// want their flags outside Juju's controller-side state (state-get /
// state-set).
//
// Save replaces the file atomically (temporary file, fsync, rename, fsync
// of the directory), so a crash leaves the old or the new state, never a
// mix. Saves from several processes or goroutines are serialised with
// flock(2) on a lock file beside the state file (path + ".lock"), which is
// left in place; this requires Linux or another Unix with flock.
//
// A file that cannot be decoded is reported with ErrCorrupt, naming
// the file, and left alone; a missing file is empty state. A string in
// the file that is not valid UTF-8 (raw bytes, or a \u escape of half a
// surrogate pair) counts as undecodable, since decoding it would silently
// change it; Save likewise refuses a key or value that is not valid UTF-8.
// A file of more than MaxFileSize bytes or MaxKeys keys is reported with
// ErrTooLarge before it is decoded, and left alone too; Save refuses to
// write one.
//
// The state is private to the process's user, and File never writes
// through a path someone else prepared (ErrUnsafe):
//
//   - the state directory is created with mode 0700; an existing one must
//     be a real directory (not a symbolic link), owned by the process's
//     effective user, with no permission for group or others. One that
//     is open to them is refused, not tightened: it may be shared with
//     other programs, and others may already have put files in it. Fix it
//     with chmod 700.
//   - the state file and the lock file must be regular files owned by
//     that user. A symbolic link is refused, never followed or replaced;
//     a FIFO, device, socket or directory is refused without waiting on
//     it (the open is non-blocking), so Load cannot hang on it.
//   - a state or lock file open to group or others (0644, say) is
//     tightened to 0600 when it is opened: it sits in a directory that
//     only the user can enter, so no one else can have changed it. Save
//     writes every new file with 0600.
//
// The directory's parent and the path leading to it are trusted.
type File struct {
	path string
}

// New returns a File using the file at path. Nothing is read or created
// until Load or Save.
func New(path string) *File {
	return &File{path: path}
}

// InCharmDir returns the File at <charmDir>/.httprelation/state.json.
func InCharmDir(charmDir string) *File {
	return New(filepath.Join(charmDir, ".httprelation", "state.json"))
}

// Path returns the state file's path.
func (s *File) Path() string {
	return s.path
}

// Load reads the state file. It takes no lock: Save renames complete
// files into place, so a reader sees one whole version.
func (s *File) Load(ctx context.Context) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	exists, err := checkStateDir(filepath.Dir(s.path))
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	if !exists {
		return map[string]string{}, nil
	}
	return s.read()
}

// Save applies changes to the state file under the lock; an empty value
// deletes its key. It blocks while another process holds the lock, until
// ctx ends.
func (s *File) Save(ctx context.Context, changes map[string]string) error {
	if len(changes) == 0 {
		return ctx.Err()
	}
	for k, v := range changes {
		// encoding/json would write U+FFFD instead, silently.
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("save state %s: key %s or its value is not valid UTF-8", s.path, badchar.Quote(k))
		}
	}
	if err := s.ensureDir(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	unlock, err := lockFile(ctx, s.path+".lock")
	if err != nil {
		return fmt.Errorf("save state %s: %w", s.path, err)
	}
	defer unlock()
	s.removeOrphans()

	data, err := s.read()
	if err != nil {
		return err
	}
	for key, value := range changes { // "" deletes, as the Store contract says
		delete(data, key)
		if value != "" {
			data[key] = value
		}
	}
	if len(data) > MaxKeys {
		return fmt.Errorf("save state %s: %w: %d keys, more than %d (statefile.MaxKeys); nothing written",
			s.path, ErrTooLarge, len(data), MaxKeys)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return replaceFile(s.path, func(w io.Writer) error { return writeState(w, data) })
}

// ensureDir creates the state directory with mode 0700 if it is missing
// and checks it either way.
func (s *File) ensureDir() error {
	dir := filepath.Dir(s.path)
	exists, err := checkStateDir(dir)
	if err != nil || exists {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	_, err = checkStateDir(dir)
	return err
}

// removeOrphans deletes temporary files that a Save killed mid-write left
// behind. Only Save creates them, under the lock the caller holds, so any
// that exist belong to no one.
func (s *File) removeOrphans() {
	dir := filepath.Dir(s.path)
	entries, _ := os.ReadDir(dir) // best effort: a failure here only leaves litter
	prefix := "." + filepath.Base(s.path) + "."
	for _, e := range entries {
		if name := e.Name(); strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".tmp") {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
}

// tempPattern is the os.CreateTemp pattern of Save's temporary files.
func tempPattern(path string) string {
	return "." + filepath.Base(path) + ".*.tmp"
}

// read decodes the state file; the caller decides about locking and has
// checked the directory.
func (s *File) read() (map[string]string, error) {
	f, err := openPrivateFile(s.path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	defer f.Close()
	raw, err := readAtMost(f, MaxFileSize)
	if errors.Is(err, ErrTooLarge) {
		return nil, fmt.Errorf("read state %s: %w (statefile.MaxFileSize); it is left alone", s.path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return decodeState(s.path, raw)
}

// replaceFile has write fill a temporary file in path's directory and
// renames it over path, syncing file and directory so that the rename is
// durable. When write fails, the temporary file is removed and path left
// as it was.
func replaceFile(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp already uses 0600; Chmod states the requirement rather
	// than relying on it.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		return fmt.Errorf("save state %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save state: sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save state: sync directory: %w", err)
	}
	return nil
}

// lockFile takes an exclusive flock on path, polling so that ctx can end
// the wait; flock(2) itself cannot be interrupted by a context.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := openPrivateFile(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	delay := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-timer.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}
