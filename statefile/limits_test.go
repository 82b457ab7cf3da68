//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package statefile_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/statefile"
)

// stateFile is a JSON object of n keys "kN" whose values fill it to
// exactly size bytes (the last value takes what is left), or of n keys
// with one-byte values when size is 0.
func stateFile(n, size int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":"`, i)
		if i == n-1 && size > 0 {
			b.WriteString(strings.Repeat("v", size-b.Len()-2))
		} else {
			b.WriteByte('v')
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.Bytes()
}

// TestLoadLimits: Load reads a file of at most MaxFileSize bytes and
// MaxKeys keys. A larger one is ErrTooLarge, naming the file and the
// limit, before it is decoded (a file past the size is not even read);
// it is left alone, Save refuses to touch it too, and so does a Registry
// over it.
func TestLoadLimits(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		sparse  int64 // a file of this size with nothing written, instead
		keys    int   // loaded when accepted
		msg     string
	}{
		{name: "MaxFileSize bytes", content: stateFile(2, statefile.MaxFileSize), keys: 2},
		{name: "MaxFileSize+1 bytes", content: stateFile(2, statefile.MaxFileSize+1),
			msg: fmt.Sprintf("%d bytes, more than %d (statefile.MaxFileSize)", statefile.MaxFileSize+1, statefile.MaxFileSize)},
		{name: "64 MiB", content: stateFile(1, 64<<20), msg: "67108864 bytes, more than 4194304"},
		{name: "1 GiB, never read", sparse: 1 << 30, msg: "1073741824 bytes, more than 4194304"},
		{name: "MaxKeys keys", content: stateFile(statefile.MaxKeys, 0), keys: statefile.MaxKeys},
		{name: "MaxKeys+1 keys", content: stateFile(statefile.MaxKeys+1, 0), msg: "more than 16384 keys (statefile.MaxKeys)"},
		{name: "MaxKeys+1 keys, one repeated", content: append(stateFile(statefile.MaxKeys, 0)[:len(stateFile(statefile.MaxKeys, 0))-1], `,"k0":"v"}`...),
			msg: "more than 16384 keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(privateDir(t), "state.json")
			if tc.sparse > 0 {
				f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
				require.NoError(t, err)
				require.NoError(t, f.Truncate(tc.sparse))
				require.NoError(t, f.Close())
			} else {
				require.NoError(t, os.WriteFile(path, tc.content, 0o600))
			}
			before, err := os.Stat(path)
			require.NoError(t, err)
			s := statefile.New(path)

			got, err := s.Load(ctx)
			if tc.msg == "" {
				require.NoError(t, err)
				assert.Len(t, got, tc.keys)
				return
			}
			require.ErrorIs(t, err, statefile.ErrTooLarge)
			assert.NotErrorIs(t, err, statefile.ErrCorrupt)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), tc.msg)

			require.ErrorIs(t, s.Save(ctx, map[string]string{"k0": ""}), statefile.ErrTooLarge)
			_, err = httprelation.NewRegistry(ctx, s)
			require.ErrorIs(t, err, statefile.ErrTooLarge)
			after, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, before.Size(), after.Size(), "left alone")
			assert.Equal(t, before.ModTime(), after.ModTime(), "left alone")
		})
	}
}

// TestSaveLimits: Save never writes a file that Load would refuse: a
// state of more than MaxKeys keys or more than MaxFileSize bytes as
// written is ErrTooLarge, and the file keeps what it held, with no
// temporary file left. A state at the limits is written and loads.
func TestSaveLimits(t *testing.T) {
	// Each flag as written: `  "kNNNNN": "",` and a newline, with the
	// value making up the rest; 2 bytes of braces, 1 of the last newline.
	const keys = 64
	valueFor := func(total int) string {
		return strings.Repeat("v", (total-4)/keys-len(`  "k00": "",`+"\n"))
	}
	flags := func(n int, value string) map[string]string {
		m := make(map[string]string, n)
		for i := range n {
			m[fmt.Sprintf("k%02d", i)] = value
		}
		return m
	}
	manyKeys := func(n int) map[string]string {
		m := make(map[string]string, n)
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = "1"
		}
		return m
	}
	tests := []struct {
		name    string
		changes map[string]string
		minSize int64 // of the file written, when it is
		msg     string
	}{
		{"MaxKeys keys with the one kept", manyKeys(statefile.MaxKeys - 1), 0, ""},
		{"MaxKeys+1 keys with the one kept", manyKeys(statefile.MaxKeys), 0, "16385 keys, more than 16384 (statefile.MaxKeys)"},
		{"just under MaxFileSize", flags(keys, valueFor(statefile.MaxFileSize)), statefile.MaxFileSize - 2*keys, ""},
		{"over MaxFileSize", flags(keys, valueFor(statefile.MaxFileSize)+strings.Repeat("v", 100)), 0,
			"more than 4194304 bytes (statefile.MaxFileSize)"},
		{"one value of 16 MiB", map[string]string{"big": strings.Repeat("v", 16<<20)}, 0, "more than 4194304 bytes"},
		{"escapes past MaxFileSize", map[string]string{"html": strings.Repeat("<", statefile.MaxFileSize/6+1)}, 0,
			"more than 4194304 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := privateDir(t)
			path := filepath.Join(dir, "state.json")
			s := statefile.New(path)
			require.NoError(t, s.Save(ctx, map[string]string{"flag.kept": "1"}))
			before, err := os.ReadFile(path)
			require.NoError(t, err)

			err = s.Save(ctx, tc.changes)
			if tc.msg == "" {
				require.NoError(t, err)
				got, err := s.Load(ctx)
				require.NoError(t, err)
				assert.Len(t, got, len(tc.changes)+1)
				fi, err := os.Stat(path)
				require.NoError(t, err)
				assert.LessOrEqual(t, fi.Size(), int64(statefile.MaxFileSize))
				assert.GreaterOrEqual(t, fi.Size(), tc.minSize, "at the limit, not below it")
				return
			}
			require.ErrorIs(t, err, statefile.ErrTooLarge)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), tc.msg)
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "nothing written")
			assertNoTempFiles(t, dir)
		})
	}
}
