package main

import (
	"bufio"
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

// queueLines is how many lines may wait for the disk. When the disk falls
// that far behind, Record waits for room: no line is ever dropped.
const queueLines = 4096

// AuditLog is an append-only file of JSON lines, one per answered request.
// Record queues the line; one writer goroutine writes what is queued and
// fsyncs once per batch (group commit), so that one fsync makes a whole
// batch durable. Close drains the queue to disk.
//
// When lines come faster than the disk takes them, the queue fills and
// Record waits: no line is dropped, and the server slows down to what the
// disk sustains. An answer may leave before its line is on disk: a crash
// loses the lines queued and the batch being written (at most twice
// queueLines; a few milliseconds of answers at the loads measured). A
// graceful shutdown loses none: the server runs Close, the close hook,
// after the last answer.
type AuditLog struct {
	key []byte       // HMAC key of the clients' pseudonyms, drawn at open
	log *slog.Logger // where failures to write are reported

	queue chan []byte // lines waiting for the writer, encoded, each ending in '\n'

	// closeMu lets Record send on queue while Close cannot close it:
	// Record holds it shared while it sends, Close alone to close.
	closeMu   sync.RWMutex
	closed    bool
	closeOnce sync.Once

	// Only the writer goroutine touches f, w and err before done closes.
	f    *os.File
	w    *bufio.Writer
	err  error         // the first failure to write, sync or close
	torn bool          // a failed flush may have left a part of a line in the file
	done chan struct{} // closed when the file is flushed, synced and closed
}

// OpenAuditLog opens the audit log at path for appending, creating it if
// needed, and starts its writer; failures to write are reported to log.
func OpenAuditLog(path string, log *slog.Logger) (*AuditLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	l := &AuditLog{key: key, log: log, f: f,
		queue: make(chan []byte, queueLines),
		w:     bufio.NewWriterSize(f, 64<<10),
		done:  make(chan struct{}),
	}
	go l.writeLoop()
	return l, nil
}

// Record queues e as one JSON line for the writer and returns: the line
// reaches the disk with the next batch, within one or two fsyncs. When the
// queue is full, Record waits for room.
func (l *AuditLog) Record(e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	line = append(line, '\n')

	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	l.queue <- line
	return nil
}

// writeLoop is the only goroutine that writes the file. It waits for a
// line, takes the lines queued behind it (at most a queue's worth), writes
// them into the buffer, then flushes and fsyncs once for the whole batch.
// When the queue is closed and drained, it closes the file.
func (l *AuditLog) writeLoop() {
	defer close(l.done)
	for line := range l.queue {
		if l.torn {
			l.w.WriteByte('\n') // ends the torn line, so that the next ones stay whole
			l.torn = false
		}
		l.w.Write(line)
		n := 1
	batch:
		for n < queueLines {
			select {
			case line, ok := <-l.queue:
				if !ok {
					break batch
				}
				l.w.Write(line)
				n++
			default:
				break batch
			}
		}
		l.commit(n)
	}
	if err := l.f.Close(); err != nil {
		l.fail(err, "closing the audit log failed")
	}
}

// commit flushes the buffer and fsyncs the file: the batch of n lines is
// then on disk. A failure loses the batch; the buffer is reset so that the
// next batch tries again, after a newline that ends whatever part of a
// line the failed flush wrote.
func (l *AuditLog) commit(n int) {
	err := l.w.Flush()
	if err == nil {
		err = l.f.Sync()
	}
	if err != nil {
		l.w.Reset(l.f)
		l.torn = true
		l.fail(err, "audit lines not written", "lines", n)
	}
}

// fail logs a failure of the writer and keeps the first one for Close.
func (l *AuditLog) fail(err error, msg string, args ...any) {
	l.log.Error("audit: "+msg, append(args, "err", err)...)
	if l.err == nil {
		l.err = fmt.Errorf("audit log: %w", err)
	}
}

// Close stops taking lines, waits until every line queued is written and
// fsynced, and closes the file. It is the close hook of the server, which
// runs it once the requests in flight have been answered. If ctx ends
// first, Close returns with lines still queued. Record fails with
// ErrClosed after it.
func (l *AuditLog) Close(ctx context.Context) error {
	l.closeOnce.Do(func() {
		// Taking closeMu waits for the Records still sending, which the
		// writer is draining: in a goroutine, so that ctx bounds the wait.
		go func() {
			l.closeMu.Lock()
			l.closed = true
			close(l.queue)
			l.closeMu.Unlock()
		}()
	})
	select {
	case <-l.done:
		return l.err
	case <-ctx.Done():
		return fmt.Errorf("audit log: %d lines or more still queued when the shutdown ended: %w", len(l.queue), ctx.Err())
	}
}
