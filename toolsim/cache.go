package toolsim

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The snapshot cache lets a read-only call cost the same whatever the
// number of remote units: without it every call decodes the whole model,
// and a hook that reads N bags costs O(N²). For model.json it is laid out
// as
//
//	.model.json.cache/
//	  .build.lock   taken by the one process building a snapshot
//	  STAMP         the snapshot of one version of the model (see snapshot.go)
//	  .tmp-*        a snapshot being written
//
// STAMP names one version of the model file: device, inode, size and
// mtime. Snapshots are never changed; since every write replaces the
// model file by a rename, a new version gets a new stamp.
//
// A stamp alone could come back: a later version may get the inode number
// of a freed earlier one, with the same size and an mtime within the same
// clock tick. So writeModelFile removes every snapshot once the new
// version's file exists and before it is renamed into place, and a builder
// keeps the model file open until its snapshot is in place. A snapshot
// thus names an inode that was in use until it was in place, so it is
// removed before any later file can reuse that inode and become the model.

const buildLockName = ".build.lock"

// cacheDir is where the snapshots of the model at modelPath live.
func cacheDir(modelPath string) string {
	return filepath.Join(filepath.Dir(modelPath), "."+filepath.Base(modelPath)+".cache")
}

// stampOf names the version of the model file that fi describes; ok is
// false where the system does not say which inode it is.
func stampOf(fi fs.FileInfo) (string, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%x-%x-%x-%x", st.Dev, st.Ino, fi.Size(), fi.ModTime().UnixNano()), true
}

// loadView loads what a call answers from. When the cache holds the
// model's current version it returns the snapshot's model, whose relations
// carry no units, and the open snapshot, which has them; the caller closes
// it. Otherwise it decodes the model file with decode and, when build is
// set, caches what decode returned, which must then be the whole model,
// for the calls that follow.
func loadView(path string, build bool, decode func([]byte) (*Model, error)) (*Model, *snapshot, error) {
	var f *os.File
	// The shared lock only orders this call after a write in progress:
	// once open, the file never changes, as writers replace it.
	err := withLock(path, syscall.LOCK_SH, func() error {
		var err error
		if f, err = os.Open(path); err != nil {
			return fmt.Errorf("read model: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	defer f.Close() // only after any build: see the comment at the top
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read model: %w", err)
	}
	stamp, stamped := stampOf(fi)
	if stamped {
		snapPath := filepath.Join(cacheDir(path), stamp)
		snap, m, err := openSnapshot(snapPath)
		if err == nil {
			return m, snap, nil
		}
		if errors.Is(err, errCacheBroken) {
			_ = os.Remove(snapPath)
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read model: %w", err)
	}
	m, err := decode(data)
	if err != nil {
		return nil, nil, err
	}
	if build && stamped {
		// Best effort: without a snapshot the calls are only slower.
		_ = buildSnapshot(path, stamp, m)
	}
	return m, nil, nil
}

// buildSnapshot caches m, the model file's version stamp, unless another
// process is building a snapshot right now: that one will do, and this
// call does not wait for it. It also removes the snapshots of other
// versions.
func buildSnapshot(path, stamp string, m *Model) error {
	root := cacheDir(path)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(root, buildLockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close() // releases the flock too
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return err
	}
	snapPath := filepath.Join(root, stamp)
	if _, err := os.Stat(snapPath); err == nil {
		return nil // built while this call was decoding
	}
	sweep(root)
	data, err := encodeSnapshot(m)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(root, ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Chmod(0o644) // as the model: readable by whoever reads it
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), snapPath)
	}
	return err
}

// sweep removes everything in the cache but the build lock: snapshots of
// other versions, and files of builders that died. Only the holder of the
// build lock calls it, so nothing is half written. A call still reading a
// removed snapshot keeps its open file.
func sweep(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.Name() != buildLockName {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// invalidateCache removes every snapshot of the model at modelPath.
// writeModelFile calls it between creating the new version's file and
// renaming it into place; see the comment at the top for why then. It
// fails only if a snapshot may be left that it could not remove.
func invalidateCache(modelPath string) error {
	root := cacheDir(modelPath)
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // nothing was ever cached
	}
	if err != nil {
		return fmt.Errorf("invalidate cache: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // the lock, or a snapshot not yet in place
		}
		err := os.RemoveAll(filepath.Join(root, e.Name()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("invalidate cache: %w", err)
		}
	}
	return nil
}
