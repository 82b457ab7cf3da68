package hooktools

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBagOutputCap: a relation-get answer up to
// maxBagOutput is read; one byte more, or megabytes, or an answer that
// never ends, is refused as too large at once, without waiting for the
// tool to finish or for its deadline.
func TestBagOutputCap(t *testing.T) {
	dir := toolDir(t, "relation-get")
	for _, tc := range []struct {
		name string
		size int
		read bool
	}{
		{"small", 200, true},
		{"just under the cap", maxBagOutput - 1, true},
		{"at the cap", maxBagOutput, true},
		{"one byte over", maxBagOutput + 1, false},
		{"10 MiB", 10 << 20, false},
		{"100 MiB", 100 << 20, false},
		{"endless", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ExecRunner{Env: fakeEnv(dir, "FAKE_MODE=big", fmt.Sprintf("FAKE_SIZE=%d", tc.size))}
			start := time.Now()
			bag, err := newAccessor(r, WithTimeout(time.Minute)).UnitData(context.Background(), "web:1", "web/0")
			if tc.read {
				require.NoError(t, err)
				assert.Len(t, bag["k"], tc.size-len(`{"k":""}`))
				return
			}
			assert.Nil(t, bag)
			require.ErrorIs(t, err, httprelation.ErrDataTooLarge)
			assert.ErrorIs(t, err, ErrOutputTooLarge)
			assert.NotErrorIs(t, err, httprelation.ErrUnitNotFound)
			assert.Contains(t, err.Error(), fmt.Sprintf("more than %d bytes", maxBagOutput))
			assert.Less(t, time.Since(start), 10*time.Second, "the tool is stopped, not read to its end")
		})
	}
}

// TestOtherToolsOutputCap: every other tool's output is capped at
// MaxOutput (relation-list's at MaxListOutput, see TestListOutputCap),
// as too large, not as a bag too large; a runner that cannot
// stop a tool early is held to the same caps once it returns.
func TestOtherToolsOutputCap(t *testing.T) {
	dir := toolDir(t, "relation-list", "state-get")
	for _, tool := range []string{"relation-list", "state-get"} {
		r := ExecRunner{Env: fakeEnv(dir, "FAKE_MODE=big", fmt.Sprintf("FAKE_SIZE=%d", MaxOutput+1))}
		var err error
		if tool == "state-get" {
			_, err = newStateStore(r).Load(context.Background())
		} else {
			_, err = newAccessor(r).RelationUnits(context.Background(), "web:1")
		}
		require.ErrorIs(t, err, ErrOutputTooLarge, tool)
		assert.NotErrorIs(t, err, httprelation.ErrDataTooLarge, tool)
	}

	for _, tc := range []struct {
		size int
		want error
	}{
		{maxBagOutput, nil},
		{maxBagOutput + 1, httprelation.ErrDataTooLarge},
		{5 << 20, httprelation.ErrDataTooLarge},
	} {
		var out bytes.Buffer
		writeBag(&out, tc.size)
		r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return out.Bytes(), nil }}
		_, err := newAccessor(r).UnitData(context.Background(), "web:1", "web/0")
		if tc.want == nil {
			assert.NoError(t, err, tc.size)
		} else {
			assert.ErrorIs(t, err, tc.want, tc.size)
		}
	}
}

// TestStderrCap: a tool that floods stderr is read for its first
// maxStderr bytes only, and its message is cut as usual.
func TestStderrCap(t *testing.T) {
	dir := toolDir(t, "relation-get")
	flood := "ERROR " + strings.Repeat("e", 100<<10)
	r := ExecRunner{Env: fakeEnv(dir, "FAKE_STDERR="+flood, "FAKE_EXIT=1")}
	_, err := r.Run(context.Background(), "relation-get", nil, nil)
	var te *ToolError
	require.ErrorAs(t, err, &te)
	assert.Len(t, te.Message, maxMessage+len("..."))
	assert.True(t, strings.HasPrefix(te.Message, "eee"))
}

// TestLimitedBuffer: what a limitedBuffer keeps is the start of what was
// written, never more than the limit, in a buffer never larger than it.
func TestLimitedBuffer(t *testing.T) {
	for _, tc := range []struct {
		limit  int
		writes []int
		over   bool
	}{
		{10, []int{3, 3, 4}, false},
		{10, []int{3, 3, 5}, true},
		{10, []int{11}, true},
		{10, []int{0, 10, 0}, false},
		{1 << 20, []int{1<<20 - 1, 1}, false},
		{1 << 20, []int{600 << 10, 600 << 10}, true},
		{1000, []int{1, 1, 1, 997, 1, 1}, true},
	} {
		for _, stop := range []bool{false, true} {
			name := fmt.Sprintf("limit %d writes %v stop %v", tc.limit, tc.writes, stop)
			stops := 0
			b := &limitedBuffer{limit: tc.limit}
			if stop {
				b.stop = func() { stops++ }
			}
			var all []byte
			failed := false
			for i, n := range tc.writes {
				p := bytes.Repeat([]byte{byte('a' + i)}, n)
				all = append(all, p...)
				got, err := b.Write(p)
				if err != nil {
					require.True(t, stop, name)
					failed = true
					continue
				}
				assert.Equal(t, n, got, name)
			}
			assert.Equal(t, tc.over, b.over, name)
			assert.LessOrEqual(t, cap(b.buf), tc.limit, name)
			if stop {
				assert.Equal(t, tc.over, failed, name)
				assert.Equal(t, tc.over, stops > 0, name)
				if !tc.over {
					assert.Equal(t, all, b.buf, name)
				}
			} else {
				assert.Equal(t, all[:min(len(all), tc.limit)], b.buf, name)
			}
		}
	}
}

// TestBagCacheBudget: bags are kept for reuse until their bytes reach
// maxCachedBags; past that, a bag asked for again is read again, so a
// thousand large bags are never held together.
func TestBagCacheBudget(t *testing.T) {
	const size = 600 << 10 // three fit in 2 MiB, not four
	r := &funcRunner{fn: func(context.Context, call) ([]byte, error) {
		var out bytes.Buffer
		writeBag(&out, size)
		return out.Bytes(), nil
	}}
	acc := newAccessor(r)
	ctx := context.Background()
	for round := range 2 {
		for u := range 6 {
			bag, err := acc.UnitData(ctx, "web:1", fmt.Sprintf("web/%d", u))
			require.NoError(t, err)
			assert.Len(t, bag["k"], size-len(`{"k":""}`), "round %d unit %d", round, u)
		}
	}
	assert.Len(t, r.seen(), 6+3, "the first three bags are kept, the other three read again")

	small := answer(map[string]string{})
	small.fn = func(context.Context, call) ([]byte, error) { return []byte(`{"port":"80"}`), nil }
	acc = newAccessor(small)
	for range 3 {
		for u := range 1000 {
			_, err := acc.UnitData(ctx, "web:1", fmt.Sprintf("web/%d", u))
			require.NoError(t, err)
		}
	}
	assert.Len(t, small.seen(), 1000, "a thousand small bags all stay")
}

// TestBagKeysCap: a bag of up to maxBagKeys keys is read; one key
// more is too large, however small the bag; keys inside nested values or
// strings do not count.
func TestBagKeysCap(t *testing.T) {
	bag := func(keys int, extra string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":"v"`, i)
		}
		return b.String() + extra + "}"
	}
	for _, tc := range []struct {
		name string
		out  string
		err  error
	}{
		{"at the cap", bag(maxBagKeys, ""), nil},
		{"one over", bag(maxBagKeys+1, ""), httprelation.ErrDataTooLarge},
		{"ten thousand", bag(10_000, ""), httprelation.ErrDataTooLarge},
		{"colons in strings", bag(maxBagKeys-1, `,"x:y":"a:b:c:d:e"`), nil},
		{"nested keys", bag(maxBagKeys-1, `,"n":{"a":"1","b":"2","c":"3"}`), httprelation.ErrNotString},
		{"escaped quotes", bag(maxBagKeys-1, `,"q\":\"":"\":\""`), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return []byte(tc.out), nil }}
			_, err := newAccessor(r).UnitData(context.Background(), "web:1", "web/0")
			if tc.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.err)
			}
		})
	}
	for out, want := range map[string]int{
		`{}`: 0, `{"a":"1"}`: 1, `{"a:b":"c:d"}`: 1, `{"a":{"b":"c"},"d":["e:f",{"g":1}]}`: 2,
		`{"\\":"\":"}`: 1, ` { "a" : "" , "b" : "" } `: 2,
	} {
		assert.Equal(t, want, countMembers([]byte(out)), out)
	}
}

// TestListOutputCap: relation-ids and relation-list answers are read up
// to MaxListOutput: decoded, a list costs many times its bytes (a 16 MiB
// relation-list of short unit names took http-relation services to
// 230 MB before any bag was read), and Juju's lists of ids and unit
// names are far shorter. One byte more fails the read with
// ErrOutputTooLarge.
func TestListOutputCap(t *testing.T) {
	ctx := context.Background()
	unit := func(i int) string { return fmt.Sprintf("web/%d", i) }
	id := func(i int) string { return fmt.Sprintf("backends:%d", i) }
	for _, tc := range []struct {
		tool string
		size int
		ok   bool
	}{
		{"relation-list", MaxListOutput, true},
		{"relation-list", MaxListOutput + 1, false},
		{"relation-list", 16 << 20, false},
		{"relation-ids", MaxListOutput, true},
		{"relation-ids", MaxListOutput + 1, false},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.tool, tc.size), func(t *testing.T) {
			name := unit
			if tc.tool == "relation-ids" {
				name = id
			}
			out := listOfSize(tc.size, name)
			require.Len(t, out, tc.size)
			acc := newAccessor(&funcRunner{fn: func(context.Context, call) ([]byte, error) { return []byte(out), nil }})
			var list []string
			var err error
			if tc.tool == "relation-ids" {
				list, err = acc.RelationIDs(ctx, "backends")
			} else {
				list, err = acc.RelationUnits(ctx, "backends:1")
			}
			if tc.ok {
				require.NoError(t, err)
				assert.Greater(t, len(list), MaxListOutput/20)
				return
			}
			require.ErrorIs(t, err, ErrOutputTooLarge)
			assert.ErrorContains(t, err, fmt.Sprintf("more than %d bytes", MaxListOutput))
		})
	}
}
