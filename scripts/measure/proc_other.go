//go:build !unix

package measure

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// The harness runs on Linux and macOS; elsewhere (Windows: use WSL2) it
// builds, with process groups and locks reduced to what the platform
// has, so that the kit's Go code still compiles there.

var sigTerm, sigKill os.Signal = os.Kill, os.Kill

func ownGroup(cmd *exec.Cmd) {}

func signalGroup(pid int, sig os.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
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
