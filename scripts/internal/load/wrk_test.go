package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	out := `Running 2s test @ http://127.0.0.1:34133
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.66ms    3.60ms  27.81ms   85.54%
    Req/Sec    19.37k     2.50k   25.18k    75.00%
  Latency Distribution
     50%  812.00us
     75%    4.11ms
     90%    7.65ms
     99%   1.20s
  77098 requests in 2.01s, 27.65MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 6556
Requests/sec:  38438.30
Transfer/sec:     13.78MB
`
	r, err := ParseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := WrkReport{Requests: 77098, Seconds: 2.01, RPS: 38438.30, P50: 812e-6, P99: 1.2, Non2xx: 6556, SocketErrors: 5}
	if r != want {
		t.Errorf("ParseWrk = %+v, want %+v", r, want)
	}
	if _, err := ParseWrk("unable to connect to 127.0.0.1:1 Connection refused"); err == nil {
		t.Error("ParseWrk of an error message: no error")
	}
}

func TestWrkScriptSendsTheMix(t *testing.T) {
	s := WrkScript(StandardMix())
	if n := strings.Count(s, `"/users/`); n != wrkPaths {
		t.Fatalf("script holds %d paths, want %d", n, wrkPaths)
	}
	unknown := 0
	for _, line := range strings.Split(s, "\n") {
		var id int64
		if _, err := fmtSscanf(line, &id); err == nil && id > StandardMix().Users {
			unknown++
		}
	}
	if share := float64(unknown) / wrkPaths; share < 0.07 || share > 0.13 {
		t.Errorf("%.0f%% of the script's paths are unknown ids, want about 10%%", 100*share)
	}
}

// TestRunWrk loads a server of the test's own: wrk's count of answers
// and of 404s must be the server's.
func TestRunWrk(t *testing.T) {
	if WrkPath() == "" {
		t.Skip("wrk is not installed (Debian: apt-get install wrk)")
	}
	var served, notFound atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		var id int64
		if _, err := fmtSscanf(`"`+r.URL.Path+`",`, &id); err != nil || id > StandardMix().Users {
			notFound.Add(1)
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	r, err := RunWrk(context.Background(), WrkOptions{BaseURL: srv.URL, Concurrency: 4, Duration: time.Second, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// wrk counts the answers it read; the server may have served a few
	// more, cut off at the end.
	if n := served.Load(); int64(r.Requests) > n || int64(r.Requests) < n-100 {
		t.Errorf("wrk says %d requests, the server served %d", r.Requests, n)
	}
	if share := float64(r.Non2xx) / float64(r.Requests); share < 0.05 || share > 0.15 {
		t.Errorf("wrk says %.0f%% non-2xx, want about the mix's 10%% (server: %d of %d)", 100*share, notFound.Load(), served.Load())
	}
	if r.P50 <= 0 || r.P99 < r.P50 || r.RPS <= 0 {
		t.Errorf("report %+v: want 0 < p50 ≤ p99 and a throughput", r)
	}
}

// fmtSscanf reads the id of a line `  "/users/ID",` of the script.
func fmtSscanf(line string, id *int64) (int, error) {
	return fmt.Sscanf(strings.TrimSpace(line), `"/users/%d",`, id)
}
