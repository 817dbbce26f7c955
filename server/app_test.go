package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var answered, closedAfter atomic.Bool
	cfg := testConfig(func(c *Config) {
		c.Steps = []Step{{Name: "slow", Run: func(ctx context.Context, p *Page) error {
			close(entered)
			<-release
			return nil
		}}}
		c.Closers = []func(context.Context) error{func(context.Context) error {
			closedAfter.Store(answered.Load())
			return nil
		}}
	})
	app, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + app.Addr().String() + "/users/42")
		if err != nil {
			got <- result{err: err}
			return
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		answered.Store(true)
		got <- result{resp.StatusCode, b.String(), nil}
	}()
	<-entered
	stop() // as SIGTERM would, with the request in flight
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}
	close(release)
	r := <-got
	if r.err != nil || r.status != 200 || r.body != userJSON(42) {
		t.Fatalf("in-flight request: %d %q %v; want 200 and user 42", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if !closedAfter.Load() {
		t.Error("the close hook did not run, or ran before the in-flight request was answered")
	}
	if _, err := http.Get("http://" + app.Addr().String() + "/users/42"); err == nil {
		t.Error("the app listener still answers after shutdown")
	}
}

// TestShutdownOutlastedWaitsForHandlers: a handler that ignores its
// context outlasts the shutdown timeout; its connection is closed, but the
// close hooks must still wait for it to return, and get a live context.
// TestReadyFileNamesTheListeners: with Config.ReadyFile, Serve writes the
// process id and both listeners' URLs, which answer, and only once they
// serve.
func TestReadyFileNamesTheListeners(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready.json")
	app := newTestApp(t, func(c *Config) { c.ReadyFile = path })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := AwaitReady(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.PID != os.Getpid() || r.App != "http://"+app.Addr().String() || r.Debug != "http://"+app.DebugAddr().String() {
		t.Fatalf("ready file %+v; want pid %d, app %s, debug %s", r, os.Getpid(), app.Addr(), app.DebugAddr())
	}
	for _, url := range []string{r.App + "/users/42", r.Debug + "/debug/pprof/"} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", url, resp.Status)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".ready-*")); len(left) > 0 {
		t.Errorf("the ready file's temporary copy was left behind: %v", left)
	}
}

func TestReadReadyRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"empty": "", "half": `{"pid":42,"app":"ht`, "no app": `{"pid":42}`, "text": "msg=serving"} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(path, []byte(body), 0o644)
		if r, err := ReadReady(path); err == nil {
			t.Errorf("%s: ReadReady(%q) = %+v, want an error", name, body, r)
		}
	}
}

func TestShutdownOutlastedWaitsForHandlers(t *testing.T) {
	entered := make(chan struct{})
	var returned, hookSawReturn, hookCtxLive atomic.Bool
	app, err := New(context.Background(), testConfig(func(c *Config) {
		c.ShutdownTimeout = 300 * time.Millisecond
		c.Steps = []Step{{Name: "stubborn", Run: func(ctx context.Context, p *Page) error {
			close(entered)
			time.Sleep(500 * time.Millisecond) // ignores ctx, as blocking calls do
			returned.Store(true)
			return nil
		}}}
		c.Closers = []func(context.Context) error{func(ctx context.Context) error {
			hookSawReturn.Store(returned.Load())
			hookCtxLive.Store(ctx.Err() == nil)
			return nil
		}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()
	go http.Get("http://" + app.Addr().String() + "/users/1")
	<-entered
	stop()
	err = <-served
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("Serve: %v; want word of the request that outlasted the timeout", err)
	}
	if !hookSawReturn.Load() || !hookCtxLive.Load() {
		t.Errorf("close hook ran before the handler returned (%v) or with a dead context (live: %v)",
			!hookSawReturn.Load(), hookCtxLive.Load())
	}
}

func TestCloseHooksRunInReverseAndReportErrors(t *testing.T) {
	var order []string
	hook := func(name string, err error) func(context.Context) error {
		return func(context.Context) error { order = append(order, name); return err }
	}
	app, err := New(context.Background(), testConfig(func(c *Config) {
		c.Closers = []func(context.Context) error{hook("first", nil), hook("second", errors.New("flush failed"))}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	stop()
	err = app.Serve(ctx)
	if strings.Join(order, ",") != "second,first" {
		t.Errorf("hooks ran as %v, want second,first", order)
	}
	if err == nil || !strings.Contains(err.Error(), "flush failed") {
		t.Errorf("Serve: %v; want the hook's error", err)
	}
}

// syncBuffer is a log sink that handlers write to from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestFailuresAnswer5xxAndLogTheCause(t *testing.T) {
	var log syncBuffer
	app := newTestApp(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&log, nil))
		c.Steps = []Step{{Name: "dependency", Run: func(ctx context.Context, p *Page) error {
			switch p.ID {
			case 1:
				return errors.New("disk on fire")
			case 2:
				return &HTTPError{Status: 503, Message: "fraud service unavailable", Err: errors.New("dial tcp: connection refused")}
			case 3:
				panic("step exploded")
			case 4:
				p.Set("score", 7)
			case 5:
				return &HTTPError{Message: "no status given"}
			}
			return nil
		}}}
	})
	for _, tc := range []struct {
		path, body, logged string
		status             int
	}{
		{"/users/1", `{"error":"internal error"}`, "disk on fire", 500},
		{"/users/2", `{"error":"fraud service unavailable"}`, "connection refused", 503},
		{"/users/3", `{"error":"internal error"}`, "step exploded", 500},
		{"/users/5", `{"error":"internal error"}`, "no status given", 500},
	} {
		resp, body := get(t, app, "GET", tc.path)
		if resp.StatusCode != tc.status || strings.TrimSpace(string(body)) != tc.body {
			t.Errorf("%s: %d %s; want %d %s", tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
		if strings.Contains(string(body), tc.logged) {
			t.Errorf("%s: the cause %q reached the client", tc.path, tc.logged)
		}
		if !strings.Contains(log.String(), tc.logged) {
			t.Errorf("%s: the cause %q is not in the log:\n%s", tc.path, tc.logged, log.String())
		}
	}
	if !strings.Contains(log.String(), "stack=") {
		t.Error("the panic was logged without its stack")
	}
	// The server lives on after the panic, and steps can add to the page.
	resp, body := get(t, app, "GET", "/users/4")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"extras":{"score":7}`) {
		t.Errorf("after the failures: %d %s; want 200 with extras", resp.StatusCode, body)
	}
}

func TestStoreFailureIs500(t *testing.T) {
	var log syncBuffer
	app, err := New(context.Background(), testConfig(func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&log, nil)) }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()
	defer func() { stop(); <-served }() // the store is broken on purpose: its close error is expected
	app.Store().DB().Close()
	resp, body := get(t, app, "GET", "/users/42")
	if resp.StatusCode != 500 || strings.Contains(string(body), "closed") {
		t.Errorf("with the database closed: %d %s; want 500 without the cause", resp.StatusCode, body)
	}
	if !strings.Contains(log.String(), "database is closed") || !strings.Contains(log.String(), "step=db") {
		t.Errorf("the store's error is not logged with its step:\n%s", log.String())
	}
}

func TestStoreFileIsKeptAndNotReseeded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my users ?#%.db") // characters a SQLite URI must escape
	ctx := context.Background()
	s, err := OpenStore(ctx, StoreOptions{Path: path, Users: 50, Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s.Users() != 50 {
		t.Errorf("Users() = %d, want 50", s.Users())
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Close removed a database the store did not create: %v", err)
	}
	s, err = OpenStore(ctx, StoreOptions{Path: path, Users: 10, Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Users() != 50 {
		t.Errorf("reopened: Users() = %d, want the 50 already there", s.Users())
	}
	if u, err := s.User(ctx, 50); err != nil || u != SeedUser(50) {
		t.Errorf("User(50) = %+v, %v; want %+v", u, err, SeedUser(50))
	}
	if _, err := s.DB().Exec(`DELETE FROM users`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestTemporaryStoreIsRemoved(t *testing.T) {
	s, err := OpenStore(context.Background(), StoreOptions{Users: 10, Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.tempDir
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close (%v)", dir, err)
	}
}

func TestConfigRejectsBadSteps(t *testing.T) {
	noop := func(context.Context, *Page) error { return nil }
	for _, steps := range [][]Step{
		{{Name: "db", Run: noop}},
		{{Name: "total", Run: noop}},
		{{Name: "a b", Run: noop}},
		{{Name: "", Run: noop}},
		{{Name: "x", Run: noop}, {Name: "x", Run: noop}},
		{{Name: "x"}},
	} {
		if _, err := New(context.Background(), testConfig(func(c *Config) { c.Steps = steps })); err == nil {
			t.Errorf("New accepted steps %+v", steps)
		}
	}
}
