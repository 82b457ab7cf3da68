//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package statefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrUnsafe reports a File path that another user could read,
// change or redirect, or that is not what File writes: a symbolic
// link, something other than a regular file (a directory, a FIFO, a
// device, a socket), an owner other than the process's effective user, or
// a state directory open to group or others. File refuses such a
// path rather than repairing it; see [File] for what each case
// means.
var ErrUnsafe = errors.New("unsafe state path")

// privatePerm is the permission mask File requires to be clear on its
// directory and clears on its files: nothing for group or others.
const privatePerm fs.FileMode = 0o077

// checkStateDir checks the state directory; it reports false for a
// directory that does not exist.
func checkStateDir(dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state directory: %w", err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%w: state directory %s is %s", ErrUnsafe, dir, describeType(fi.Mode()))
	}
	if err := checkOwner(dir, fi); err != nil {
		return false, err
	}
	// Refused, not tightened: the directory may be shared (a state file
	// directly in /tmp or in a directory of another program), and a
	// directory others could write to may already hold their files.
	if perm := fi.Mode().Perm(); perm&privatePerm != 0 {
		return false, fmt.Errorf("%w: state directory %s has mode %#o, open to group or others; File needs 0700 (chmod 700 %s)",
			ErrUnsafe, dir, perm, dir)
	}
	return true, nil
}

// openPrivateFile opens path (the state or the lock file) without
// following a final symbolic link and without blocking on a FIFO, and
// accepts only a regular file owned by the process's effective user. A
// file open to group or others is tightened to 0600 through the open
// descriptor: it lies in a directory checkStateDir accepted, so no one
// else can have reached it.
func openPrivateFile(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		// O_NOFOLLOW reports a link as ELOOP on Linux, EMLINK or EFTYPE
		// on BSDs, and a directory opened for writing fails with EISDIR:
		// say what is there instead.
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is %s", ErrUnsafe, path, describeType(fi.Mode()))
		}
		return nil, err
	}
	if err := checkOpenFile(path, f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func checkOpenFile(path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is %s", ErrUnsafe, path, describeType(fi.Mode()))
	}
	if err := checkOwner(path, fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&privatePerm != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("tighten %s to 0600: %w", path, err)
		}
	}
	return nil
}

// checkOwner refuses a file or directory of another user, who could
// change its mode or content at any time.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: %s: owner unknown", ErrUnsafe, path)
	}
	if euid := os.Geteuid(); int64(st.Uid) != int64(euid) {
		return fmt.Errorf("%w: %s is owned by uid %d, not by this process's user (uid %d)", ErrUnsafe, path, st.Uid, euid)
	}
	return nil
}

func describeType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a regular file"
	default:
		return "not a regular file"
	}
}

// lossyOffset returns the offset in a valid JSON text of the first string
// content that encoding/json would silently replace with U+FFFD: a byte
// sequence that is not UTF-8, or a \u escape of a UTF-16 surrogate that
// is not half of a pair. It returns -1 when there is none. Backslashes
// occur only inside strings in valid JSON, so no string tracking is
// needed.
func lossyOffset(raw []byte) int {
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '\\' && i+1 < len(raw) && raw[i+1] == 'u':
			r1 := hexRune(raw, i+2)
			if !utf16.IsSurrogate(r1) {
				i += 6
				continue
			}
			if i+12 <= len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' &&
				utf16.DecodeRune(r1, hexRune(raw, i+8)) != utf8.RuneError {
				i += 12
				continue
			}
			return i
		case c == '\\':
			i += 2 // \" \\ \/ \b \f \n \r \t
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return i
			}
			i += size
		}
	}
	return -1
}

// hexRune decodes the four hex digits at raw[i:], or returns -1.
func hexRune(raw []byte, i int) rune {
	if i+4 > len(raw) {
		return -1
	}
	n, err := strconv.ParseUint(string(raw[i:i+4]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}
