//go:build unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// sigTerm asks a program to stop gracefully.
var sigTerm os.Signal = syscall.SIGTERM

// OwnGroup makes cmd start in a process group of its own: a Ctrl-C on the
// terminal, which signals the whole foreground group, then reaches the
// harness alone, which stops each program once, in order.
func OwnGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// TermGroup asks the process group that pid leads (OwnGroup), the
// program and every process it started, to stop: SIGTERM.
func TermGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGTERM) }

// KillGroup ends the process group that pid leads at once: SIGKILL.
func KillGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// LockFolder takes a lock on dir (its file .lock) for as long as the
// returned file stays open, or reports that another run holds it.
// Two runs writing the same captures would spoil both.
func LockFolder(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(dir+"/.lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, ErrLocked
	}
	return f, nil
}
