package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

// FlightConfig turns on the flight recorder: runtime/trace's
// FlightRecorder keeps the last moments of the execution trace in memory,
// and a request slower than Slow writes them to a file, so that a stall
// that lasts a few hundred milliseconds every few seconds, which averaged
// profiles dilute, can be opened in go tool trace as it happened.
type FlightConfig struct {
	// Slow is the latency above which a request writes a snapshot; zero
	// leaves the recorder off (-flight-slow).
	Slow time.Duration
	// MinAge is how much trace the recorder keeps at least (-flight-min-age):
	// about twice the window one wants to see, as the Go blog's article on
	// the flight recorder advises, so that the start of a slow request is
	// still there when it ends.
	MinAge time.Duration
	// MaxBytes bounds the trace kept in memory (-flight-max-bytes); under
	// load the bound, not MinAge, may decide how far back it reaches.
	MaxBytes uint64
	// Cooldown is the least time between two snapshots (-flight-cooldown):
	// a slow period writes one file, not one per slow request.
	Cooldown time.Duration
	// Dir is where snapshots go, as flight-<time>.trace; empty means the
	// working folder.
	Dir string
}

// DefaultFlight is the flight recorder's configuration before flags: off,
// and when on, 2 s of trace (twice a window of a second) in at most
// 32 MiB, one snapshot per 10 s at most.
var DefaultFlight = FlightConfig{MinAge: 2 * time.Second, MaxBytes: 32 << 20, Cooldown: 10 * time.Second}

// flight is the app's flight recorder and the policy of its snapshots.
type flight struct {
	cfg FlightConfig
	log *slog.Logger
	fr  *trace.FlightRecorder

	mu   sync.Mutex // serializes WriteTo: a second concurrent call fails by design
	last atomic.Int64
	busy atomic.Bool // a snapshot of a slow request is being written
	// wrote counts the snapshots written for slow requests, for tests.
	wrote atomic.Int64
}

func newFlight(cfg FlightConfig, log *slog.Logger) *flight {
	return &flight{cfg: cfg, log: log, fr: trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: cfg.MinAge, MaxBytes: cfg.MaxBytes})}
}

// start begins recording.
func (f *flight) start() error {
	if err := f.fr.Start(); err != nil {
		return fmt.Errorf("flight recorder: %w", err)
	}
	f.log.Info("flight recorder on", "slow", f.cfg.Slow.String(), "min_age", f.cfg.MinAge.String(), "max_bytes", f.cfg.MaxBytes, "dir", f.dir())
	return nil
}

// stop ends recording, once a snapshot being written is done.
func (f *flight) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fr.Stop()
}

func (f *flight) dir() string {
	if f.cfg.Dir == "" {
		return "."
	}
	return f.cfg.Dir
}

// observe is told every app request's latency once it is answered; a slow
// one writes a snapshot in the background, unless another was written
// within the cooldown or is being written now.
func (f *flight) observe(r *http.Request, d time.Duration) {
	if d < f.cfg.Slow {
		return
	}
	now := time.Now()
	if last := f.last.Load(); last != 0 && now.Sub(time.Unix(0, last)) < f.cfg.Cooldown {
		return
	}
	if !f.busy.CompareAndSwap(false, true) {
		return
	}
	f.last.Store(now.UnixNano())
	method, path := r.Method, r.URL.Path
	go func() {
		defer f.busy.Store(false)
		file, n, err := f.snapshot(now)
		if err != nil {
			f.log.Error("flight recorder: snapshot not written", "method", method, "path", path, "duration", d.String(), "err", err)
			return
		}
		f.wrote.Add(1)
		f.log.Warn("flight recorder: slow request, snapshot written", "method", method, "path", path, "duration", d.String(),
			"file", file, "bytes", n, "open", "go tool trace "+file)
	}()
}

// snapshot writes the recorder's window to flight-<time>.trace, whole or
// not at all (a temporary file renamed).
func (f *flight) snapshot(at time.Time) (string, int64, error) {
	name := filepath.Join(f.dir(), "flight-"+at.UTC().Format("20060102T150405.000Z")+".trace")
	tmp, err := os.CreateTemp(f.dir(), ".flight-*.trace")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	n, err := f.writeTo(tmp)
	if err == nil {
		err = tmp.Chmod(0o644) // a trace file like the others, not CreateTemp's private one
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", n, err
	}
	return name, n, os.Rename(tmp.Name(), name)
}

// errFlightBusy is what writeTo says while another snapshot is written.
var errFlightBusy = errors.New("a flight recorder snapshot is being written; try again in a moment")

// writeTo writes the recorder's window to w, or fails at once with
// errFlightBusy while another snapshot is being written.
func (f *flight) writeTo(w io.Writer) (int64, error) {
	if !f.mu.TryLock() {
		return 0, errFlightBusy
	}
	defer f.mu.Unlock()
	return f.fr.WriteTo(w)
}

// ServeHTTP is /debug/flight on the debug listener: a snapshot of the
// recorder's window now, to open with go tool trace.
func (f *flight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f == nil {
		WriteError(w, http.StatusNotFound, "the flight recorder is off: start the server with -flight-slow (e.g. -flight-slow 100ms)")
		return
	}
	// Write to memory first: a failure then is a clean error, not a cut trace.
	var buf bytes.Buffer
	if _, err := f.writeTo(&buf); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, errFlightBusy) {
			status = http.StatusServiceUnavailable
		}
		WriteError(w, status, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="flight.trace"`)
	w.Write(buf.Bytes())
}
