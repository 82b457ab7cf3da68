//go:build !unix

package hooktools

import "os/exec"

// killGroupOnCancel keeps exec.CommandContext's default where there are
// no Unix process groups: cancelling kills the tool's own process.
func killGroupOnCancel(*exec.Cmd) {}
