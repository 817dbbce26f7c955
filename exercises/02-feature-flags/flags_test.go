package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/flagfile"
	"github.com/slowpath/slowpath/server/servertest"
)

// These tests hold for the exercise as shipped and for any right fix:
// pages follow the flags file, edits to it are picked up while the service
// runs, and a broken or missing file never breaks the service. What the
// flags say for each user is flagfile's, tested there.

// pickUpDeadline is how long an edit of the file may take to show on the
// pages before a test gives up: generous, since a test must not measure.
const pickUpDeadline = 10 * time.Second

// shownFlags is "extras"."flags" of a page, as a client reads it.
type shownFlags struct {
	Version int      `json:"version"`
	Theme   string   `json:"theme"`
	On      []string `json:"on"`
}

type answer struct {
	status int
	user   server.User
	flags  *shownFlags
	err    string // the "error" of an error body
	raw    string
}

// get asks for /users/{id} and decodes the answer, a page or an error.
func get(t *testing.T, base string, id int64) answer {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/users/%d", base, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		server.User
		Extras struct {
			Flags *shownFlags `json:"flags"`
		} `json:"extras"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("GET /users/%d: %d with a body that is not JSON: %v\n%s", id, resp.StatusCode, err, body)
	}
	return answer{status: resp.StatusCode, user: page.User, flags: page.Extras.Flags, err: page.Error, raw: string(body)}
}

// page asks for /users/{id}, which must answer 200 with the user and flags.
func page(t *testing.T, base string, id int64) shownFlags {
	t.Helper()
	a := get(t, base, id)
	if a.status != http.StatusOK || a.flags == nil {
		t.Fatalf("GET /users/%d: want 200 with flags, got %d: %s", id, a.status, a.raw)
	}
	if want := server.SeedUser(id); a.user != want {
		t.Fatalf("GET /users/%d: user %+v, want %+v", id, a.user, want)
	}
	return *a.flags
}

// problems counts the warnings and errors in l that name path.
func problems(l *servertest.Log, path string) int {
	n := 0
	for line := range strings.Lines(l.String()) {
		if (strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN")) && strings.Contains(line, path) {
			n++
		}
	}
	return n
}

// start serves the service with its pages following the flags file at
// path, and returns its base URL and its log.
func start(t *testing.T, path string) (string, *servertest.Log) {
	t.Helper()
	logs := &servertest.Log{}
	cfg := servertest.Config()
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if err := setupFlags(&cfg, path); err != nil {
		t.Fatal(err)
	}
	app := servertest.Start(t, cfg)
	t.Cleanup(func() {
		if strings.Contains(logs.String(), "panic") {
			t.Errorf("the server panicked:\n%s", logs)
		}
	})
	return "http://" + app.Addr().String(), logs
}

// save writes data to path the way an editor saves: to a new file beside
// it, then renamed over it, so that a reader sees the old or the new file
// whole.
func save(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func saveFlags(t *testing.T, path string, f *flagfile.Flags) {
	t.Helper()
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	save(t, path, data)
}

// oneFlag is a file of version v with one flag, key, on for everyone; pad
// makes the description longer, so that two versions differ in size too.
func oneFlag(v int, key string, pad int) *flagfile.Flags {
	return &flagfile.Flags{Version: v, Theme: flagfile.Theme{Default: "light"}, Flags: []flagfile.Flag{
		{Key: key, Description: strings.Repeat("x", pad), Client: true, Enabled: true, Rollout: 100},
	}}
}

// TestPagesFollowTheFlags: each page shows its own user's flags, those
// that flagfile evaluates for the user from the file: the client flags
// on for them, in file order, and their theme.
func TestPagesFollowTheFlags(t *testing.T) {
	a := server.SeedUser(42)
	flags := &flagfile.Flags{
		Version:  7,
		Theme:    flagfile.Theme{Default: "light", Salt: "theme-test", Variants: []flagfile.Variant{{Name: "dark", Weight: 50}}},
		Segments: []flagfile.Segment{{Key: "country-of-a", Countries: []string{a.Country}}},
		Flags: []flagfile.Flag{
			{Key: "everyone", Client: true, Enabled: true, Rollout: 100},
			{Key: "server-side", Client: false, Enabled: true, Rollout: 100},
			{Key: "allow-a", Client: true, Enabled: true, Rollout: 0, Allow: []int64{a.ID}},
			{Key: "country-rule", Client: true, Enabled: true, Rollout: 0, Rules: []flagfile.Rule{{Segment: "country-of-a", Rollout: 100}}},
			{Key: "half", Client: true, Enabled: true, Rollout: 50},
		},
	}
	path := filepath.Join(t.TempDir(), "flags.json")
	saveFlags(t, path, flags)
	base, _ := start(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := flagfile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}

	pages := map[string]bool{}
	for _, id := range []int64{a.ID, 1, 2, 3, 43, 999} {
		want := parsed.Evaluate(server.SeedUser(id))
		got := page(t, base, id)
		if got.Version != want.Version || got.Theme != want.Theme || !slices.Equal(got.On, want.On) {
			t.Errorf("user %d: flags %+v, want %+v", id, got, want)
		}
		if len(got.On) == 0 || got.On[0] != "everyone" || slices.Contains(got.On, "server-side") {
			t.Errorf("user %d: flags on %v; want everyone first, and never the server-side flag", id, got.On)
		}
		if id == a.ID && !slices.Contains(got.On, "allow-a") {
			t.Errorf("user %d: flags on %v; want allow-a, its allow-list names the user", id, got.On)
		}
		pages[fmt.Sprint(got)] = true
	}
	if len(pages) < 2 {
		t.Errorf("six users got the same flags, %v: the pages do not depend on the user", pages)
	}
}

func TestFlagsEditIsPickedUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.json")
	saveFlags(t, path, oneFlag(1, "old-checkout", 0))
	base, _ := start(t, path)
	if got := page(t, base, 42); got.Version != 1 || !slices.Equal(got.On, []string{"old-checkout"}) {
		t.Fatalf("before the edit: flags %+v, want version 1 with old-checkout on", got)
	}

	saveFlags(t, path, oneFlag(2, "new-checkout", 100))
	deadline := time.Now().Add(pickUpDeadline)
	for {
		got := page(t, base, 42)
		if got.Version == 2 {
			if !slices.Equal(got.On, []string{"new-checkout"}) {
				t.Fatalf("after the edit: flags %+v, want version 2 with new-checkout on", got)
			}
			break
		}
		if got.Version != 1 || !slices.Equal(got.On, []string{"old-checkout"}) {
			t.Fatalf("during the edit: flags %+v, want those of version 1 or 2", got)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edit of %s did not show on the pages within %s", path, pickUpDeadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Picked up is picked up: no page goes back to the old flags.
	for range 5 {
		if got := page(t, base, 42); got.Version != 2 {
			t.Fatalf("after the edit showed, a page had version %d", got.Version)
		}
	}
}

func TestBrokenFlagsFileNeverBreaksTheService(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.json")
	saveFlags(t, path, oneFlag(1, "checkout", 0))
	base, logs := start(t, path)
	page(t, base, 42)

	// acceptable says whether an answer is one a broken file may give: the
	// last good flags, or a 5xx with a JSON error. version > 1 is also
	// accepted once the file is good again.
	acceptable := func(a answer, version int) bool {
		if a.status >= 500 && a.status <= 599 {
			return a.err != "" && a.flags == nil
		}
		return a.status == http.StatusOK && a.flags != nil && a.user == server.SeedUser(42) &&
			(a.flags.Version == 1 || a.flags.Version == version)
	}
	// untilLogged asks for pages until a new warning or error names the
	// file: the service saw the problem, on a request or on its own.
	untilLogged := func(what string) {
		t.Helper()
		before := problems(logs, path)
		deadline := time.Now().Add(pickUpDeadline)
		for problems(logs, path) == before {
			if a := get(t, base, 42); !acceptable(a, 1) {
				t.Fatalf("with a %s flags file: got %d %s; want the last good flags or a 5xx JSON error", what, a.status, a.raw)
			}
			if time.Now().After(deadline) {
				t.Fatalf("a %s flags file was not logged within %s; log:\n%s", what, pickUpDeadline, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	save(t, path, []byte(`{"version": 2, "theme": {"default": "light"}, "flags": [{"key": "checkout", "rollout": 1`))
	untilLogged("truncated")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	untilLogged("missing")

	// A good file again: the pages follow it.
	saveFlags(t, path, oneFlag(4, "checkout-fixed", 10))
	deadline := time.Now().Add(pickUpDeadline)
	for {
		a := get(t, base, 42)
		if !acceptable(a, 4) {
			t.Fatalf("after the file was fixed: got %d %s", a.status, a.raw)
		}
		if a.status == http.StatusOK && a.flags.Version == 4 {
			if !slices.Equal(a.flags.On, []string{"checkout-fixed"}) {
				t.Fatalf("after the file was fixed: flags %+v, want checkout-fixed on", *a.flags)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fixed file did not show on the pages within %s; last answer %d %s", pickUpDeadline, a.status, a.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLoadFlagsRejectsBadFiles: a file that does not parse is an error
// that names the file (which flags are bad is flagfile's, tested there),
// a missing file is an error, and a good file loads.
func TestLoadFlagsRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, file string }{
		{"not JSON", `version: 2`},
		{"truncated", `{"version": 2, "theme": {"default": "light"}, "flags": [{"key": "a"`},
		{"rollout over 100", `{"theme": {"default": "light"}, "flags": [{"key": "a", "rollout": 101}]}`},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
		save(t, path, []byte(tc.file))
		if _, err := loadFlags(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: loadFlags gave error %v; want an error that names the file", tc.name, err)
		}
	}
	if _, err := loadFlags(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
	good := filepath.Join(dir, "good.json")
	save(t, good, []byte(`{"version": 2, "theme": {"default": "light"}, "segments": [{"key": "eu", "countries": ["FR"]}],
		"flags": [{"key": "a", "enabled": true, "rollout": 100, "rules": [{"segment": "eu", "rollout": 0}]}]}`))
	if f, err := loadFlags(good); err != nil || f.Version != 2 || len(f.Flags) != 1 {
		t.Errorf("a good file: loadFlags gave %+v, %v", f, err)
	}
}

func TestDefaultFlagsAreWrittenWhenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.json")
	base, _ := start(t, path)
	shipped, err := loadFlags(path)
	if err != nil {
		t.Fatalf("the shipped flags file does not load: %v", err)
	}
	if len(shipped.Flags) < 100 || len(shipped.Segments) < 10 {
		t.Errorf("the shipped flags file has %d flags and %d segments; want a real one", len(shipped.Flags), len(shipped.Segments))
	}
	for id := int64(1); id <= 20; id++ {
		got, want := page(t, base, id), shipped.Evaluate(server.SeedUser(id))
		if got.Version != want.Version || got.Theme != want.Theme || !slices.Equal(got.On, want.On) {
			t.Errorf("user %d: page flags %+v; want those of the shipped file, %+v", id, got, want)
		}
	}

	// An existing file is never overwritten, whatever it holds.
	mine := []byte(`{"version": 5, "theme": {"default": "light"}}`)
	save(t, path, mine)
	cfg := servertest.Config()
	if err := setupFlags(&cfg, path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range cfg.Closers {
		if err := c(ctx); err != nil {
			t.Error(err)
		}
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, mine) {
		t.Errorf("setupFlags overwrote an existing flags file:\n%s", data)
	}
}

// BenchmarkLoadFlags measures one load of the shipped flags file:
// go test -run '^$' -bench LoadFlags -benchmem ./exercises/02-feature-flags
func BenchmarkLoadFlags(b *testing.B) {
	path := filepath.Join(b.TempDir(), "flags.json")
	if err := flagfile.WriteDefaults(path, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		if _, err := loadFlags(path); err != nil {
			b.Fatal(err)
		}
	}
}
