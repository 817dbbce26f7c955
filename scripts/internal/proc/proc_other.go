//go:build !unix

package proc

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// The harness runs on Linux and macOS; elsewhere (Windows: use WSL2) it
// builds, with process groups and locks reduced to what the platform
// has, so that the kit's Go code still compiles there.

var sigTerm os.Signal = os.Kill

// OwnGroup does nothing here.
func OwnGroup(cmd *exec.Cmd) {}

// TermGroup ends the process pid: there is no SIGTERM here.
func TermGroup(pid int) error { return KillGroup(pid) }

// KillGroup ends the process pid.
func KillGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// LockFolder takes a lock on dir by creating its file .lock, or reports
// that another run holds it.
func LockFolder(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, ErrLocked
	}
	return f, err
}
