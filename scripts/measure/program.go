package measure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/slowpath/slowpath/server"
)

// ReadyTimeout is how long Start waits for a program to serve. The first
// start of a program seeds its database; a minute is ample, and a program
// that takes longer is hung.
const ReadyTimeout = time.Minute

// StopTimeout is how long Stop waits after SIGTERM before it kills the
// program: the server's graceful shutdown may take up to three of its
// shutdown timeouts (requests, stragglers, close hooks), and a little
// more to exit.
var StopTimeout = 3*server.DefaultConfig().ShutdownTimeout + 5*time.Second

// Build compiles the main package pkg (a path from the module root such
// as ./exercises/01-audit-trail) into the folder out, with the go command
// run in root and env (NAME=value, the catalog's build settings) added to
// its environment, and returns the binary's path. Its command line is
// printed to w first.
func Build(ctx context.Context, w io.Writer, root, pkg, out string, env ...string) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	bin, err := filepath.Abs(filepath.Join(out, filepath.Base(pkg)))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	fmt.Fprintf(w, "$ %sgo build -o %s %s\n", prefix(env), bin, pkg)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return bin, nil
}

// prefix writes env as a shell prefix: "A=1 B=2 ", or "".
func prefix(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(env, " ") + " "
}

// Program is a server of the kit (the baseline, an exercise, a solution or
// the ceiling) running as its own process, on loopback ports the kernel
// picked, for a measurement.
type Program struct {
	App   string // base URL of the app listener, http://127.0.0.1:port
	Debug string // base URL of the debug listener
	Log   string // path of the server's log (its stdout and stderr)
	PID   int    // its process id, and the id of its process group

	cmd  *exec.Cmd
	done chan struct{}
	err  error // how the process ended, once done is closed
}

// Start runs bin with dir as its working folder (where the files the
// program writes land, its log server.log among them), on loopback ports
// the kernel picks, and args after those. It returns once the program
// has written its ready file (server.Ready, dir/ready.json), and fails if
// it exits first or takes longer than ReadyTimeout.
func Start(ctx context.Context, w io.Writer, bin, dir string, args ...string) (*Program, error) {
	return StartAt(ctx, w, bin, dir, "127.0.0.1:0", "127.0.0.1:0", args...)
}

// StartAt is Start with the app listener on addr and the debug listener
// on debugAddr (e.g. localhost:8080 and localhost:6060), as the loop
// starts a program for a learner to reach.
func StartAt(ctx context.Context, w io.Writer, bin, dir, addr, debugAddr string, args ...string) (*Program, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "server.log")
	readyPath := filepath.Join(dir, "ready.json")
	os.Remove(readyPath)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own copy
	args = append([]string{"-addr", addr, "-debug-addr", debugAddr, "-ready-file", "ready.json"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	ownGroup(cmd) // a Ctrl-C reaches the caller, which stops this once
	shown := bin
	if rel, err := filepath.Rel(dir, bin); err == nil && !strings.HasPrefix(rel, "..") {
		shown = rel
	}
	fmt.Fprintf(w, "$ (cd %s && %s %s) > %s 2>&1 &\n", dir, shown, strings.Join(args, " "), logPath)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Program{Log: logPath, PID: cmd.Process.Pid, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	rctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	r, err := server.AwaitReady(rctx, readyPath, p.done)
	switch {
	case errors.Is(err, server.ErrExited):
		return nil, fmt.Errorf("%s exited before serving (%v); its log:\n%s", bin, p.err, tail(logPath))
	case ctx.Err() != nil:
		p.kill()
		return nil, ctx.Err()
	case err != nil:
		p.kill()
		return nil, fmt.Errorf("%s did not serve within %s; its log:\n%s", bin, ReadyTimeout, tail(logPath))
	case r.PID != p.PID:
		p.kill()
		return nil, fmt.Errorf("%s: the ready file names process %d, not %d", readyPath, r.PID, p.PID)
	}
	p.App, p.Debug = r.App, r.Debug
	if host, _, _ := net.SplitHostPort(addr); host == "localhost" { // as the learner would type it
		p.App, p.Debug = asLocalhost(r.App), asLocalhost(r.Debug)
	}
	return p, nil
}

// asLocalhost writes a loopback URL with the host name localhost.
func asLocalhost(url string) string {
	for _, ip := range []string{"127.0.0.1", "[::1]"} {
		if rest, ok := strings.CutPrefix(url, "http://"+ip+":"); ok {
			return "http://localhost:" + rest
		}
	}
	return url
}

// Stop sends SIGTERM, the graceful shutdown, and waits for the program to
// exit; after StopTimeout it kills it. It fails if the program exits with
// an error or had already exited.
func (p *Program) Stop() error {
	select {
	case <-p.done:
		return fmt.Errorf("the server had already exited (%v); its log:\n%s", p.err, tail(p.Log))
	default:
	}
	p.cmd.Process.Signal(sigTerm)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		p.kill()
		return fmt.Errorf("the server did not stop within %s of SIGTERM; its log:\n%s", StopTimeout, tail(p.Log))
	}
	if p.err != nil {
		return fmt.Errorf("the server exited with %v; its log:\n%s", p.err, tail(p.Log))
	}
	return nil
}

// Kill ends the program's process group at once and waits for it: for a
// caller that gives up, never for a measurement's end.
func (p *Program) Kill() { p.kill() }

// kill ends the program's process group at once and waits for it.
func (p *Program) kill() {
	signalGroup(p.PID, sigKill)
	<-p.done
}

// Exited reports whether the program has exited.
func (p *Program) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail returns the last lines of a log, indented.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// LoadOptions says how Measure loads a program.
type LoadOptions struct {
	Concurrency int           // requests in flight
	Duration    time.Duration // length of the load
	Capture     time.Duration // length of the CPU and wall-clock captures, taken after a 1 s warm-up
	Mix         Mix           // the ids asked for; the zero Mix means StandardMix
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
	Load  BodyCheck        // every answer checked, with throughput and latency
	CPU   *profile.Profile // /debug/pprof/profile during the load
	Wall  *profile.Profile // /debug/fgprof during the load
	Trace string           // the execution trace's file, when LoadOptions.Trace asked for one
	// Vars is what the program said at /debug/vars before the load and,
	// LoadOptions.Settle after it, after (vars-before.json,
	// vars-after.json); After is nil when Measure stopped the program.
	Vars VarsChange
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
func Measure(ctx context.Context, w io.Writer, p *Program, dir string, opt LoadOptions) (Measurement, error) {
	var m Measurement
	secs := int(opt.Capture / time.Second)
	if secs < 1 || opt.Capture+opt.Trace+2*time.Second > opt.Duration {
		return m, fmt.Errorf("capture %s and trace %s do not fit in a load of %s with a second on each side", opt.Capture, opt.Trace, opt.Duration)
	}
	if opt.Mix == (Mix{}) {
		opt.Mix = StandardMix()
	}
	var err error
	if m.Vars.Before, err = fetchVars(ctx, w, p, filepath.Join(dir, "vars-before.json")); err != nil {
		return m, err
	}
	fmt.Fprintf(w, "   load: %d requests in flight for %s, every answer's body checked; mix: %s\n", opt.Concurrency, opt.Duration, opt.Mix)
	loadCtx, cancel := context.WithTimeout(ctx, opt.Duration)
	defer cancel()
	loaded := make(chan BodyCheck, 1)
	stopping := make(chan struct{})
	go func() {
		loaded <- CheckBodies(loadCtx, BodyCheckOptions{BaseURL: p.App, Mix: opt.Mix, Concurrency: opt.Concurrency, Stopping: stopping})
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
		return m, fmt.Errorf("the server exited during the load; its log:\n%s", tail(p.Log))
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
		leaks, err := Capture(ctx, w, p.Debug+"/debug/pprof/goroutineleak", filepath.Join(dir, "goroutineleak.pprof"))
		if err != nil {
			return m, fmt.Errorf("the goroutine leak profile (is the program built with GOEXPERIMENT=goroutineleakprofile?): %w", err)
		}
		m.Leaked = Goroutines(leaks)
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

// Goroutines is how many goroutines a goroutine (or goroutine leak)
// profile holds.
func Goroutines(p *profile.Profile) int64 {
	var n int64
	for _, s := range p.Sample {
		n += s.Value[0]
	}
	return n
}

// fetchVars saves the program's /debug/vars into path and parses it.
func fetchVars(ctx context.Context, w io.Writer, p *Program, path string) (server.Vars, error) {
	b, err := Fetch(ctx, w, p.Debug+"/debug/vars", path)
	if err != nil {
		return nil, err
	}
	return parseVars(b, path)
}

// Fetch saves what url answers into path, printing the curl command that
// does the same to w first, and returns it. A status other than 200 is an
// error that quotes the answer.
func Fetch(ctx context.Context, w io.Writer, url, path string) ([]byte, error) {
	fmt.Fprintf(w, "same as: curl -fsS -o %s '%s'   (fetched from this process)\n", path, url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return nil, err
	}
	return body, nil
}

// captureURLs are the debug listener's paths of the profiles captured for
// a number of seconds, by the file each is saved as.
var captureURLs = map[string]string{
	"cpu.pprof":    "/debug/pprof/profile?seconds=%d",
	"fgprof.pprof": "/debug/fgprof?seconds=%d",
	"block.pprof":  "/debug/pprof/block?seconds=%d",
	"mutex.pprof":  "/debug/pprof/mutex?seconds=%d",
	"allocs.pprof": "/debug/pprof/allocs?seconds=%d",
}

// CaptureAll captures the profiles saved as files (cpu.pprof,
// fgprof.pprof, block.pprof, mutex.pprof) from p at once, each for secs
// seconds, into dir, and returns them in the order of files.
func CaptureAll(ctx context.Context, w io.Writer, p *Program, dir string, secs int, files ...string) ([]*profile.Profile, error) {
	out := make([]*profile.Profile, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() {
			out[i], errs[i] = Capture(ctx, w, p.Debug+fmt.Sprintf(captureURLs[f], secs), filepath.Join(dir, f))
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// Capture saves one profile from url into path, as Fetch does, and parses it.
func Capture(ctx context.Context, w io.Writer, url, path string) (*profile.Profile, error) {
	body, err := Fetch(ctx, w, url, path)
	if err != nil {
		return nil, err
	}
	p, err := profile.ParseData(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
