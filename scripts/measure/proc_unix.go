//go:build unix

package measure

import (
	"os"
	"os/exec"
	"syscall"
)

// sigTerm asks a program to stop gracefully, sigKill ends it at once.
var sigTerm, sigKill os.Signal = syscall.SIGTERM, syscall.SIGKILL

// ownGroup makes cmd start in a process group of its own: a Ctrl-C on the
// terminal, which signals the whole foreground group, then reaches the
// harness alone, which stops each program once, in order.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to the process group that pid leads (ownGroup):
// the program and every process it started.
func signalGroup(pid int, sig os.Signal) error { return syscall.Kill(-pid, sig.(syscall.Signal)) }

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
