// Package scripts holds the kit's own tests of its commands: they run the
// real commands against the real server, as a learner's make would.
package scripts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/report"
	"github.com/slowpath/slowpath/server"
)

// freePort returns a loopback port that nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// loopDir holds the loop's command, built for the tests; TestMain
// removes it.
var loopDir = filepath.Join(os.TempDir(), fmt.Sprintf("slowpath-loop-%d", os.Getpid()))

// loopBin builds the loop's command once for the tests, as make
// exercise-N does, and returns its path.
var loopBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(loopDir, "loop")
	build := exec.Command("go", "build", "-o", bin, "./scripts/loop")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./scripts/loop: %v\n%s", err, out)
	}
	return bin, nil
})

// loop prepares the loop (scripts/loop) on exercise 0 with a short load
// on free ports, run from the repository's top as make runs it, its
// captures in a temporary folder (out), and the server's temporary
// database in another (tmp). A test that ends early kills whatever the
// loop left running.
func loop(t *testing.T, env ...string) (cmd *exec.Cmd, out string, port int, tmp string) {
	t.Helper()
	bin, err := loopBin()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	tmp = t.TempDir()
	port = freePort(t)
	cmd = exec.Command(bin, "exercises", "0")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "DURATION=4s", "CONCURRENCY=10", "USERS=2000", "OUT_ROOT="+root, "TMPDIR="+tmp,
		fmt.Sprintf("PORT=%d", port), fmt.Sprintf("DEBUG_PORT=%d", freePort(t)))
	cmd.Env = append(cmd.Env, env...)
	out = filepath.Join(root, "exercises", "00-baseline")
	t.Cleanup(func() {
		// The loop stops what it started, even when it fails. Should it
		// itself be killed, its server runs in a session of its own, out of
		// reach: its ready file names it, and its process group ends here.
		if r, err := server.ReadReady(filepath.Join(out, "ready.json")); err == nil {
			syscall.Kill(-r.PID, syscall.SIGKILL)
		}
	})
	return cmd, out, port, tmp
}

// answers reports whether anything still answers on a loopback port.
func answers(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

func TestLoopMeasuresExercise0(t *testing.T) {
	t.Parallel() // the loop's tests assert behaviour, not speed: they run beside each other, after TestExercises
	cmd, out, port, _ := loop(t)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the loop: %v\n%s", err, output)
	}
	text := string(output)
	// What the loop prints is for learners: the tests read only the
	// commands it teaches, and the numbers from the summary's JSON.
	for _, want := range []string{
		"$ go build -o ", // the real commands, printed
		"$ go tool hey -z 4s -c 10 http://localhost:",    //
		"same as: curl -fsS -o " + out + "/fgprof.pprof", // what it does in-process, as its command
		"/debug/fgprof?seconds=1'",                       // captures fit in the load: 4 s - 3
		"same as: curl -sS -i http://localhost:",         // one request's headers...
		"Server-Timing: parse;dur=",                      // ...shown
		"go tool pprof -http=localhost:8081 " + out,      // how to open each capture
		"go tool trace -http=localhost:8085 " + out,      //
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	var sum report.Summary
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("no summary.json beside the captures: %v", err)
	}
	if !sum.Right || sum.Concurrency != 10 || sum.Hey.RPS <= 0 || sum.Hey.Non2xx()+sum.Hey.TransportErrors() != 0 {
		t.Errorf("summary: right %v, concurrency %d, hey %.0f req/s with %d failed; want right answers at 10 in flight",
			sum.Right, sum.Concurrency, sum.Hey.RPS, sum.Hey.Non2xx()+sum.Hey.TransportErrors())
	}
	mix := load.StandardMix()
	mix.Users = 2000 // the loop's USERS
	if sum.Bodies.Checked == 0 || sum.Bodies.Wrong+sum.Bodies.TransportErrors != 0 || sum.Bodies.Mix != mix.String() {
		t.Errorf("body check: %+v; want answers checked over the standard mix, none wrong", sum.Bodies)
	}
	if len(sum.Steps) == 0 || sum.StepsShare <= 0 || sum.StepsShare > 1 {
		t.Errorf("CPU by step: %+v (%.2f of the handler's CPU); the step labels must reach the CPU profile", sum.Steps, sum.StepsShare)
	}
	if sum.Wall.Focused == 0 {
		t.Error("no wall-clock sample of the handler: the shares count nothing")
	}
	for _, f := range []string{"cpu.pprof", "fgprof.pprof", "block.pprof", "mutex.pprof"} {
		if _, err := captures.ReadProfile(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "trace.out")); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("trace.out is not an execution trace (%v)", err)
	}
	if answers(port) {
		t.Errorf("the server still answers on port %d after the loop", port)
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}

func TestLoopNamesABusyPort(t *testing.T) {
	t.Parallel() // the loop's tests assert behaviour, not speed: they run beside each other, after TestExercises
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	cmd, _, _, _ := loop(t, fmt.Sprintf("PORT=%d", busy))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("the loop succeeded on a busy port")
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], fmt.Sprint(busy)) || !strings.Contains(lines[0], "PORT=") {
		t.Errorf("stderr %q: want one line naming port %d and PORT=", stderr.String(), busy)
	}
}

// output collects a command's output while the test reads it.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) add(line string) { o.mu.Lock(); o.b.WriteString(line + "\n"); o.mu.Unlock() }

func (o *output) String() string { o.mu.Lock(); defer o.mu.Unlock(); return o.b.String() }

// runUntilLoad starts the loop and returns once it has started its
// captures under load, with the output so far and more to come, and a
// channel that gives the loop's exit once all of its output is in.
func runUntilLoad(t *testing.T, cmd *exec.Cmd) (*output, chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := &output{}
	loaded := make(chan struct{})
	exited, done := make(chan error, 1), make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			seen.add(sc.Text())
			if strings.Contains(sc.Text(), "/debug/pprof/mutex?seconds=") { // the last capture started
				once.Do(func() { close(loaded) })
			}
		}
		done <- <-exited
	}()
	select {
	case <-loaded:
	case err := <-done:
		t.Fatalf("the loop ended before its load: %v\n%s", err, seen)
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("no captures after 3 minutes:\n%s", seen)
	}
	return seen, done
}

func TestLoopReportsADeadServer(t *testing.T) {
	t.Parallel() // the loop's tests assert behaviour, not speed: they run beside each other, after TestExercises
	cmd, out, _, _ := loop(t)
	seen, done := runUntilLoad(t, cmd)
	r, err := server.ReadReady(filepath.Join(out, "ready.json"))
	if err != nil {
		t.Fatalf("the loop's server serves without its ready file: %v", err)
	}
	if err := syscall.Kill(r.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -KILL %d: %v", r.PID, err)
	}
	if err := <-done; err == nil {
		t.Fatalf("the loop succeeded with its server killed:\n%s", seen)
	}
	if !strings.Contains(seen.String(), "the server exited unexpectedly") || !strings.Contains(seen.String(), "  | ") {
		t.Errorf("no report of the dead server with its last log lines:\n%s", seen)
	}
}

// TestLoopStopsEverythingOnInterrupt presses Ctrl-C as a terminal does:
// SIGINT to the whole foreground process group. Every process the loop
// started must stop, and the server must get through its graceful
// shutdown (a second signal would kill it before its close hooks run and
// its temporary database is removed).
func TestLoopStopsEverythingOnInterrupt(t *testing.T) {
	t.Parallel() // the loop's tests assert behaviour, not speed: they run beside each other, after TestExercises
	cmd, out, port, tmp := loop(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	seen, done := runUntilLoad(t, cmd)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("the loop did not stop within 30 s of Ctrl-C:\n%s", seen)
	}
	if !strings.Contains(seen.String(), "interrupted") {
		t.Errorf("no word of the interruption:\n%s", seen)
	}
	if answers(port) {
		t.Errorf("the server still answers on port %d", port)
	}
	if r, err := server.ReadReady(filepath.Join(out, "ready.json")); err != nil {
		t.Errorf("no ready file: %v", err)
	} else if syscall.Kill(r.PID, 0) == nil {
		t.Errorf("the server, process %d, still runs after Ctrl-C", r.PID)
	}
	// Look for anything else the loop started (hey, the body check, the
	// captures): none may be left.
	for _, pattern := range []string{filepath.Join(out, "bin"), fmt.Sprintf("localhost:%d", port)} {
		if ps, _ := exec.Command("pgrep", "-af", pattern).Output(); len(ps) > 0 {
			t.Errorf("left running after Ctrl-C:\n%s", ps)
		}
	}
	log, _ := os.ReadFile(filepath.Join(out, "server.log"))
	if !bytes.Contains(log, []byte("msg=stopped")) {
		t.Errorf("the server did not finish its graceful shutdown; its log:\n%s", log)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "slowpath-db-*")); len(left) > 0 {
		t.Errorf("the server's temporary database was left behind: %v", left)
	}
}

func TestLoopRefusesASecondRunOnTheSameCaptures(t *testing.T) {
	t.Parallel() // the loop's tests assert behaviour, not speed: they run beside each other, after TestExercises
	root := t.TempDir()
	dir := filepath.Join(root, "exercises", "00-baseline")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.Create(filepath.Join(dir, ".lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cpu.pprof"), []byte("the first run's capture"), 0o644)
	cmd, _, _, _ := loop(t, "OUT_ROOT="+root)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("a second loop on the same captures ran")
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "another run") {
		t.Errorf("stderr %q: want one line saying another run is using the folder", stderr.String())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cpu.pprof")); string(b) != "the first run's capture" {
		t.Error("the second run touched the first run's captures")
	}
}
