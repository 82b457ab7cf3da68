package hooktools

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v2"
)

func TestStateLoad(t *testing.T) {
	for out, want := range map[string]map[string]string{
		"null\n":                      {},
		"{}\n":                        {},
		`{"available":"true"}` + "\n": {"available": "true"},
		`{"a":"1","b":""}` + "\n":     {"a": "1"},
	} {
		r := answer(map[string]string{"state-get --format=json": out})
		got, err := newStateStore(r).Load(context.Background())
		require.NoError(t, err, out)
		assert.Equal(t, want, got, out)
		assert.NotNil(t, got)
	}
	_, err := newStateStore(answer(map[string]string{"state-get --format=json": ""})).Load(context.Background())
	assert.ErrorIs(t, err, ErrBadOutput)
}

// TestStateSave: values go in one state-set, deletions through
// state-delete, since state-set stores "" rather than deleting.
func TestStateSave(t *testing.T) {
	r := answer(map[string]string{
		"state-set --file -": "",
		"state-delete b":     "",
		"state-delete c":     "",
	})
	err := newStateStore(r).Save(context.Background(), map[string]string{"a": "x\ny", "c": "", "b": "", "d": "yes"})
	require.NoError(t, err)
	calls := r.seen()
	require.Len(t, calls, 3)
	var set map[string]string
	require.NoError(t, yaml.Unmarshal(calls[0].Stdin, &set))
	assert.Equal(t, map[string]string{"a": "x\ny", "d": "yes"}, set)
	assert.Equal(t, []string{"b"}, calls[1].Args)
	assert.Equal(t, []string{"c"}, calls[2].Args)

	r = answer(map[string]string{"state-delete a": ""})
	require.NoError(t, newStateStore(r).Save(context.Background(), map[string]string{"a": ""}))
	assert.Len(t, r.seen(), 1, "no state-set without values")
}

func TestStateSaveValidatesFirst(t *testing.T) {
	for name, tc := range map[string]struct {
		changes map[string]string
		want    error
	}{
		"key too long": {map[string]string{strings.Repeat("k", MaxStateKeySize+1): "v", "a": "b"}, ErrTooLarge},
		// Juju escapes '.' and '$' to three bytes before its quota check.
		"dots escaped too long":    {map[string]string{"flag." + strings.Repeat("k.", 83): "1"}, ErrTooLarge},
		"dollars escaped too long": {map[string]string{strings.Repeat("$", 86): "1"}, ErrTooLarge},
		"value too long":           {map[string]string{"k": strings.Repeat("v", MaxStateValueSize+1)}, ErrTooLarge},
		"empty key":                {map[string]string{"": "v"}, httprelation.ErrInvalidKey},
		"key with =":               {map[string]string{"a=b": "v"}, httprelation.ErrInvalidKey},
		"delete bad key":           {map[string]string{"-a": ""}, httprelation.ErrInvalidKey},
	} {
		r := answer(nil)
		err := newStateStore(r).Save(context.Background(), tc.changes)
		assert.ErrorIs(t, err, tc.want, name)
		assert.Empty(t, r.seen(), name)
	}
	r := answer(map[string]string{"state-set --file -": ""})
	err := newStateStore(r).Save(context.Background(), map[string]string{
		strings.Repeat("k", MaxStateKeySize): strings.Repeat("v", MaxStateValueSize),
	})
	assert.NoError(t, err, "limits are inclusive")
	r = answer(map[string]string{"state-set --file -": ""})
	err = newStateStore(r).Save(context.Background(), map[string]string{"$" + strings.Repeat(".", 84): "v"})
	assert.NoError(t, err, "3+84*3 = 255 bytes escaped")
}

func TestStateSaveThroughGoops(t *testing.T) {
	var got [][]string
	g := goopsFunc(func(name string, args ...string) ([]byte, error) {
		got = append(got, append([]string{name}, args...))
		return nil, nil
	})
	require.NoError(t, newStateStore(FromGoops(g)).Save(context.Background(), map[string]string{"x": "1", "y": ""}))
	assert.Equal(t, [][]string{{"state-set", "x=1"}, {"state-delete", "y"}}, got)
}

// stateAnswer is a state-get answer of the given members, padded with
// trailing spaces to size bytes when size is larger.
func stateAnswer(size int, members ...string) string {
	out := "{" + strings.Join(members, ",") + "}"
	return out + strings.Repeat(" ", max(0, size-len(out)))
}

// flagMembers are n members "fN":"<value>".
func flagMembers(n int, value string) []string {
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf(`"f%d":%q`, i, value)
	}
	return members
}

// TestStateLoadLimits: Load reads state-get's answer up to
// MaxStateOutput bytes and MaxStateKeys keys, and refuses, as Juju never
// stores them, a key longer than MaxStateKeySize or a value longer than
// MaxStateValueSize (decoded: escapes count as what they stand for).
// Each bound accepts what it names and refuses one more, with
// ErrTooLarge and an error that names it.
func TestStateLoadLimits(t *testing.T) {
	bigValue := strings.Repeat("v", MaxStateValueSize)
	tests := []struct {
		name string
		out  string
		keys int // keys loaded when accepted
		errs []error
		msg  string
	}{
		{"MaxStateOutput bytes", stateAnswer(MaxStateOutput, flagMembers(MaxStateOutput/MaxStateValueSize-1, bigValue)...),
			MaxStateOutput/MaxStateValueSize - 1, nil, ""},
		{"MaxStateOutput+1 bytes", stateAnswer(MaxStateOutput+1, flagMembers(1, "1")...), 0,
			[]error{ErrTooLarge, ErrOutputTooLarge}, "MaxStateOutput"},
		{"16 MiB", stateAnswer(16<<20, flagMembers(1, "1")...), 0, []error{ErrTooLarge, ErrOutputTooLarge}, "4194304 bytes"},
		{"MaxStateKeys keys", stateAnswer(0, flagMembers(MaxStateKeys, "1")...), MaxStateKeys, nil, ""},
		{"MaxStateKeys+1 keys", stateAnswer(0, flagMembers(MaxStateKeys+1, "1")...), 0,
			[]error{ErrTooLarge}, "16385 keys, more than 16384 (hooktools.MaxStateKeys)"},
		{"a value of MaxStateValueSize", stateAnswer(0, flagMembers(1, bigValue)...), 1, nil, ""},
		{"a value of MaxStateValueSize+1", stateAnswer(0, flagMembers(1, bigValue+"v")...), 0,
			[]error{ErrTooLarge, ErrBadOutput}, `value of "f0" is 65537 bytes, and Juju keeps at most 65536`},
		{"a value of MaxStateValueSize escaped", stateAnswer(0, `"f":"`+strings.Repeat(`\u003c`, MaxStateValueSize)+`"`), 1, nil, ""},
		{"a key of MaxStateKeySize", stateAnswer(0, fmt.Sprintf(`%q:"1"`, strings.Repeat("k", MaxStateKeySize))), 1, nil, ""},
		{"a key of MaxStateKeySize with dots", stateAnswer(0, fmt.Sprintf(`%q:"1"`, strings.Repeat("k.", MaxStateKeySize/2))), 1, nil, ""},
		{"a key of MaxStateKeySize+1", stateAnswer(0, fmt.Sprintf(`%q:"1"`, strings.Repeat("k", MaxStateKeySize+1))), 0,
			[]error{ErrTooLarge, ErrBadOutput}, "is 257 bytes, and Juju keeps at most 256"},
		{"an empty value past the key limit", stateAnswer(0, fmt.Sprintf(`%q:""`, strings.Repeat("k", MaxStateKeySize+1))), 0,
			[]error{ErrTooLarge, ErrBadOutput}, "is 257 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newStateStore(answer(map[string]string{"state-get --format=json": tc.out})).Load(context.Background())
			if tc.errs == nil {
				require.NoError(t, err)
				assert.Len(t, got, tc.keys)
				return
			}
			for _, want := range tc.errs {
				assert.ErrorIs(t, err, want)
			}
			assert.Contains(t, err.Error(), tc.msg)
			assert.Nil(t, got)
		})
	}
}
