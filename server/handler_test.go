package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// get sends one request to the app over the loopback network and returns
// the answer with its body read.
func get(t *testing.T, app *App, method, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+app.Addr().String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func userJSON(id int64) string {
	b, _ := json.Marshal(SeedUser(id))
	return string(b) + "\n"
}

func TestUsersAnswers(t *testing.T) {
	app := newTestApp(t)
	for _, tc := range []struct {
		method, path string
		status       int
		body         string // exact body for 200; a part of the error for others
	}{
		{"GET", "/users/42", 200, userJSON(42)},
		{"GET", "/users/1", 200, userJSON(1)},
		{"GET", "/users/1000", 200, userJSON(1000)},
		{"GET", "/users/007", 200, userJSON(7)},
		{"GET", "/users/1001", 404, "no user with id 1001"},
		{"GET", "/users/0", 404, "no user with id 0"},
		{"GET", "/users/9223372036854775807", 404, "no user"},
		{"GET", "/users/abc", 400, `"abc" is not a positive whole number`},
		{"GET", "/users/-1", 400, "not a positive whole number"},
		{"GET", "/users/+1", 400, "not a positive whole number"},
		{"GET", "/users/1.5", 400, "not a positive whole number"},
		{"GET", "/users/0x10", 400, "not a positive whole number"},
		{"GET", "/users/%201", 400, "not a positive whole number"},
		{"GET", "/users/9223372036854775808", 400, "out of range"},
		{"GET", "/users/99999999999999999999", 400, "out of range"},
		{"GET", "/users/", 404, "no route"},
		{"GET", "/users/1/orders", 404, "no route"},
		{"GET", "/", 404, "no route"},
		{"GET", "/debug/pprof/", 404, "no route"},
		{"POST", "/users/1", 405, "POST is not allowed"},
		{"DELETE", "/users/1", 405, "DELETE is not allowed"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := get(t, app, tc.method, tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if tc.status == 200 {
				if string(body) != tc.body {
					t.Fatalf("body %s, want %s", body, tc.body)
				}
				return
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tc.body) {
				t.Fatalf("body %s: want a JSON error containing %q (%v)", body, tc.body, err)
			}
			if tc.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want GET, HEAD", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestHeadHasNoBody(t *testing.T) {
	app := newTestApp(t)
	resp, body := get(t, app, "HEAD", "/users/42")
	if resp.StatusCode != 200 || len(body) != 0 {
		t.Fatalf("HEAD: %d with %d bytes of body, want 200 with none", resp.StatusCode, len(body))
	}
	if want := fmt.Sprint(len(userJSON(42))); resp.Header.Get("Content-Length") != want {
		t.Errorf("Content-Length %q, want %s, the length of the GET body", resp.Header.Get("Content-Length"), want)
	}
}

func TestParseID(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1": 1, "0042": 42, "9223372036854775807": 1<<63 - 1} {
		if got, err := ParseID(in); err != nil || got != want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-0", "+1", " 1", "1 ", "1e3", "١", "9223372036854775808", "18446744073709551616"} {
		if got, err := ParseID(in); err == nil {
			t.Errorf("ParseID(%q) = %d, want an error", in, got)
		}
	}
}
