package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// App is the users service: the app listener that serves GET /users/{id},
// the debug listener that serves the profiles, and the store behind them.
type App struct {
	cfg      Config
	log      *slog.Logger
	store    *Store
	mux      *http.ServeMux // the app's routes, which name each request's trace task
	handler  http.Handler   // mux wrapped in cfg.Middleware
	appSrv   *http.Server
	debugSrv *http.Server
	appLn    net.Listener
	debugLn  net.Listener
	inflight atomic.Int64 // requests inside ServeHTTP
	requests atomic.Int64 // requests that entered ServeHTTP
	pages    atomic.Int64 // answers with status 200
	flight   *flight      // the flight recorder, nil when off
}

// New opens both listeners and the store, and serves nothing yet. A busy
// or forbidden address is reported here, before the store is seeded.
func New(ctx context.Context, cfg Config) (*App, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	a := &App{cfg: cfg, log: log}
	ok := false
	defer func() {
		if !ok {
			a.closeAll()
		}
	}()

	// Listen first: a busy port is the likeliest mistake, and it should not
	// wait for the store to be seeded. Connections that arrive meanwhile
	// wait in the listen queue until Serve.
	var err error
	if a.appLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("app listener: %s is not available (change it with -addr): %w", cfg.Addr, err)
	}
	if a.debugLn, err = net.Listen("tcp", cfg.DebugAddr); err != nil {
		return nil, fmt.Errorf("debug listener: %s is not available (change it with -debug-addr): %w", cfg.DebugAddr, err)
	}
	if !isLoopback(a.debugLn.Addr()) {
		if !cfg.DebugPublic {
			return nil, fmt.Errorf("debug listener: %s is reachable from other machines; profiles expose the program's internals, so bind it to localhost or pass -debug-public", a.debugLn.Addr())
		}
		log.Warn("debug listener is reachable from other machines: anyone who reaches it can read profiles and traces", "addr", a.debugLn.Addr().String())
	}

	a.store, err = OpenStore(ctx, StoreOptions{Path: cfg.DBPath, Users: cfg.Users, Conns: cfg.DBConns})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/users/{id}", newUsersHandler(a.store, cfg.Steps, log))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "no route for "+r.URL.Path+"; try GET /users/{id}")
	})
	a.mux = mux
	var h http.Handler = mux
	for i := len(cfg.Middleware) - 1; i >= 0; i-- {
		h = cfg.Middleware[i](h)
	}
	a.handler = h

	a.appSrv = &http.Server{
		Handler:           a,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// No WriteTimeout on the debug server: a capture writes nothing until its
	// seconds are up, and a timeout shorter than the capture would cut it
	// (fgprof's answer is then empty; pprof refuses such a request). The
	// listener is on loopback, and ReadHeaderTimeout still guards reads.
	if cfg.Flight.Slow > 0 {
		a.flight = newFlight(cfg.Flight, log)
	}
	a.debugSrv = &http.Server{
		Handler:           debugHandler(a.flight, newVars(append(a.metrics(), cfg.Metrics...))),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ok = true
	return a, nil
}

// builtinMetrics are the names of the app's own metrics, which a
// Config's may not take.
var builtinMetrics = []string{"requests_total", "pages_total", "requests_in_flight", "db_wait_count_total", "db_wait_seconds_total", "db_in_use", "db_open"}

// metrics are the app's own numbers for /debug/vars: its requests, and
// the users store's pool (database/sql's DBStats).
func (a *App) metrics() []Metric {
	db := a.store.DB()
	return []Metric{
		{"requests_total", "requests the app listener has received", func() float64 { return float64(a.requests.Load()) }},
		{"pages_total", "answers with status 200: pages shown", func() float64 { return float64(a.pages.Load()) }},
		{"requests_in_flight", "requests being handled now", func() float64 { return float64(a.inflight.Load()) }},
		{"db_wait_count_total", "users store: times a query waited for one of the pool's connections (sql.DBStats.WaitCount)", func() float64 { return float64(db.Stats().WaitCount) }},
		{"db_wait_seconds_total", "users store: seconds queries waited for a connection, summed (sql.DBStats.WaitDuration)", func() float64 { return db.Stats().WaitDuration.Seconds() }},
		{"db_in_use", "users store: connections in use now (sql.DBStats.InUse)", func() float64 { return float64(db.Stats().InUse) }},
		{"db_open", "users store: connections open now, of at most -db-conns (sql.DBStats.OpenConnections)", func() float64 { return float64(db.Stats().OpenConnections) }},
	}
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// Addr is the app listener's address, e.g. 127.0.0.1:8080.
func (a *App) Addr() net.Addr { return a.appLn.Addr() }

// DebugAddr is the debug listener's address, e.g. 127.0.0.1:6060.
func (a *App) DebugAddr() net.Addr { return a.debugLn.Addr() }

// Store is the users store the app reads.
func (a *App) Store() *Store { return a.store }

// ServeHTTP serves one request of the app listener. Every request passes
// through it, which makes its frame the mark of a request-handling
// goroutine in a profile. A panic below it is logged with its stack and
// answered with 500, or, if the answer had already begun, by aborting the
// connection so the client cannot take a cut body for a whole one.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests.Add(1)
	a.inflight.Add(1)
	defer a.inflight.Add(-1)
	if a.flight != nil {
		start := time.Now()
		defer func() { a.flight.observe(r, time.Since(start)) }()
	}
	// The request's trace task spans everything the app does for it,
	// middleware included, so that the slowest tasks are the slowest
	// requests. It is named by the route's pattern (Route for the users
	// endpoint), and logs the request itself under the category request.
	ctx, task := trace.NewTask(r.Context(), a.taskType(r))
	defer task.End()
	if trace.IsEnabled() {
		trace.Log(ctx, "request", r.Method+" "+r.URL.Path)
	}
	r = r.WithContext(ctx)
	rw := &statusWriter{ResponseWriter: w}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		a.log.ErrorContext(r.Context(), "panic serving request",
			"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if rw.wroteHeader {
			panic(http.ErrAbortHandler)
		}
		clear(rw.Header())
		WriteError(rw, http.StatusInternalServerError, "internal error")
	}()
	a.handler.ServeHTTP(rw, r)
	if rw.code == http.StatusOK {
		a.pages.Add(1)
	}
}

// taskType names a request's trace task: its method and the pattern of
// the route that serves it, e.g. GET /users/{id} (Route), or the method
// alone for a path no route serves.
func (a *App) taskType(r *http.Request) string {
	_, pattern := a.mux.Handler(r)
	switch {
	case pattern == "/" || pattern == "":
		return r.Method
	case r.Method+" "+pattern == Route:
		return Route // the same string every time: no copy per request
	}
	return r.Method + " " + pattern
}

// statusWriter remembers whether the answer has begun.
type statusWriter struct {
	http.ResponseWriter
	wroteHeader bool
	code        int // the status sent, once the answer began
}

// WriteHeader passes the status on and remembers that the answer began;
// an invalid code panics underneath and leaves the answer unbegun.
func (w *statusWriter) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	if !w.wroteHeader && code >= 200 {
		w.code = code
	}
	w.wroteHeader = true
}

// Write passes the body on and remembers that the answer began.
func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.code = http.StatusOK
	}
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Serve serves both listeners until ctx is done, then shuts down: the app
// listener stops accepting and in-flight requests get up to
// cfg.ShutdownTimeout to finish. Requests still running then have their
// connections closed and get one more ShutdownTimeout to return, since a
// handler does not stop when its connection does. Then the debug listener
// closes, the close hooks run in reverse order of cfg.Closers with a
// context of their own that ends after ShutdownTimeout, and the store
// closes.
func (a *App) Serve(ctx context.Context) error {
	prevMutex := runtime.SetMutexProfileFraction(a.cfg.MutexFraction)
	runtime.SetBlockProfileRate(a.cfg.BlockRate)
	defer func() {
		runtime.SetMutexProfileFraction(prevMutex)
		runtime.SetBlockProfileRate(0)
	}()

	if a.flight != nil {
		if err := a.flight.start(); err != nil {
			return err
		}
		defer a.flight.stop()
	}

	errc := make(chan error, 2)
	go func() { errc <- a.appSrv.Serve(a.appLn) }()
	go func() { errc <- a.debugSrv.Serve(a.debugLn) }()
	a.log.Info("serving", "app", "http://"+a.Addr().String()+"/users/42",
		"debug", "http://"+a.DebugAddr().String()+"/debug/pprof/", "users", a.store.Users())

	var errs []error
	if a.cfg.ReadyFile != "" {
		ready := Ready{PID: os.Getpid(), App: "http://" + a.Addr().String(), Debug: "http://" + a.DebugAddr().String()}
		if err := WriteReady(a.cfg.ReadyFile, ready); err != nil {
			a.log.Error("ready file not written", "err", err)
			errs = append(errs, err)
			ctx = canceled // nobody will know that it serves: shut down
		}
	}
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	case err := <-errc:
		a.log.Error("listener failed", "err", err)
		errs = append(errs, err)
	}

	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.appSrv.Shutdown(sctx); err != nil {
		a.appSrv.Close()
		errs = append(errs, fmt.Errorf("shutdown: %d requests still running after %s, their connections closed",
			a.inflight.Load(), a.cfg.ShutdownTimeout))
		if !a.waitIdle(a.cfg.ShutdownTimeout) {
			errs = append(errs, fmt.Errorf("shutdown: %d requests still running after %s more; close hooks run beside them",
				a.inflight.Load(), a.cfg.ShutdownTimeout))
		}
	}
	a.debugSrv.Close() // a capture in progress is cut: the app is going away

	hctx, hcancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer hcancel()
	for i := len(a.cfg.Closers) - 1; i >= 0; i-- {
		if err := a.cfg.Closers[i](hctx); err != nil {
			errs = append(errs, fmt.Errorf("close hook: %w", err))
		}
	}
	if err := a.store.Close(); err != nil {
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	if err != nil {
		a.log.Error("stopped with errors", "err", err)
	} else {
		a.log.Info("stopped")
	}
	return err
}

// waitIdle waits up to d for every request inside ServeHTTP to return.
func (a *App) waitIdle(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for a.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// closeAll releases what New opened, when New fails half way.
func (a *App) closeAll() {
	if a.appLn != nil {
		a.appLn.Close()
	}
	if a.debugLn != nil {
		a.debugLn.Close()
	}
	if a.store != nil {
		a.store.Close()
	}
}

// canceled is a context that is already done.
var canceled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// Run serves cfg until SIGINT or SIGTERM, then shuts down gracefully. A
// second signal stops the process at once.
func Run(cfg Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		stop() // the next signal kills the process
	}()
	return app.Serve(ctx)
}

// isToken reports whether s is an HTTP token (RFC 9110), as a Server-Timing
// metric name must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 0x7e || c <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}
