package server

import (
	"context"
	"expvar"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"time"
)

// metricName is what a Metric's name must look like.
var metricName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Config is everything New needs: addresses, store, timeouts, profiling
// rates, and the seam through which an exercise or a solution plugs its own
// components into the request path without copying the server.
type Config struct {
	Addr        string // app listener, default localhost:8080
	DebugAddr   string // debug listener, default localhost:6060
	DebugPublic bool   // allow a debug address that is not loopback

	DBPath  string // database file; empty means a temporary one
	Users   int    // users seeded into a new database
	DBConns int    // read pool size

	BlockRate     int // runtime.SetBlockProfileRate: one sample per this many ns blocked
	MutexFraction int // runtime.SetMutexProfileFraction: one in this many contention events

	ReadHeaderTimeout time.Duration // app and debug: time to read a request's headers
	ReadTimeout       time.Duration // app: time to read a whole request
	WriteTimeout      time.Duration // app: time to write an answer; the debug listener has none
	IdleTimeout       time.Duration // app and debug: how long an idle keep-alive connection stays open
	ShutdownTimeout   time.Duration // how long in-flight requests get to finish, and close hooks to run

	// Flight turns on the flight recorder when Flight.Slow is set (see
	// FlightConfig): slow requests write the last moments of the
	// execution trace to a file, and /debug/flight serves them on demand.
	Flight FlightConfig

	// ReadyFile, when set, is where Serve writes the listeners' addresses
	// as one JSON line once both serve (see Ready): the signal that the
	// kit's scripts wait for, rather than the wording of a log line.
	ReadyFile string

	Logger *slog.Logger // where the service logs; DefaultConfig's writes text to stderr

	// Middleware wraps the app's routes, first element outermost. It sees
	// every request of the app listener and none of the debug listener.
	Middleware []func(http.Handler) http.Handler
	// Steps run in GET /users/{id} after the database lookup and before
	// rendering, each timed, labelled and traced under its name.
	Steps []Step
	// Metrics are the program's own numbers, served at /debug/vars on the
	// debug listener beside the runtime's and the app's (see Metric).
	Metrics []Metric
	// Closers run once at shutdown, after in-flight requests have finished
	// and in reverse order, with a context that ends at the shutdown
	// timeout: a buffered writer flushes here.
	Closers []func(context.Context) error
}

// DefaultConfig returns the configuration the flags start from.
func DefaultConfig() Config {
	return Config{
		Addr:              "localhost:8080",
		DebugAddr:         "localhost:6060",
		Users:             10000,
		DBConns:           4,
		BlockRate:         10000,
		MutexFraction:     10,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ShutdownTimeout:   10 * time.Second,
		Flight:            DefaultFlight,
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
}

// RegisterFlags defines a flag for every plain field of c on fs, with c's
// values as defaults. Parsing fs then fills c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "app listener `address`")
	fs.StringVar(&c.DebugAddr, "debug-addr", c.DebugAddr, "debug listener `address` (pprof, fgprof); loopback unless -debug-public")
	fs.BoolVar(&c.DebugPublic, "debug-public", c.DebugPublic, "allow a debug address reachable from other machines")
	fs.StringVar(&c.DBPath, "db", c.DBPath, "SQLite database `file`, created and seeded if it has no users table (default: a temporary file, removed on exit)")
	fs.IntVar(&c.Users, "users", c.Users, "`number` of users seeded into a new database")
	fs.IntVar(&c.DBConns, "db-conns", c.DBConns, "`number` of connections in the read pool")
	fs.IntVar(&c.BlockRate, "block-rate", c.BlockRate, "block profile: one sample per this many `ns` spent blocked (0 turns it off)")
	fs.IntVar(&c.MutexFraction, "mutex-fraction", c.MutexFraction, "mutex profile: one sample per this many contention `events` (0 turns it off)")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", c.ReadHeaderTimeout, "app and debug: time to read a request's headers")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "app: time to read a whole request")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "app: time to write a response (the debug listener has none, so long captures finish)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "app and debug: how long an idle keep-alive connection stays open")
	fs.StringVar(&c.ReadyFile, "ready-file", c.ReadyFile, "once both listeners serve, write their addresses to this `file` as one JSON line (for scripts)")
	fs.DurationVar(&c.Flight.Slow, "flight-slow", c.Flight.Slow, "turn on the flight recorder: a request slower than this `duration` writes the last moments of the execution trace to flight-<time>.trace (0: off)")
	fs.DurationVar(&c.Flight.MinAge, "flight-min-age", c.Flight.MinAge, "flight recorder: keep at least this much trace (`duration`), about twice the window to see")
	fs.Uint64Var(&c.Flight.MaxBytes, "flight-max-bytes", c.Flight.MaxBytes, "flight recorder: keep at most this many `bytes` of trace")
	fs.DurationVar(&c.Flight.Cooldown, "flight-cooldown", c.Flight.Cooldown, "flight recorder: at most one snapshot per this `duration`")
	fs.StringVar(&c.Flight.Dir, "flight-dir", c.Flight.Dir, "flight recorder: `folder` of the snapshots (default: the working folder)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "on SIGINT or SIGTERM: how long in-flight requests get to finish, then stragglers to return, then close hooks to run (up to 3× in all)")
}

func (c *Config) validate() error {
	seen := map[string]bool{"parse": true, "db": true, "render": true, "total": true}
	for _, s := range c.Steps {
		if !isToken(s.Name) || seen[s.Name] {
			return fmt.Errorf("step name %q: must be an HTTP token, unique, and none of parse, db, render, total", s.Name)
		}
		if s.Run == nil {
			return fmt.Errorf("step %q has no Run", s.Name)
		}
		seen[s.Name] = true
	}
	if len(c.Steps)+4 > maxSteps {
		return fmt.Errorf("%d steps: at most %d fit beside parse, db and render", len(c.Steps), maxSteps-4)
	}
	names := map[string]bool{}
	for _, m := range builtinMetrics {
		names[m] = true
	}
	for _, m := range runtimeMetrics {
		names[m.name] = true
	}
	for _, m := range c.Metrics {
		if !metricName.MatchString(m.Name) || names[m.Name] || expvar.Get(m.Name) != nil || m.Value == nil {
			return fmt.Errorf("metric %q: want a unique lower-case name of letters, digits and _, and a Value", m.Name)
		}
		names[m.Name] = true
	}
	if c.Logger == nil {
		return fmt.Errorf("no Logger: start from DefaultConfig")
	}
	if c.Flight.Slow < 0 || (c.Flight.Slow > 0 && (c.Flight.MinAge <= 0 || c.Flight.MaxBytes == 0 || c.Flight.Cooldown < 0)) {
		return fmt.Errorf("flight recorder: want -flight-slow ≥ 0, and with it a positive -flight-min-age and -flight-max-bytes and a -flight-cooldown ≥ 0")
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown timeout must be positive, got %s", c.ShutdownTimeout)
	}
	return nil
}
