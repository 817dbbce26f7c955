package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// capture fetches a profile from the debug listener and parses it.
func capture(t *testing.T, app *App, path string) *profile.Profile {
	t.Helper()
	resp, err := http.Get("http://" + app.DebugAddr().String() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading: %v", path, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
	}
	p, err := profile.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %d bytes that profile.Parse rejects: %v", path, len(body), err)
	}
	return p
}

func TestDebugProfilesParse(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	for _, path := range []string{"/debug/pprof/profile?seconds=1", "/debug/fgprof?seconds=1",
		"/debug/pprof/heap", "/debug/pprof/goroutine", "/debug/pprof/block", "/debug/pprof/mutex",
		"/debug/pprof/allocs", "/debug/pprof/threadcreate"} {
		p := capture(t, app, path)
		if len(p.SampleType) == 0 {
			t.Errorf("%s: a profile with no sample type", path)
		}
	}
	resp, err := http.Get("http://" + app.DebugAddr().String() + "/debug/pprof/trace?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	traced, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(traced, []byte("go 1.")) {
		t.Errorf("trace: status %d, %d bytes starting %q; want a Go execution trace", resp.StatusCode, len(traced), traced[:min(len(traced), 16)])
	}
	resp, err = http.Get("http://" + app.DebugAddr().String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	index, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"allocs", "block", "goroutine", "heap", "mutex", "profile", "threadcreate", "trace"} {
		if !bytes.Contains(index, []byte(name)) {
			t.Errorf("the pprof index does not list %s", name)
		}
	}
	for _, path := range []string{"/debug/pprof/cmdline", "/debug/pprof/symbol"} {
		resp, err := http.Get("http://" + app.DebugAddr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
	}
}

// TestLongCaptureOutlastsWriteTimeout: fgprof writes nothing until its
// seconds are up; a server WriteTimeout shorter than that would cut the
// answer to nothing. The app's WriteTimeout must not reach the debug
// listener.
func TestLongCaptureOutlastsWriteTimeout(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, func(c *Config) { c.WriteTimeout = 500 * time.Millisecond })
	start := time.Now()
	p := capture(t, app, "/debug/fgprof?seconds=3")
	if d := time.Duration(p.DurationNanos); d < 2900*time.Millisecond {
		t.Errorf("fgprof profile covers %v, want the 3 s asked for", d)
	}
	if time.Since(start) < 3*time.Second {
		t.Errorf("the capture came back before its 3 s were up")
	}
}

func TestProfilingRatesOn(t *testing.T) {
	newTestApp(t, func(c *Config) { c.MutexFraction = 7 })
	// Serve sets the rate as it starts, in its own goroutine.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.SetMutexProfileFraction(-1) != 7 {
		if time.Now().After(deadline) {
			t.Fatalf("mutex profile fraction %d while serving, want 7", runtime.SetMutexProfileFraction(-1))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDebugListenerStaysLocal(t *testing.T) {
	_, err := New(context.Background(), testConfig(func(c *Config) { c.DebugAddr = "0.0.0.0:0" }))
	if err == nil || !strings.Contains(err.Error(), "-debug-public") {
		t.Fatalf("New with a debug address on every interface: %v; want a refusal that names -debug-public", err)
	}
	var log syncBuffer // written by Serve's goroutine
	app := newTestApp(t, func(c *Config) {
		c.DebugAddr, c.DebugPublic = "0.0.0.0:0", true
		c.Logger = slog.New(slog.NewTextHandler(&log, nil))
	})
	if isLoopback(app.DebugAddr()) || !strings.Contains(log.String(), "level=WARN") {
		t.Errorf("with -debug-public: address %v, log %q; want a public address and a warning", app.DebugAddr(), log.String())
	}
}

func TestBusyPortIsNamed(t *testing.T) {
	app := newTestApp(t)
	_, err := New(context.Background(), testConfig(func(c *Config) { c.Addr = app.Addr().String() }))
	if err == nil || !strings.Contains(err.Error(), app.Addr().String()) || !strings.Contains(err.Error(), "-addr") {
		t.Fatalf("New on a busy app port: %v; want an error naming the address and -addr", err)
	}
	_, err = New(context.Background(), testConfig(func(c *Config) { c.DebugAddr = app.DebugAddr().String() }))
	if err == nil || !strings.Contains(err.Error(), "-debug-addr") {
		t.Fatalf("New on a busy debug port: %v; want an error naming -debug-addr", err)
	}
}

// busy keeps the app answering GET /users/{id} until stop is closed.
func busy(t *testing.T, app *App, stop chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(1); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(fmt.Sprintf("http://%s/users/%d", app.Addr(), 1+i%900))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	return &wg
}

// TestCapturesSeeStepsAndTasks: under load, CPU samples carry the route
// and step labels (what go tool pprof -tagfocus=step=db reads), and the
// execution trace holds the request tasks and step regions (what go tool
// trace lists under user-defined tasks and regions).
func TestCapturesSeeStepsAndTasks(t *testing.T) {
	// A middleware's own labels must survive inside the steps, and what
	// it does happens inside the request's task.
	tenant := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			trace.WithRegion(r.Context(), "tenant", func() {
				pprof.Do(r.Context(), pprof.Labels("tenant", "acme"), func(ctx context.Context) {
					next.ServeHTTP(w, r.WithContext(ctx))
				})
			})
		})
	}
	app := newTestApp(t, func(c *Config) { c.Middleware = append(c.Middleware, tenant) })
	stop := make(chan struct{})
	wg := busy(t, app, stop)
	cpu := capture(t, app, "/debug/pprof/profile?seconds=1")
	resp, err := http.Get("http://" + app.DebugAddr().String() + "/debug/pprof/trace?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	traced, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	close(stop)
	wg.Wait()

	steps := map[string]int{}
	for _, s := range cpu.Sample {
		if len(s.Label["route"]) == 1 && s.Label["route"][0] == Route && len(s.Label["step"]) == 1 {
			steps[s.Label["step"][0]]++
			if len(s.Label["tenant"]) != 1 {
				t.Errorf("a sample in step %s lost the middleware's label: %v", s.Label["step"][0], s.Label)
				break
			}
		}
	}
	if steps["db"] == 0 {
		t.Errorf("no CPU sample labelled step=db under load (labelled samples by step: %v)", steps)
	}
	for step := range steps {
		if step != "parse" && step != "db" && step != "render" {
			t.Errorf("CPU samples labelled with an unknown step %q", step)
		}
	}
	// Read the trace as go tool trace does.
	file := filepath.Join(t.TempDir(), "trace.out")
	if err := os.WriteFile(file, traced, 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, err := exec.Command("go", "tool", "trace", "-d=parsed", file).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool trace -d=parsed: %v\n%.2000s", err, parsed)
	}
	// The middleware's region belongs to the task of a request, which
	// therefore spans the middleware too.
	tasks := regexp.MustCompile(`TaskBegin .* ID=([0-9]+) .*Type="`+regexp.QuoteMeta(Route)+`"`).FindAllSubmatch(parsed, -1)
	region := regexp.MustCompile(`RegionBegin .* Task=([0-9]+) Type="tenant"`).FindSubmatch(parsed)
	if region == nil || !slices.ContainsFunc(tasks, func(m [][]byte) bool { return string(m[1]) == string(region[1]) }) {
		t.Errorf("the middleware's region is in no request's task (region: %q; %d tasks of type %s)", region, len(tasks), Route)
	}
	for _, want := range []string{
		`TaskBegin .* Type="` + regexp.QuoteMeta(Route) + `"`,
		`RegionBegin .* Type="parse"`, `RegionBegin .* Type="db"`, `RegionBegin .* Type="render"`,
	} {
		if !regexp.MustCompile(want).Match(parsed) {
			t.Errorf("no event matching %s in the execution trace", want)
		}
	}
}
