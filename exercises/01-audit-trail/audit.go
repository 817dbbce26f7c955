package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Entry is one line of the audit log: who asked for what, and what they
// got.
type Entry struct {
	Time       time.Time `json:"time"`           // when the request arrived, in UTC
	Method     string    `json:"method"`         // the request's method
	Path       string    `json:"path"`           // the request's path, without the query
	Status     int       `json:"status"`         // the status it was answered with
	User       *int64    `json:"user,omitempty"` // the {id} of /users/{id}, when the path names one
	DurationMS float64   `json:"duration_ms"`    // time to answer, in milliseconds
	Client     string    `json:"client"`         // pseudonym of the client's address
}

// ErrClosed is what Record returns once the audit log is closed.
var ErrClosed = errors.New("audit log is closed")

// file is what the audit log writes to: an *os.File, or in tests one
// that fails as a full disk does.
type file interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// AuditLog is an append-only file of JSON lines, one per answered request.
// A line is on disk (written and fsynced) when Record returns, so that an
// answered request is never missing from the log, even after a crash.
type AuditLog struct {
	key []byte       // HMAC key of the clients' pseudonyms, drawn at open
	log *slog.Logger // where failures to record are reported

	mu   sync.Mutex // guards f and torn
	f    file       // nil once closed
	torn bool       // a failed write may have left a part of a line in the file
}

// OpenAuditLog opens the audit log at path for appending, creating it if
// needed; failures to record a line are reported to log.
func OpenAuditLog(path string, log *slog.Logger) (*AuditLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return newAuditLog(f, log), nil
}

// newAuditLog returns an audit log that appends to f.
func newAuditLog(f file, log *slog.Logger) *AuditLog {
	key := make([]byte, 32)
	rand.Read(key)
	return &AuditLog{key: key, log: log, f: f}
}

// Record appends e to the log as one JSON line and returns once the line
// is durable: written, then fsynced. When the file refuses the line (a
// full disk), Record fails, and the next Record tries again, after a
// newline that ends whatever part of the line was written.
func (l *AuditLog) Record(e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	line = append(line, '\n')

	l.mu.Lock()
	if l.f == nil {
		l.mu.Unlock()
		return ErrClosed
	}
	if l.torn {
		line = append([]byte{'\n'}, line...) // ends the torn line, so that this one stays whole
	}
	_, err = l.f.Write(line)
	l.torn = err != nil
	if err == nil {
		err = l.f.Sync() // the line is on disk once Sync returns
	}
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// Close closes the file; every line recorded before is already on disk.
// It is the close hook of the server, which runs it once the requests in
// flight have been answered. Record fails with ErrClosed after it.
func (l *AuditLog) Close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}
