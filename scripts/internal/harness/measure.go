package harness

import (
	"context"
	"fmt"
	"github.com/google/pprof/profile"
	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/server"
	"io"
	"path/filepath"
	"time"
)

// LoadOptions says how Measure loads a program.
type LoadOptions struct {
	Concurrency int           // requests in flight
	Duration    time.Duration // length of the load
	Capture     time.Duration // length of the CPU and wall-clock captures, taken after a 1 s warm-up
	Mix         load.Mix      // the ids asked for; the zero Mix means StandardMix
	// Trace, when above zero, is the length of an execution trace taken
	// after the captures (not beside them: tracing beside block and mutex
	// profiling has crashed Go programs, golang/go#75478), still under load.
	Trace time.Duration
	// StopUnderLoad stops the program gracefully (SIGTERM) once the
	// captures are done, while the load still runs, so that requests are
	// in flight when it shuts down: what a close hook must not lose. The
	// load then ends when the program has exited.
	StopUnderLoad bool
	// Settle is how long Measure waits after the load before it reads the
	// program's numbers once more (vars-after.json): time for the
	// goroutines of the load's connections to end.
	Settle time.Duration
	// Leaks, once the program has settled, captures its goroutine leak
	// profile (goroutineleak.pprof; a program built with
	// GOEXPERIMENT=goroutineleakprofile serves it).
	Leaks bool
}

// Measurement is what one load of a program found.
type Measurement struct {
	Load  load.BodyCheck   // every answer checked, with throughput and latency
	CPU   *profile.Profile // /debug/pprof/profile during the load
	Wall  *profile.Profile // /debug/fgprof during the load
	Trace string           // the execution trace's file, when LoadOptions.Trace asked for one
	// Vars is what the program said at /debug/vars before the load and,
	// LoadOptions.Settle after it, after (vars-before.json,
	// vars-after.json); After is nil when Measure stopped the program.
	Vars captures.VarsChange
	// Leaked is how many goroutines the leak profile found blocked
	// forever, when LoadOptions.Leaks asked for it.
	Leaked int64
	// Stopped says that Measure stopped the program (StopUnderLoad);
	// StopErr is what Stop said.
	Stopped bool
	StopErr error
}

// Measure loads p with CheckBodies, every answer checked, while it
// captures a CPU profile, a wall-clock profile (fgprof) and an allocation
// profile into dir (cpu.pprof, fgprof.pprof, allocs.pprof), then, if
// asked, an execution trace
// (trace.out). The commands it runs are printed to w.
func Measure(ctx context.Context, w io.Writer, p *proc.Program, dir string, opt LoadOptions) (Measurement, error) {
	var m Measurement
	secs := int(opt.Capture / time.Second)
	if secs < 1 || opt.Capture+opt.Trace+2*time.Second > opt.Duration {
		return m, fmt.Errorf("capture %s and trace %s do not fit in a load of %s with a second on each side", opt.Capture, opt.Trace, opt.Duration)
	}
	if opt.Mix == (load.Mix{}) {
		opt.Mix = load.StandardMix()
	}
	var err error
	if m.Vars.Before, err = fetchVars(ctx, w, p, filepath.Join(dir, "vars-before.json")); err != nil {
		return m, err
	}
	fmt.Fprintf(w, "   load: %d requests in flight for %s, every answer's body checked; mix: %s\n", opt.Concurrency, opt.Duration, opt.Mix)
	loadCtx, cancel := context.WithTimeout(ctx, opt.Duration)
	defer cancel()
	loaded := make(chan load.BodyCheck, 1)
	stopping := make(chan struct{})
	go func() {
		loaded <- load.CheckBodies(loadCtx, load.BodyCheckOptions{BaseURL: p.App, Mix: opt.Mix, Concurrency: opt.Concurrency, Stopping: stopping, Extras: true})
	}()
	// allocs.pprof is not read here: it is kept for the reader of a FAIL.
	ps, errCaptures := captureWindow(ctx, w, p, dir, secs, opt.Trace, "cpu.pprof", "fgprof.pprof", "allocs.pprof")
	if ctx.Err() != nil {
		<-loaded
		return m, ctx.Err()
	}
	if len(ps) == 3 {
		m.CPU, m.Wall = ps[0], ps[1]
	}
	if opt.Trace > 0 && errCaptures == nil {
		m.Trace = filepath.Join(dir, "trace.out")
	}
	if opt.StopUnderLoad && loadCtx.Err() == nil {
		fmt.Fprintf(w, "$ kill -TERM %d   # under load: the graceful shutdown must keep every answer's promises\n", p.PID)
		close(stopping)
		m.Stopped, m.StopErr = true, p.Stop()
		cancel()
	}
	m.Load = <-loaded
	if errCaptures != nil {
		return m, errCaptures
	}
	if m.Stopped {
		return m, nil
	}
	if p.Exited() {
		return m, fmt.Errorf("the server exited during the load; its log:\n%s", proc.Tail(p.Log))
	}
	if opt.Settle > 0 {
		if err := settle(ctx, w, opt.Settle); err != nil {
			return m, err
		}
	}
	if m.Vars.After, err = fetchVars(ctx, w, p, filepath.Join(dir, "vars-after.json")); err != nil {
		return m, err
	}
	if opt.Leaks {
		leaks, err := proc.Capture(ctx, w, p.Debug+"/debug/pprof/goroutineleak", filepath.Join(dir, "goroutineleak.pprof"))
		if err != nil {
			return m, fmt.Errorf("the goroutine leak profile (is the program built with GOEXPERIMENT=goroutineleakprofile?): %w", err)
		}
		m.Leaked = captures.Goroutines(leaks)
	}
	return m, nil
}

// settle waits d once a load is over, for its connections' goroutines to
// end, printing it as a shell would.
func settle(ctx context.Context, w io.Writer, d time.Duration) error {
	fmt.Fprintf(w, "$ sleep %g   # the load is over: let its connections' goroutines end\n", d.Seconds())
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetchVars saves the program's /debug/vars into path and parses it.
func fetchVars(ctx context.Context, w io.Writer, p *proc.Program, path string) (server.Vars, error) {
	b, err := proc.Fetch(ctx, w, p.Debug+"/debug/vars", path)
	if err != nil {
		return nil, err
	}
	return captures.ParseVars(b, path)
}
