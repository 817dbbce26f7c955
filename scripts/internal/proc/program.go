package proc

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
	OwnGroup(cmd) // a Ctrl-C reaches the caller, which stops this once
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
		return nil, fmt.Errorf("%s exited before serving (%v); its log:\n%s", bin, p.err, Tail(logPath))
	case ctx.Err() != nil:
		p.kill()
		return nil, ctx.Err()
	case err != nil:
		p.kill()
		return nil, fmt.Errorf("%s did not serve within %s; its log:\n%s", bin, ReadyTimeout, Tail(logPath))
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
		return fmt.Errorf("the server had already exited (%v); its log:\n%s", p.err, Tail(p.Log))
	default:
	}
	p.cmd.Process.Signal(sigTerm)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		p.kill()
		return fmt.Errorf("the server did not stop within %s of SIGTERM; its log:\n%s", StopTimeout, Tail(p.Log))
	}
	if p.err != nil {
		return fmt.Errorf("the server exited with %v; its log:\n%s", p.err, Tail(p.Log))
	}
	return nil
}

// Kill ends the program's process group at once and waits for it: for a
// caller that gives up, never for a measurement's end.
func (p *Program) Kill() { p.kill() }

// kill ends the program's process group at once and waits for it.
func (p *Program) kill() {
	KillGroup(p.PID)
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

// Tail returns the last lines of a log, indented.
func Tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
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
