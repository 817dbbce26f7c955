package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// RateLog logs a failure that repeats, such as every request refused
// while a disk is full, at most once per Every, with how many happened
// since its last line: one line per failure would flood the log, and
// fill the disk that holds it. The zero value is not usable: set Log and
// Msg, and Every (a second when zero).
type RateLog struct {
	Log   *slog.Logger
	Msg   string        // the message of each line, e.g. "audit: requests refused"
	Every time.Duration // at most one line per Every; a second when zero

	count atomic.Int64 // failures since the last line
	mu    sync.Mutex
	last  time.Time // when the last line was logged
}

// Add counts one failure, and logs it at level Error, with args and
// count (the failures since the last line, this one included), unless a
// line was logged less than Every ago.
func (r *RateLog) Add(ctx context.Context, args ...any) {
	n := r.count.Add(1)
	every := r.Every
	if every == 0 {
		every = time.Second
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.last) < every {
		return
	}
	r.last = time.Now()
	r.count.Add(-n)
	r.Log.ErrorContext(ctx, r.Msg, append(args, "count", n)...)
}

// Resolved logs msg at level Info with the failures counted since the
// last line, if any: the failure is over, and those were not reported
// yet. It costs one atomic load when there were none, so it may run on
// every success.
func (r *RateLog) Resolved(ctx context.Context, msg string) {
	if r.count.Load() == 0 {
		return
	}
	if n := r.count.Swap(0); n > 0 {
		r.Log.InfoContext(ctx, msg, "count_since_last_line", n)
	}
}
