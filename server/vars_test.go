package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"testing"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
)

// readVars asks the debug listener at base for its /debug/vars.
func readVars(t *testing.T, base string) server.Vars {
	t.Helper()
	resp, err := http.Get(base + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v server.Vars
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/debug/vars: %s, %v", resp.Status, err)
	}
	return v
}

// TestVarsCountWhatHappened loads the app and reads /debug/vars before
// and after: the requests, allocations and a program's own metric must
// have grown by what the load did, and the goroutines be counted.
func TestVarsCountWhatHappened(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config()
	var calls float64
	cfg.Metrics = []server.Metric{{Name: "test_calls_total", Help: "calls", Value: func() float64 { calls++; return calls }}}
	app := servertest.Start(t, cfg)
	debug := "http://" + app.DebugAddr().String()
	before := readVars(t, debug)
	const n = 50
	for i := 1; i <= n; i++ {
		resp, err := http.Get(fmt.Sprintf("http://%s/users/%d", app.Addr(), i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	after := readVars(t, debug)
	if d := after.Get("requests_total") - before.Get("requests_total"); d != n {
		t.Errorf("requests_total grew by %v over %d requests", d, n)
	}
	if d := after.Get("heap_alloc_objects_total") - before.Get("heap_alloc_objects_total"); d < n {
		t.Errorf("heap_alloc_objects_total grew by %v over %d requests, each of which allocates", d, n)
	}
	if after.Get("goroutines") < 2 || after.Get("cpu_seconds_total") <= 0 {
		t.Errorf("goroutines %v, cpu_seconds_total %v: the runtime's metrics are not read", after.Get("goroutines"), after.Get("cpu_seconds_total"))
	}
	if before.Get("test_calls_total") != 1 || after.Get("test_calls_total") != 2 {
		t.Errorf("the program's own metric: %v then %v, want 1 then 2, read at each request", before["test_calls_total"], after["test_calls_total"])
	}
	for _, name := range []string{"db_wait_count_total", "db_open", "gc_cpu_seconds_total", "gomaxprocs"} {
		if !after.Has(name) {
			t.Errorf("no %s in /debug/vars", name)
		}
	}
}

// TestMetricNamesAreChecked: a name that clashes with the app's, or that
// is not a plain lower-case name, is refused at New.
func TestMetricNamesAreChecked(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"requests_total", "goroutines", "memstats", "Shop-Queries", ""} {
		cfg := servertest.Config()
		cfg.Metrics = []server.Metric{{Name: name, Value: func() float64 { return 0 }}}
		if app, err := server.New(context.Background(), cfg); err == nil {
			app.Store().Close()
			t.Errorf("New took a metric named %q", name)
		}
	}
}

// TestVarsOneOnALine: /debug/vars answers in expvar's format, a variable
// a line with its number beside its name, so that grep finds both, and
// expvar's own variables and those a program publishes are there too.
func TestVarsOneOnALine(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config()
	cfg.Metrics = []server.Metric{{Name: "test_nan", Value: func() float64 { return math.NaN() }}}
	app := servertest.Start(t, cfg)
	resp, err := http.Get("http://" + app.DebugAddr().String() + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("/debug/vars is not JSON:\n%s", b)
	}
	for _, want := range []string{`(?m)^"requests_total": 0,$`, `(?m)^"goroutines": [0-9]+,$`, `(?m)^"cmdline": \[`, `(?m)^"memstats": \{`, `(?m)^"test_nan": null,?$`} {
		if !regexp.MustCompile(want).Match(b) {
			t.Errorf("no line matching %s in /debug/vars:\n%.600s", want, b)
		}
	}
}
