//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
)

// readAtMost reads f to its end, failing with ErrTooLarge past limit
// bytes; it reads no more than limit + 1 bytes, and refuses a file whose
// size is already past the limit without reading it.
func readAtMost(f *os.File, limit int) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > int64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, fi.Size(), limit)
	}
	var b bytes.Buffer
	b.Grow(int(fi.Size()) + bytes.MinRead) // one read to the end, one to see it
	if _, err := b.ReadFrom(io.LimitReader(f, int64(limit)+1)); err != nil {
		return nil, err
	}
	if b.Len() > limit { // it grew since Stat
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b.Bytes(), nil
}

// decodeState decodes a state file's content; path names it in errors.
// It decodes one member at a time, so that a file of more than MaxKeys
// keys is refused before they are all in memory. A key given twice keeps
// its last value, as encoding/json decodes it.
func decodeState(path string, raw []byte) (map[string]string, error) {
	corrupt := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the Decoder's word for a text cut short
		}
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, corrupt(err)
	}
	if tok != json.Delim('{') {
		// "null" included, which Save never writes.
		return nil, corrupt(errors.New("not a JSON object"))
	}
	data := map[string]string{}
	for n := 0; dec.More(); n++ {
		if n == MaxKeys {
			return nil, fmt.Errorf("read state %s: %w: more than %d keys (statefile.MaxKeys); it is left alone", path, ErrTooLarge, MaxKeys)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, corrupt(err)
		}
		key, ok := tok.(string)
		if !ok { // the Decoder reports a key that is not a string itself
			return nil, corrupt(fmt.Errorf("key %v is not a string", tok))
		}
		var value string
		if err := dec.Decode(&value); err != nil {
			return nil, corrupt(err)
		}
		data[key] = value
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, corrupt(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, corrupt(errors.New("data after the JSON object"))
	}
	if off := lossyOffset(raw); off >= 0 {
		return nil, corrupt(fmt.Errorf("byte %d starts a string that is not valid UTF-8", off))
	}
	return data, nil
}

// writeState writes data as json.MarshalIndent(data, "", "  ") and a
// newline would, one member at a time, so that a Save holds no second
// copy of the state; past MaxFileSize bytes it stops with ErrTooLarge.
func writeState(w io.Writer, data map[string]string) error {
	cw := &cappedWriter{w: w, left: MaxFileSize}
	if len(data) == 0 {
		_, err := io.WriteString(cw, "{}\n")
		return err
	}
	if _, err := io.WriteString(cw, "{\n"); err != nil {
		return err
	}
	for i, k := range slices.Sorted(maps.Keys(data)) {
		sep := "  "
		if i > 0 {
			sep = ",\n  "
		}
		if err := writeMember(cw, sep, k, data[k]); err != nil {
			return err
		}
	}
	_, err := io.WriteString(cw, "\n}\n")
	return err
}

// writeMember writes one member of the object, after sep.
func writeMember(w io.Writer, sep, key, value string) error {
	k, err := json.Marshal(key)
	if err != nil {
		return err
	}
	v, err := json.Marshal(value)
	if err != nil {
		return err
	}
	for _, b := range [][]byte{[]byte(sep), k, []byte(": "), v} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// cappedWriter passes writes on up to left bytes in all, then fails
// with ErrTooLarge.
type cappedWriter struct {
	w    io.Writer
	left int
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		return 0, fmt.Errorf("%w: more than %d bytes (statefile.MaxFileSize); nothing written", ErrTooLarge, MaxFileSize)
	}
	c.left -= len(p)
	return c.w.Write(p)
}
