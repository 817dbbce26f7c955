package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
)

// startActivity serves the program as main sets it up, its calendar
// ending on end.
func startActivity(t *testing.T, end string) string {
	t.Helper()
	cfg := servertest.Config()
	if _, err := setup(&cfg, end); err != nil {
		t.Fatal(err)
	}
	app := servertest.Start(t, cfg)
	return "http://" + app.Addr().String()
}

// TestPagesCarryTheYear: each page carries its user's 365 days up to the
// last day, oldest first, each line the day and the contributions the
// activity log holds for it.
func TestPagesCarryTheYear(t *testing.T) {
	base := startActivity(t, "2026-11-30")
	for _, id := range []int64{1, 42, 999} {
		resp, err := http.Get(fmt.Sprintf("%s/users/%d", base, id))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var page struct {
			server.User
			Extras struct {
				Activity Calendar `json:"activity"`
			} `json:"extras"`
		}
		if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /users/%d: %d %v %.200s", id, resp.StatusCode, err, body)
		}
		if page.User != server.SeedUser(id) {
			t.Errorf("GET /users/%d: user %+v, want %+v", id, page.User, server.SeedUser(id))
		}
		c := page.Extras.Activity
		if c.From != "2025-12-01" || c.To != "2026-11-30" {
			t.Errorf("GET /users/%d: calendar from %s to %s, want 2025-12-01 to 2026-11-30", id, c.From, c.To)
		}
		lines := strings.Split(strings.TrimSuffix(c.Days, "\n"), "\n")
		if len(lines) != 365 || !strings.HasSuffix(c.Days, "\n") {
			t.Fatalf("GET /users/%d: %d lines, want 365, each ending in a newline", id, len(lines))
		}
		day := time.Date(2025, time.December, 1, 0, 0, 0, 0, time.UTC)
		busy := 0
		for i, line := range lines {
			want := day.Format(time.DateOnly) + " " + strconv.FormatInt(contributions(id, day.Unix()/86400), 10)
			if line != want {
				t.Fatalf("GET /users/%d: line %d is %q, want %q", id, i+1, line, want)
			}
			if !strings.HasSuffix(line, " 0") {
				busy++
			}
			day = day.Add(24 * time.Hour)
		}
		if busy < 100 || busy > 300 {
			t.Errorf("GET /users/%d: %d of 365 days with contributions: the activity log is not what the test expects", id, busy)
		}
	}
}

// TestLeapYear: a calendar that spans 29 February has it, and still 365
// days.
func TestLeapYear(t *testing.T) {
	base := startActivity(t, "2028-03-01")
	resp, err := http.Get(base + "/users/7")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Extras struct {
			Activity Calendar `json:"activity"`
		} `json:"extras"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	c := page.Extras.Activity
	if c.From != "2027-03-03" || !strings.Contains(c.Days, "\n2028-02-29 ") || strings.Count(c.Days, "\n") != 365 {
		t.Errorf("calendar up to 2028-03-01: from %s, %d lines, 29 February there: %v", c.From, strings.Count(c.Days, "\n"), strings.Contains(c.Days, "\n2028-02-29 "))
	}
}

// TestBadEndIsRefused: a last day that is not a date stops the program
// at its start, with the flag named.
func TestBadEndIsRefused(t *testing.T) {
	cfg := servertest.Config()
	if _, err := setup(&cfg, "30/11/2026"); err == nil || !strings.Contains(err.Error(), "-activity-end") {
		t.Errorf("setup with -activity-end 30/11/2026: %v, want an error that names the flag", err)
	}
}

// BenchmarkCalendar writes one user's calendar: its time, and with
// -benchmem the allocations a page costs (go test -bench Calendar
// -benchmem).
func BenchmarkCalendar(b *testing.B) {
	cfg := servertest.Config()
	a, err := setup(&cfg, "2026-11-30")
	if err != nil {
		b.Fatal(err)
	}
	first := a.first.Unix() / 86400
	b.ReportAllocs()
	for b.Loop() {
		renderDays(42, first, a.dates[:])
	}
}
