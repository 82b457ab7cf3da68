//go:build unix

package hooktools

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// killGroupOnCancel starts the tool as the leader of a process group of
// its own and makes cancelling it (a deadline, a failure elsewhere in a
// bulk read, a signal to the hook) kill that whole group. Killing the
// tool alone would leave what it started, a wrapper script's children or
// a hung helper, running and holding its output open.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group's id is its leader's pid.
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
