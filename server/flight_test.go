package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xtrace "golang.org/x/exp/trace"
)

// slowID is the user whose page the tests' step holds for slowFor.
const (
	slowID  = 7
	slowFor = 600 * time.Millisecond
)

// flightApp serves an app whose step holds user slowID's page for slowFor,
// with the flight recorder on at half of it (far above what a fast
// request takes, even under the race detector on a busy machine),
// writing into dir.
func flightApp(t *testing.T, dir string, cooldown time.Duration) *App {
	return newTestApp(t, func(c *Config) {
		c.Flight.Slow = slowFor / 2
		c.Flight.Cooldown = cooldown
		c.Flight.Dir = dir
		c.Steps = []Step{{Name: "extras", Run: func(ctx context.Context, p *Page) error {
			if p.User.ID == slowID {
				time.Sleep(slowFor)
			}
			return nil
		}}}
	})
}

func fetch(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// snapshots waits up to 10 s for want snapshot files in dir, then
// returns those there are.
func snapshots(t *testing.T, dir string, want int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, err := filepath.Glob(filepath.Join(dir, "flight-*.trace"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) >= want || time.Now().After(deadline) {
			return files
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFlightRecorderCatchesTheSlowRequest: fast requests write nothing; a
// slow one writes a snapshot in which its task is found, by the path the
// handler logs into it, and lasts as long as the request did.
func TestFlightRecorderCatchesTheSlowRequest(t *testing.T) {
	dir := t.TempDir()
	app := flightApp(t, dir, time.Minute)
	base := "http://" + app.Addr().String()
	for i := 1; i <= 20; i++ {
		if code, _ := fetch(t, fmt.Sprintf("%s/users/%d", base, 100+i)); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if files := snapshots(t, dir, 0); len(files) != 0 {
		t.Fatalf("fast requests wrote snapshots: %v", files)
	}
	if code, _ := fetch(t, fmt.Sprintf("%s/users/%d", base, slowID)); code != http.StatusOK {
		t.Fatalf("slow request: status %d", code)
	}
	files := snapshots(t, dir, 1)
	if len(files) != 1 {
		t.Fatalf("after one slow request: snapshots %v, want one", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	task, d := findTask(t, f, fmt.Sprintf("GET /users/%d", slowID))
	if task == 0 {
		t.Fatalf("%s: no task logs the slow request", files[0])
	}
	if d < slowFor*9/10 {
		t.Errorf("the slow request's task lasts %s in the snapshot, want about %s or more", d, slowFor)
	}
}

// findTask reads a trace and returns the task whose "request" log says
// request, and how long it lasted from its begin to its end (0 if either
// is missing).
func findTask(t *testing.T, r io.Reader, request string) (xtrace.TaskID, time.Duration) {
	t.Helper()
	tr, err := xtrace.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	begins, ends := map[xtrace.TaskID]xtrace.Time{}, map[xtrace.TaskID]xtrace.Time{}
	var found xtrace.TaskID
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind() {
		case xtrace.EventTaskBegin:
			begins[ev.Task().ID] = ev.Time()
		case xtrace.EventTaskEnd:
			ends[ev.Task().ID] = ev.Time()
		case xtrace.EventLog:
			if l := ev.Log(); l.Category == "request" && l.Message == request {
				found = l.Task
			}
		}
	}
	b, okB := begins[found]
	e, okE := ends[found]
	if found == 0 || !okB || !okE {
		return found, 0
	}
	return found, e.Sub(b)
}

// TestFlightRecorderCooldown: slow requests within the cooldown write one
// snapshot, not one each.
func TestFlightRecorderCooldown(t *testing.T) {
	dir := t.TempDir()
	app := flightApp(t, dir, time.Minute)
	base := "http://" + app.Addr().String()
	for range 3 {
		fetch(t, fmt.Sprintf("%s/users/%d", base, slowID))
	}
	snapshots(t, dir, 1)
	time.Sleep(200 * time.Millisecond) // a second snapshot would have begun by now
	if n := app.flight.wrote.Load(); n != 1 {
		t.Errorf("3 slow requests within the cooldown wrote %d snapshots, want 1", n)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "flight-*.trace")); len(files) != 1 {
		t.Errorf("snapshot files %v, want one", files)
	}
}

// TestDebugFlight: the debug listener serves the window on demand, a
// trace go tool trace can read; with the recorder off it says how to
// turn it on.
func TestDebugFlight(t *testing.T) {
	app := flightApp(t, t.TempDir(), time.Minute)
	fetch(t, "http://"+app.Addr().String()+"/users/42")
	code, body := fetch(t, "http://"+app.DebugAddr().String()+"/debug/flight")
	if code != http.StatusOK {
		t.Fatalf("/debug/flight: status %d: %s", code, body)
	}
	if task, _ := findTask(t, bytes.NewReader(body), "GET /users/42"); task == 0 {
		t.Errorf("/debug/flight: %d bytes with no task for the request just answered", len(body))
	}

	off := newTestApp(t)
	code, body = fetch(t, "http://"+off.DebugAddr().String()+"/debug/flight")
	var e struct{ Error string }
	if code != http.StatusNotFound || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, "-flight-slow") {
		t.Errorf("/debug/flight with the recorder off: %d %s, want a 404 naming -flight-slow", code, body)
	}
}

// TestFlightConfigValidated: a recorder on with nothing to keep is refused.
func TestFlightConfigValidated(t *testing.T) {
	cfg := testConfig(func(c *Config) { c.Flight.Slow, c.Flight.MaxBytes = time.Second, 0 })
	if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "flight") {
		t.Errorf("New with -flight-max-bytes 0: %v, want an error about the flight recorder", err)
	}
}
