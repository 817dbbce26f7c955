package measure

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/pprof/profile"
)

// Build compiles the main package pkg (a path from the module root such
// as ./exercises/01-audit-trail) into the folder out, with the go command
// run in root, and returns the binary's path. Its command line is printed
// to w first.
func Build(ctx context.Context, w io.Writer, root, pkg, out string) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	bin, err := filepath.Abs(filepath.Join(out, filepath.Base(pkg)))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	fmt.Fprintf(w, "$ %s\n", strings.Join(cmd.Args, " "))
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return bin, nil
}

// Program is a server of the kit (the baseline, an exercise or a
// solution) running as its own process, on loopback ports the kernel
// picked, for a measurement.
type Program struct {
	App   string // base URL of the app listener, http://127.0.0.1:port
	Debug string // base URL of the debug listener
	Log   string // path of the server's log (its stderr)

	cmd  *exec.Cmd
	done chan struct{}
	err  error // how the process ended, once done is closed
}

// servingLine is what server.Run logs once both listeners serve.
var servingLine = regexp.MustCompile(`msg=serving app=(http://\S+)/users/42 debug=(http://\S+)/debug/pprof/`)

// Start runs bin with dir as its working folder (where the files the
// program writes land, its log server.log among them), on loopback ports
// the kernel picks, with a graceful shutdown short enough for Stop, and
// args after those. It returns once the program serves, and fails if it
// exits first or takes longer than a minute.
func Start(ctx context.Context, w io.Writer, bin, dir string, args ...string) (*Program, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args = append([]string{"-addr", "127.0.0.1:0", "-debug-addr", "127.0.0.1:0", "-shutdown-timeout", "4s"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a Ctrl-C reaches the caller, which stops this once
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	fmt.Fprintf(w, "$ (cd %s && %s) 2> %s &\n", dir, strings.Join(cmd.Args, " "), logPath)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	p := &Program{Log: logPath, cmd: cmd, done: make(chan struct{})}
	addrs := make(chan []string, 1)
	copied := make(chan struct{})
	go func() { // the log: copied to its file, scanned for the serving line
		defer close(copied)
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			logFile.Write(append(sc.Bytes(), '\n'))
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addrs <- m[1:]:
				default:
				}
			}
		}
		io.Copy(logFile, stderr)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it all first
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case m := <-addrs:
		p.App, p.Debug = m[0], m[1]
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before serving (%v); its log:\n%s", bin, p.err, tail(logPath))
	case <-time.After(time.Minute):
		p.kill()
		return nil, fmt.Errorf("%s did not serve within a minute; its log:\n%s", bin, tail(logPath))
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
}

// Stop sends SIGTERM, the graceful shutdown, and waits for the program to
// exit; after 20 s it kills it. It fails if the program exits with an
// error or had already exited.
func (p *Program) Stop() error {
	select {
	case <-p.done:
		return fmt.Errorf("the server had already exited (%v); its log:\n%s", p.err, tail(p.Log))
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.kill()
		return fmt.Errorf("the server did not stop within 20 s of SIGTERM; its log:\n%s", tail(p.Log))
	}
	if p.err != nil {
		return fmt.Errorf("the server exited with %v; its log:\n%s", p.err, tail(p.Log))
	}
	return nil
}

// kill ends the program's process group at once and waits for it.
func (p *Program) kill() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
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
	Users       int64         // the server's table holds ids 1..Users (its -users)
	Hot         int64         // ids 1..Hot are asked for, and one time in ten an unknown one
}

// Measurement is what one load of a program found.
type Measurement struct {
	Load BodyCheck        // every answer checked, with throughput and latency
	CPU  *profile.Profile // /debug/pprof/profile during the load
	Wall *profile.Profile // /debug/fgprof during the load
}

// Measure loads p with CheckBodies, every answer checked, while it
// captures a CPU profile and a wall-clock profile (fgprof) into dir
// (cpu.pprof, fgprof.pprof). The commands it runs are printed to w.
func Measure(ctx context.Context, w io.Writer, p *Program, dir string, opt LoadOptions) (Measurement, error) {
	var m Measurement
	secs := int(opt.Capture / time.Second)
	if secs < 1 || opt.Capture+2*time.Second > opt.Duration {
		return m, fmt.Errorf("capture %s does not fit in a load of %s with a second on each side", opt.Capture, opt.Duration)
	}
	fmt.Fprintf(w, "   load: %d requests in flight for %s, ids 1..%d and unknown ones, every answer's body checked\n", opt.Concurrency, opt.Duration, opt.Hot)
	loadCtx, cancel := context.WithTimeout(ctx, opt.Duration)
	defer cancel()
	loaded := make(chan BodyCheck, 1)
	go func() {
		loaded <- CheckBodies(loadCtx, BodyCheckOptions{BaseURL: p.App, Users: opt.Users, Hot: opt.Hot, Concurrency: opt.Concurrency})
	}()
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		<-loaded
		return m, ctx.Err()
	}
	var wg sync.WaitGroup
	var errCPU, errWall error
	wg.Add(2)
	go func() {
		defer wg.Done()
		m.CPU, errCPU = capture(ctx, w, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.Debug, secs), filepath.Join(dir, "cpu.pprof"))
	}()
	go func() {
		defer wg.Done()
		m.Wall, errWall = capture(ctx, w, fmt.Sprintf("%s/debug/fgprof?seconds=%d", p.Debug, secs), filepath.Join(dir, "fgprof.pprof"))
	}()
	wg.Wait()
	m.Load = <-loaded
	if err := errors.Join(errCPU, errWall); err != nil {
		return m, err
	}
	if p.Exited() {
		return m, fmt.Errorf("the server exited during the load; its log:\n%s", tail(p.Log))
	}
	return m, nil
}

// capture saves one profile from url into path and parses it.
func capture(ctx context.Context, w io.Writer, url, path string) (*profile.Profile, error) {
	fmt.Fprintf(w, "$ curl -s -o %s '%s' &\n", path, url)
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
	p, err := profile.ParseData(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
