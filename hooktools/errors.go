package hooktools

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/badchar"
)

// Sentinel errors of this package, testable with errors.Is.
var (
	// ErrNotInHook reports that no hook is running: a hook tool is not on
	// PATH, JUJU_UNIT_NAME is unset, or the Tools are of a unit whose
	// Accessor NewUnit did not make (ToolsOf).
	ErrNotInHook = errors.New("not running in a Juju hook")
	// ErrStdinUnsupported is returned by runners that cannot feed a tool's
	// stdin; callers then pass the data as arguments.
	ErrStdinUnsupported = errors.New("runner cannot feed stdin")
	// ErrBadOutput reports tool output that does not parse; *ParseError
	// matches it.
	ErrBadOutput = errors.New("unparsable hook tool output")
	// ErrArgTooLong reports a key=value argument above Linux's 128 KiB
	// per-argument limit (MAX_ARG_STRLEN), which only a runner without
	// stdin support has to use.
	ErrArgTooLong = errors.New("argument too long for the command line")
	// ErrTooLarge reports charm state past a size limit: a key or value
	// that Save would write above Juju's quota, or a state that Load
	// refuses to read (see MaxStateOutput, MaxStateKeys).
	ErrTooLarge = errors.New("charm state too large")
	// ErrRelativePath reports a hook tool that the PATH would find
	// through a relative entry ("." or "bin", say): which program that
	// is depends on the working directory, so it is not run. Juju puts
	// its tools in an absolute directory.
	ErrRelativePath = errors.New("hook tool found through a relative PATH entry")
)

// ToolError is a hook tool that ran and failed.
type ToolError struct {
	Tool     string
	Args     []string
	ExitCode int
	// Message is what the tool printed on stderr, without Juju's "ERROR "
	// prefix.
	Message string
}

// Error implements error. The message is quoted unless it is plain
// printable text, and so is any argument that is not plain printable
// ASCII: both carry what tools and remote applications chose (stderr,
// relation ids, unit names), and a newline or an escape code must not
// reach a log or a terminal raw.
func (e *ToolError) Error() string {
	var b strings.Builder
	b.WriteString(e.Tool)
	for _, a := range e.Args {
		b.WriteByte(' ')
		b.WriteString(quoteArg(a))
	}
	fmt.Fprintf(&b, ": exit status %d: %s", e.ExitCode, printable(e.Message))
	return b.String()
}

// Is maps Juju's messages to the library's sentinel errors, since the
// exit code alone does not tell a missing relation from a bad flag. Only
// the message's ending counts, as Juju words it: "...: relation not
// found" (an unknown -r), and for a unit that left, relation-get's own
// answer (see unitLeft). Any other failure, "cannot read settings ...:
// connection is shut down" for one, is not a missing relation or unit.
func (e *ToolError) Is(target error) bool {
	switch target {
	case httprelation.ErrRelationNotFound:
		return strings.HasSuffix(e.Message, "relation not found")
	case httprelation.ErrUnitNotFound:
		return e.unitLeft()
	}
	return false
}

// unitLeft reports whether the tool failed as Juju's relation-get does
// for a unit whose settings are gone: exit status 1 and one error line
// ending in `unit "U": settings not found`, U being the unit asked for,
// its last argument. Taking a failure for a departure would serve a
// partial list as a whole one, so anything less exact is a failure.
func (e *ToolError) unitLeft() bool {
	if e.ExitCode != 1 || len(e.Args) == 0 || strings.ContainsAny(e.Message, "\r\n") {
		return false
	}
	return strings.HasSuffix(e.Message, "unit "+strconv.Quote(e.Args[len(e.Args)-1])+": settings not found")
}

// maxArgShown caps each argument a ToolError prints: a relation-set
// value may be 128 KiB.
const maxArgShown = 64

// quoteArg returns a short argument of printable ASCII other than quotes
// and backslashes as it is, and any other one quoted and cut with
// badchar.Quote.
func quoteArg(a string) string {
	if a == "" || len(a) > maxArgShown {
		return badchar.Quote(a)
	}
	for i := 0; i < len(a); i++ {
		if c := a[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return badchar.Quote(a)
		}
	}
	return a
}

// ParseError is tool output that is not what the tool documents.
type ParseError struct {
	Tool string
	// Output is the start of what the tool printed.
	Output string
	Err    error
}

// maxQuotedOutput caps the output quoted in a ParseError.
const maxQuotedOutput = 200

func newParseError(tool string, out []byte, err error) *ParseError {
	err = badchar.JSON(err, out)
	s := string(out)
	if len(s) > maxQuotedOutput {
		s = s[:maxQuotedOutput] + "..."
	}
	return &ParseError{Tool: tool, Output: s, Err: err}
}

// Error implements error. The output is quoted; so is the reason when
// it is not plain printable text, since decoders may repeat parts of the
// output in it.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: cannot parse output %q: %s", e.Tool, e.Output, printable(e.Err.Error()))
}

// printable returns s when it is valid UTF-8 made of printable runes and
// spaces, and s quoted otherwise.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !unicode.IsPrint(r)) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Unwrap returns the decoding error.
func (e *ParseError) Unwrap() error { return e.Err }

// Is makes every ParseError match ErrBadOutput.
func (e *ParseError) Is(target error) bool { return target == ErrBadOutput }
