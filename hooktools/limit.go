package hooktools

import (
	"context"
	"errors"
	"fmt"

	"github.com/charmkit/httprelation"
)

// Caps on what is read of a tool's output. A bag is what a remote
// application chose to publish, so reading it whole would let any remote
// unit decide how much memory every hook of ours takes.
//
// A relation-get answer, the JSON of one unit's whole data bag, is read up
// to httprelation.MaxBagBytes and httprelation.MaxBagKeys: a larger bag is
// not read at all, and Requires.Services skips the unit with one warning
// naming relation and unit. Many tiny keys cost far more memory decoded
// than their bytes. Juju sets no limit of its own.
const (
	// maxBagOutput caps one relation-get answer.
	maxBagOutput = httprelation.MaxBagBytes
	// maxBagKeys caps the keys of one relation-get answer.
	maxBagKeys = httprelation.MaxBagKeys
	// MaxListOutput caps one relation-ids or relation-list answer: 1 MiB,
	// some 13,000 unit names of the longest form Juju allows (an
	// application name of 63 characters and a unit number of 9 digits)
	// and about 100,000 of usual ones. Decoded, a list costs many times
	// its bytes, and every unit listed is then read: a larger answer
	// fails the read with ErrOutputTooLarge, so that a broken tool
	// cannot take the hook's memory by its list alone.
	MaxListOutput = 1 << 20
	// MaxOutput caps what is read of any other tool's output: 16 MiB, far
	// above what Juju prints (relation-list of thousands of units, the
	// 2 MiB of charm state Juju allows by default), so that a broken tool
	// cannot exhaust memory. A larger output fails the call with
	// ErrOutputTooLarge.
	MaxOutput = 16 << 20
)

// ErrOutputTooLarge reports a tool that printed more than its cap
// (httprelation.MaxBagBytes for relation-get, MaxListOutput for relation-ids and
// relation-list, MaxOutput otherwise); what it printed is not used.
var ErrOutputTooLarge = errors.New("hook tool output too large")

// maxCachedBags bounds the bytes of bags an accessor keeps for reuse
// within its hook, counted as printed: past it, bags are handed out and
// forgotten, read again if asked for again. Typical bags (a few hundred
// bytes) of thousands of units fit; a thousand large ones do not stay in
// memory together.
const maxCachedBags = 2 << 20

// limitedRunner is a Runner that can stop reading a tool's output at a
// cap and stop the tool, rather than read it all first. ExecRunner is
// one; other runners' output is checked once returned.
type limitedRunner interface {
	runLimited(ctx context.Context, tool string, args []string, stdin []byte, limit int) ([]byte, error)
}

// errOutputTooLarge is the error of a call whose output passed limit.
func errOutputTooLarge(tool string, limit int) error {
	return fmt.Errorf("%s: %w: more than %d bytes", tool, ErrOutputTooLarge, limit)
}

// limitedBuffer keeps what is written to it up to limit bytes, and never
// holds a buffer larger than that. A write past the limit fails and, with
// stop set, calls it once: the tool is then killed rather than read to
// its end. Without stop, a write past the limit is dropped quietly and
// the tool goes on; that suits stderr, of which only the start matters.
type limitedBuffer struct {
	buf   []byte
	limit int
	over  bool
	stop  func()
}

var errOverLimit = errors.New("output over limit")

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.limit - len(b.buf); b.over || len(p) > room {
		b.over = true
		if b.stop != nil {
			b.stop()
			return 0, errOverLimit
		}
		p = p[:max(room, 0)]
	}
	if need := len(b.buf) + len(p); need > cap(b.buf) {
		// Grow as append would, but never past the limit: an output
		// just under it then costs one buffer of its size.
		grown := make([]byte, len(b.buf), min(max(2*cap(b.buf), need, 512), b.limit))
		copy(grown, b.buf)
		b.buf = grown
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

// countMembers counts the members of the JSON object out without
// decoding it: the colons outside strings at its top level. For output
// that is not an object the count means nothing, and the decoder rejects
// such output anyway.
func countMembers(out []byte) int {
	n, depth := 0, 0
	inString, escaped := false, false
	for _, c := range out {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ':' && depth == 1:
			n++
		}
	}
	return n
}
