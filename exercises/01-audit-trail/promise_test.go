package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
)

// TestCrashLosesNoAnsweredLine holds the audit trail to its promise the
// way it breaks: the program, built from this folder, is killed with
// SIGKILL under load from 50 clients, and every 200 answer the clients
// received whole must have its line in the log. Three runs, killed at
// different moments, so that a race between answering and writing shows.
func TestCrashLosesNoAnsweredLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program and kills it under load, three times")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "audit-trail")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for run, after := range []time.Duration{700 * time.Millisecond, 1100 * time.Millisecond, 1500 * time.Millisecond} {
		t.Run(fmt.Sprintf("killed after %s", after), func(t *testing.T) {
			work := filepath.Join(dir, fmt.Sprint(run))
			os.Mkdir(work, 0o755)
			answered, total := crash(t, bin, work, after)
			lines, torn := recorded(t, filepath.Join(work, "audit.log"))
			var missing []string
			for id, n := range answered {
				if lines[id] < n {
					missing = append(missing, fmt.Sprintf("user %d: %d answers, %d lines", id, n, lines[id]))
				}
			}
			t.Logf("killed after %s: %d answers of 200 received whole, %d lines of 200 in the log (%d torn)", after, total, sum(lines), torn)
			if total == 0 {
				t.Fatal("no answer before the kill: the load did not run")
			}
			if len(missing) > 0 {
				t.Errorf("%d users' answers have no line in the audit log after a crash, e.g. %s", len(missing), strings.Join(missing[:min(5, len(missing))], "; "))
			}
		})
	}
}

// crash starts bin in work, loads it from 50 clients for after, kills it
// with SIGKILL, and returns the 200 answers received whole, by user.
func crash(t *testing.T, bin, work string, after time.Duration) (map[int64]int, int) {
	t.Helper()
	ready := filepath.Join(work, "ready.json")
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-debug-addr", "127.0.0.1:0", "-users", "1000", "-ready-file", ready)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "TMPDIR="+work) // its temporary database, which a SIGKILL leaves behind, goes with work
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := server.AwaitReady(ctx, ready, exited)
	if errors.Is(err, server.ErrExited) {
		t.Fatalf("the program exited before serving (%v):\n%s", exitErr, log.String())
	}
	if err != nil {
		t.Fatalf("the program did not serve within a minute (%v):\n%s", err, log.String())
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	var (
		mu       sync.Mutex
		answered = map[int64]int{}
		total    int
		killed   = make(chan struct{})
		wg       sync.WaitGroup
	)
	for g := range 50 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-killed:
					return
				default:
				}
				id := int64(1 + (g*7919+i)%1000)
				resp, err := client.Get(fmt.Sprintf("%s/users/%d", r.App, id))
				if err != nil {
					continue // cut by the kill: not answered
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				var u server.User
				if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(body, &u) != nil || u.ID != id {
					continue // not a whole 200 answer
				}
				mu.Lock()
				answered[id]++
				total++
				mu.Unlock()
			}
		})
	}
	time.Sleep(after)
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	close(killed)
	wg.Wait()
	return answered, total
}

// recorded counts the log's lines of status 200 by user, and the lines
// that are not whole JSON (a write the kill cut).
func recorded(t *testing.T, path string) (map[int64]int, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines, torn := map[int64]int{}, 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var e Entry
		if json.Unmarshal(l, &e) != nil {
			torn++
			continue
		}
		if e.Status == http.StatusOK && e.User != nil {
			lines[*e.User]++
		}
	}
	return lines, torn
}

func sum(m map[int64]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// fullDisk is a file that fails as a full disk does while full is set:
// a write keeps only half of what it was given, then reports ENOSPC.
type fullDisk struct {
	mu    sync.Mutex
	full  bool
	data  bytes.Buffer
	syncs int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full {
		f.data.Write(p[:len(p)/2])
		return len(p) / 2, syscall.ENOSPC
	}
	return f.data.Write(p)
}

func (f *fullDisk) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	return nil
}

func (f *fullDisk) Close() error { return nil }

func (f *fullDisk) set(full bool) { f.mu.Lock(); f.full = full; f.mu.Unlock() }

func (f *fullDisk) bytes() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.data.Bytes())
}

// TestFullDiskRefusesAndRecovers: while the disk takes no line, every
// request is answered 503 with a JSON error and none of the user's data,
// even a body far past net/http's 4 KiB buffer; the refusals are logged
// at a bounded rate, with their count; once the disk takes writes again,
// requests are answered and recorded, and the line a failed write tore
// does not spoil the next one.
func TestFullDiskRefusesAndRecovers(t *testing.T) {
	disk := &fullDisk{}
	var log servertest.Log
	cfg := servertest.Config()
	cfg.Logger = slog.New(slog.NewTextHandler(&log, nil))
	// A step that makes the page 64 KiB, so that net/http would have sent
	// most of it before the handler returned.
	cfg.Steps = append(cfg.Steps, server.Step{Name: "padding", Run: func(ctx context.Context, p *server.Page) error {
		p.Set("padding", strings.Repeat("x", 64<<10))
		return nil
	}})
	newAuditLog(disk, cfg.Logger).plug(&cfg)
	app := servertest.Start(t, cfg)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(id int) (int, []byte) {
		t.Helper()
		resp, err := client.Get(fmt.Sprintf("http://%s/users/%d", app.Addr(), id))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		return resp.StatusCode, body
	}

	disk.set(true)
	const refused = 40
	for i := range refused {
		status, body := get(42 + i)
		var e struct{ Error string }
		if status != http.StatusServiceUnavailable || json.Unmarshal(body, &e) != nil || e.Error == "" {
			t.Fatalf("with the disk full: %d %.200q; want 503 with a JSON error", status, body)
		}
		if name := server.SeedUser(int64(42 + i)).Name; bytes.Contains(body, []byte(name)) || bytes.Contains(body, []byte("padding")) {
			t.Fatalf("a refused request's answer carries the user's data: %.200q", body)
		}
	}
	if n := strings.Count(log.String(), "requests refused"); n < 1 || n > 2 {
		t.Errorf("%d log lines about refused requests for %d refusals in well under 2 s; want 1 or 2 (a bounded rate):\n%s", n, refused, log.String())
	}

	disk.set(false)
	status, body := get(7)
	if status != http.StatusOK || !bytes.Contains(body, []byte(server.SeedUser(7).Name)) {
		t.Fatalf("once the disk takes writes again: %d %.200q; want 200 with user 7", status, body)
	}
	counted := 0
	for _, m := range regexp.MustCompile(`\bcount(_since_last_line)?=(\d+)`).FindAllStringSubmatch(log.String(), -1) {
		n, _ := strconv.Atoi(m[2])
		counted += n
	}
	if !strings.Contains(log.String(), "recording again") || counted != refused {
		t.Errorf("the log counts %d refusals of %d, or does not report the recovery:\n%s", counted, refused, log.String())
	}
	lines := bytes.Split(bytes.TrimSuffix(disk.bytes(), []byte("\n")), []byte("\n"))
	var last Entry
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil || last.User == nil || *last.User != 7 || last.Status != 200 {
		t.Errorf("the last line, after torn ones, is %q (%v); want user 7's whole line", lines[len(lines)-1], err)
	}
}

// gatedDisk is a file whose Sync waits until the test opens its gate, as
// a slow disk's fsync does, and says when a Sync began.
type gatedDisk struct {
	fullDisk
	syncing chan struct{} // a Sync began
	gate    chan struct{} // closed: Syncs return
}

func (g *gatedDisk) Sync() error {
	select {
	case g.syncing <- struct{}{}:
	default:
	}
	<-g.gate
	return g.fullDisk.Sync()
}

// TestNoAnswerBeforeItsLineIsDurable holds every answer until its line is
// on disk, deterministically: with fsync held up, a request's line is
// handed to the file, and its answer must not arrive until the fsync that
// covers it has returned. A fix that answers once the line is queued, or
// written but not synced, answers here while the disk still holds it.
func TestNoAnswerBeforeItsLineIsDurable(t *testing.T) {
	disk := &gatedDisk{syncing: make(chan struct{}, 1), gate: make(chan struct{})}
	cfg := servertest.Config()
	newAuditLog(disk, cfg.Logger).plug(&cfg)
	app := servertest.Start(t, cfg)
	client := &http.Client{Timeout: time.Minute}
	defer client.CloseIdleConnections()
	answered := make(chan int, 1)
	go func() {
		resp, err := client.Get(fmt.Sprintf("http://%s/users/42", app.Addr()))
		if err != nil {
			answered <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	opened := false
	open := func() {
		if !opened {
			opened = true
			close(disk.gate)
		}
	}
	defer open()
	select {
	case <-disk.syncing: // the line is handed to the disk; its fsync waits at the gate
	case status := <-answered:
		t.Fatalf("answered %d before any fsync began: the answer left before its line was on disk", status)
	case <-time.After(time.Minute):
		t.Fatal("no fsync began within a minute of a request")
	}
	select {
	case status := <-answered:
		t.Fatalf("answered %d while the fsync of its line was still running: a crash now would lose the line of an answered request", status)
	case <-time.After(300 * time.Millisecond): // the answer of a fix that does not wait would be here by now
	}
	open()
	if status := <-answered; status != http.StatusOK {
		t.Fatalf("once the fsync returned: status %d, want 200", status)
	}
	if !bytes.Contains(disk.bytes(), []byte(`"path":"/users/42"`)) {
		t.Errorf("the answer came, and its line is not in the file: %q", disk.bytes())
	}
}
