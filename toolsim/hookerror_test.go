package toolsim

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A hook that failed as a process says how it ended and quotes the end of
// its stderr; one whose Go code failed in-process says what the code
// returned, which errors.Is and errors.As reach.
func TestHookErrorReadsWellEitherWay(t *testing.T) {
	hook := Hook{Name: "website-relation-changed", RelationID: "website:3", RemoteUnit: "web/0"}

	process := &HookError{Hook: hook, Result: Result{ExitCode: 2, Stderr: "starting\nERROR bad port\n"}}
	assert.Equal(t, "hook website-relation-changed: exit status 2: starting\nERROR bad port", process.Error())
	assert.NoError(t, process.Unwrap())

	long := &HookError{Hook: hook, Result: Result{ExitCode: 1, Stderr: strings.Repeat("x", 2*maxErrorOutput) + "the reason"}}
	msg := long.Error()
	assert.True(t, strings.HasSuffix(msg, "the reason"), msg)
	assert.Less(t, len(msg), maxErrorOutput+100, "only the end of the output is quoted")

	cause := fmt.Errorf("render config: %w", fs.ErrPermission)
	inProcess := &HookError{Hook: hook, Err: cause}
	assert.Equal(t, "hook website-relation-changed: render config: permission denied", inProcess.Error())
	var err error = inProcess
	assert.ErrorIs(t, err, fs.ErrPermission)
	var he *HookError
	assert.True(t, errors.As(fmt.Errorf("fire: %w", err), &he))
	assert.Equal(t, hook, he.Hook)
	assert.Equal(t, Result{}, he.Result)
}
