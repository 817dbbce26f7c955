package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Ready is what a server writes to its ready file (Config.ReadyFile,
// -ready-file) once both of its listeners serve, as one JSON line:
//
//	{"pid":4242,"app":"http://127.0.0.1:8080","debug":"http://127.0.0.1:6060"}
//
// A script that started the server on port 0 reads the ports the kernel
// picked from it; a script that picked the ports knows from the file's
// existence that this process, and no other that took the port, serves.
type Ready struct {
	PID   int    `json:"pid"`             // the server's process id
	App   string `json:"app"`             // base URL of the app listener
	Debug string `json:"debug,omitempty"` // base URL of the debug listener; empty when there is none
}

// WriteReady writes r to path as one JSON line, atomically: the file
// appears whole (written beside it, then renamed), so that a reader that
// finds it never reads half of it.
func WriteReady(path string, r Ready) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ready-*")
	if err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("ready file: %w", err)
	}
	return nil
}

// ReadReady reads a ready file that WriteReady wrote.
func ReadReady(path string) (Ready, error) {
	var r Ready
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil || r.PID <= 0 || r.App == "" {
		return r, fmt.Errorf("ready file %s: %q is not a server's ready line", path, b)
	}
	return r, nil
}

// AwaitReady waits for the ready file at path, polling it every 10 ms,
// and returns what it says once a server has written it. It gives up
// when ctx ends, or when exited (nil for none) closes: the server's
// process ended first. It is the one wait for a server of the kit that
// the harness and the tests share.
func AwaitReady(ctx context.Context, path string, exited <-chan struct{}) (Ready, error) {
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for {
		r, err := ReadReady(path)
		if err == nil {
			return r, nil
		}
		select {
		case <-poll.C:
		case <-exited:
			return r, ErrExited
		case <-ctx.Done():
			return r, fmt.Errorf("no ready file %s: %w", path, ctx.Err())
		}
	}
}

// ErrExited says that a server's process ended before it wrote its ready
// file (AwaitReady).
var ErrExited = errors.New("the server exited before it served")
