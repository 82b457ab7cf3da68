package hooktools

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmkit/httprelation"
)

// Sentinel errors of this package, testable with errors.Is.
var (
	// ErrNotInHook reports that no hook is running: a hook tool is not on
	// PATH, or JUJU_UNIT_NAME is unset.
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
	// ErrTooLarge reports a state key or value above Juju's size quota.
	ErrTooLarge = errors.New("state key or value too large")
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

// Error implements error.
func (e *ToolError) Error() string {
	return fmt.Sprintf("%s %s: exit status %d: %s", e.Tool, strings.Join(e.Args, " "), e.ExitCode, e.Message)
}

// Is maps Juju's messages to the library's sentinel errors, since the
// exit code alone does not tell a missing relation from a bad flag.
func (e *ToolError) Is(target error) bool {
	switch target {
	case httprelation.ErrRelationNotFound:
		return strings.Contains(e.Message, "relation not found")
	case httprelation.ErrUnitNotFound:
		return strings.Contains(e.Message, "cannot read settings") ||
			strings.Contains(e.Message, "settings not found")
	}
	return false
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
	s := string(out)
	if len(s) > maxQuotedOutput {
		s = s[:maxQuotedOutput] + "..."
	}
	return &ParseError{Tool: tool, Output: s, Err: err}
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: cannot parse output %q: %v", e.Tool, e.Output, e.Err)
}

// Unwrap returns the decoding error.
func (e *ParseError) Unwrap() error { return e.Err }

// Is makes every ParseError match ErrBadOutput.
func (e *ParseError) Is(target error) bool { return target == ErrBadOutput }
