package statefile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/statefile"
)

// FuzzDecode writes arbitrary bytes as the flag store's file. A
// file that is not a JSON object of strings, or whose strings the JSON
// decoder would silently change (bytes that are not UTF-8, half of a
// surrogate pair), is ErrCorrupt for Load and Save alike and is
// never replaced; any other file loads as the JSON decoder reads it and
// survives a Save of other keys. The verdict is reached here without
// the package's own scanner.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"flag.website.available":"1","hash.services":"ab12"}`))
	f.Add([]byte("{}\n"))
	f.Add([]byte("null"))
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte(`{"a":"1"`))
	f.Add([]byte(`{"a":"\ud800","b":"x"} `))
	f.Add([]byte(`["a"]`))
	f.Add([]byte(""))
	f.Add([]byte("{\"a\":\"\xff\"}"))
	f.Add([]byte("{\"\xc3\":\"1\"}"))
	f.Add([]byte(`{"a":"\udc00"}`))
	f.Add([]byte(`{"a":"\ud800\u0041"}`))
	f.Add([]byte(`{"a":"\ud83d\ude00"}`))
	f.Add([]byte(`{"a":"\\ud800"}`))
	f.Add([]byte(`{"a":"\uFFFD"}`))
	f.Add([]byte("{\"a\":\"\uFFFD\"}"))
	// One file per fuzzing process, rewritten by each input: a directory
	// per input would cost more than the test itself. t.TempDir() is open
	// to others, which File refuses.
	dir := filepath.Join(f.TempDir(), "state")
	require.NoError(f, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "state.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, os.WriteFile(path, data, 0o600))
		store := statefile.New(path)
		ctx := context.Background()

		verdict, want := stateFileVerdict(data)
		got, err := store.Load(ctx)
		if verdict == fileCorrupt {
			require.ErrorIs(t, err, statefile.ErrCorrupt)
			require.Contains(t, err.Error(), path, "the error names the file")
			require.ErrorIs(t, store.Save(ctx, map[string]string{"fuzz.key": "v"}), statefile.ErrCorrupt)
			after, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			require.True(t, bytes.Equal(data, after), "a corrupt file is left alone")
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got)

		require.NoError(t, store.Save(ctx, map[string]string{"fuzz.key": "v", "fuzz.gone": ""}))
		again, err := store.Load(ctx)
		require.NoError(t, err)
		expect := maps.Clone(want)
		delete(expect, "fuzz.gone")
		expect["fuzz.key"] = "v"
		require.Equal(t, expect, again)
	})
}

type fileVerdict int

const (
	fileCorrupt fileVerdict = iota
	fileClean
)

// stateFileVerdict judges a state file from the outside. encoding/json
// replaces what it cannot keep with U+FFFD, one per loss, so a string
// token is lossy when its decoded form holds more U+FFFD than its raw
// spelling writes, as the rune itself or as a \ufffd escape. Every string
// token counts, a key's and a value's, and one that a later duplicate key
// overwrites too: the file was not written by Save.
func stateFileVerdict(data []byte) (fileVerdict, map[string]string) {
	var want map[string]string
	if json.Unmarshal(data, &want) != nil || want == nil || !utf8.Valid(data) {
		return fileCorrupt, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for start := int64(0); ; {
		tok, err := dec.Token()
		if err != nil {
			break // io.EOF: Unmarshal already vouched for the syntax
		}
		end := dec.InputOffset()
		if s, ok := tok.(string); ok {
			raw := bytes.TrimLeft(data[start:end], " \t\r\n,:")
			if strings.Count(s, "\uFFFD") > spelledReplacements(raw) {
				return fileCorrupt, nil
			}
		}
		start = end
	}
	return fileClean, want
}

// spelledReplacements counts the U+FFFD that a quoted JSON string writes on
// purpose: the rune itself or a \ufffd escape (an escaped backslash before
// "ufffd" is neither).
func spelledReplacements(quoted []byte) int {
	n := 0
	for i := 0; i < len(quoted); {
		switch {
		case quoted[i] == '\\' && i+5 < len(quoted) && quoted[i+1] == 'u':
			if strings.EqualFold(string(quoted[i+2:i+6]), "fffd") {
				n++
			}
			i += 6
		case quoted[i] == '\\':
			i += 2
		case bytes.HasPrefix(quoted[i:], []byte("\uFFFD")):
			n++
			i += len("\uFFFD")
		default:
			i++
		}
	}
	return n
}
