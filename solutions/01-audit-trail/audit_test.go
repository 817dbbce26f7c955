package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
)

// auditLine is a line of the audit log as the compliance team specified
// it. Pointers tell a missing field from a zero one.
type auditLine struct {
	Time       *time.Time `json:"time"`
	Method     *string    `json:"method"`
	Path       *string    `json:"path"`
	Status     *int       `json:"status"`
	User       *int64     `json:"user"`
	DurationMS *float64   `json:"duration_ms"`
	Client     *string    `json:"client"`
}

// startAudited serves the real server in-process, set up as main sets it
// up, with its audit log at path. stop shuts it down gracefully (as
// SIGTERM does) and returns once Serve has returned, close hooks included.
func startAudited(t *testing.T, path string) (base string, client *http.Client, stop func()) {
	t.Helper()
	cfg := servertest.Config()
	cfg.ShutdownTimeout = 3 * time.Second
	if err := setup(&cfg, path); err != nil {
		t.Fatal(err)
	}
	app, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("graceful shutdown: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Serve did not return within 10 s of the shutdown")
			}
		})
	}
	t.Cleanup(stop)
	client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 5 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return "http://" + app.Addr().String(), client, stop
}

// readAudit parses every line of the audit log at path, and fails the test
// on a line that is not one whole JSON object with the required fields.
func readAudit(t *testing.T, path string) []auditLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("the audit log ends with a cut line: %q", b[max(0, len(b)-80):])
	}
	var lines []auditLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		var l auditLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		if err := dec.Decode(&l); err != nil || dec.More() {
			t.Fatalf("line %d is not one JSON object (%v): %q", n, err, sc.Text())
		}
		if l.Time == nil || l.Method == nil || l.Path == nil || l.Status == nil || l.DurationMS == nil || l.Client == nil {
			t.Fatalf("line %d lacks one of time, method, path, status, duration_ms, client: %q", n, sc.Text())
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestEveryAnsweredRequestIsRecorded loads the server with a few hundred
// concurrent requests, shuts it down gracefully while requests are still
// arriving, and checks that the audit log holds exactly one line per
// answered request, with its method, path and status.
func TestEveryAnsweredRequestIsRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	base, client, stop := startAudited(t, path)

	const total, workers, shutdownAfter = 400, 32, 300
	jobs := make(chan int, total)
	for i := range total {
		jobs <- i
	}
	close(jobs)
	var (
		mu       sync.Mutex
		answered = map[string]int{} // "METHOD path status" → answers
		statuses = map[int]int{}
		count    int
	)
	shutdown := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				method, url := request(i)
				req, err := http.NewRequest(method, base+url, nil)
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					continue // refused or cut by the shutdown: not answered
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				answered[fmt.Sprintf("%s %s %d", method, url, resp.StatusCode)]++
				statuses[resp.StatusCode]++
				count++
				if count == shutdownAfter {
					close(shutdown)
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-shutdown:
	case <-time.After(10 * time.Second):
		stop()
		wg.Wait() // no worker may report after the test ends
		t.Fatalf("only %d of %d requests answered in 10 s", count, shutdownAfter)
	}
	stop() // requests are still arriving: the server shuts down under load
	wg.Wait()

	if statuses[200] == 0 || statuses[404] == 0 || statuses[400] == 0 {
		t.Fatalf("the load should mix 200, 404 and 400 answers; got %v", statuses)
	}
	lines := readAudit(t, path)
	t.Logf("%d of %d requests answered (%v by status), shutdown after %d; %d lines", count, total, statuses, shutdownAfter, len(lines))
	recorded := map[string]int{}
	for _, l := range lines {
		recorded[fmt.Sprintf("%s %s %d", *l.Method, *l.Path, *l.Status)]++
	}
	if len(lines) != count {
		t.Errorf("%d requests answered, %d lines in the audit log", count, len(lines))
	}
	var diffs []string
	for k, n := range answered {
		if recorded[k] != n {
			diffs = append(diffs, fmt.Sprintf("%s: %d answered, %d recorded", k, n, recorded[k]))
		}
	}
	for k, n := range recorded {
		if _, ok := answered[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: never answered, %d recorded", k, n))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("the audit log does not match the answers (%d differ), e.g.:\n  %s", len(diffs), strings.Join(diffs[:min(len(diffs), 10)], "\n  "))
	}
}

// request returns the method and path of the load's request i: mostly
// existing users, and some unknown users, bad ids and unknown routes.
func request(i int) (method, path string) {
	switch i % 8 {
	case 5:
		return "GET", fmt.Sprintf("/users/%d", 50000+i) // 404: no such user
	case 6:
		return "GET", fmt.Sprintf("/users/x%d", i) // 400: not an id
	case 7:
		if i%16 == 7 {
			return "HEAD", fmt.Sprintf("/users/%d", 1+i%1000)
		}
		return "GET", fmt.Sprintf("/nothing/%d", i) // 404: no such route
	default:
		return "GET", fmt.Sprintf("/users/%d", 1+i%1000) // 200
	}
}

// TestAuditLineFields checks what one line says, and that a restart
// appends to the log instead of replacing it.
func TestAuditLineFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	previous := `{"time":"2020-01-02T03:04:05Z","method":"GET","path":"/users/1","status":200,"user":1,"duration_ms":0.2,"client":"0123456789abcdef"}` + "\n"
	if err := os.WriteFile(path, []byte(previous), 0o640); err != nil {
		t.Fatal(err)
	}
	base, client, stop := startAudited(t, path)

	before := time.Now()
	for _, p := range []string{"/users/42", "/users/abc"} {
		resp, err := client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	elapsed := time.Since(before)
	stop()

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(previous)) {
		t.Fatalf("the line of a previous run is gone: the log must be appended to; it starts with %q", b[:min(len(b), 200)])
	}
	lines := readAudit(t, path)
	if len(lines) != 3 {
		t.Fatalf("%d lines after one previous line and 2 requests, want 3", len(lines))
	}
	ok, bad := lines[1], lines[2]
	if *ok.Method != "GET" || *ok.Path != "/users/42" || *ok.Status != 200 {
		t.Errorf("line of GET /users/42: method %q, path %q, status %d", *ok.Method, *ok.Path, *ok.Status)
	}
	if ok.User == nil || *ok.User != 42 {
		t.Errorf("line of GET /users/42: user %v, want 42", ok.User)
	}
	if *bad.Path != "/users/abc" || *bad.Status != 400 || bad.User != nil {
		t.Errorf("line of GET /users/abc: path %q, status %d, user %v; want 400 and no user", *bad.Path, *bad.Status, bad.User)
	}
	for _, l := range lines[1:] {
		if l.Time.Before(before.Add(-time.Second)) || l.Time.After(before.Add(elapsed+time.Second)) {
			t.Errorf("line of %s: time %s, but the requests were sent from %s for %s", *l.Path, l.Time, before, elapsed)
		}
		if _, off := l.Time.Zone(); off != 0 {
			t.Errorf("line of %s: time %s is not in UTC", *l.Path, l.Time)
		}
		if *l.DurationMS < 0 || *l.DurationMS > float64(elapsed.Microseconds())/1000 {
			t.Errorf("line of %s: duration_ms %v, but both requests took %s", *l.Path, *l.DurationMS, elapsed)
		}
		if len(*l.Client) < 8 || strings.Contains(*l.Client, "127.0.0.1") {
			t.Errorf("line of %s: client %q should be a pseudonym, not the address", *l.Path, *l.Client)
		}
	}
	if *ok.Client != *bad.Client {
		t.Errorf("one client, two pseudonyms: %q and %q", *ok.Client, *bad.Client)
	}
}
