//go:build unix

package command

import (
	"os/exec"
	"syscall"
)

// ownGroup runs cmd in a new process group and makes cancellation kill
// the whole group.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
