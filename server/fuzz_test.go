package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzUsersPath sends GET /users/{s} for arbitrary s through the app's
// whole handler chain: the answer is always a 200 with the right user, a
// 400 or a 404, with a JSON body; never a 5xx, never a panic.
func FuzzUsersPath(f *testing.F) {
	for _, s := range []string{"42", "0", "-1", "+1", "abc", "", "%", "%2F", "1%00", "99999999999999999999", "1e3", " 1", "1/2", "..", "١٢"} {
		f.Add(s)
	}
	app, err := New(context.Background(), testConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { app.closeAll() })
	f.Fuzz(func(t *testing.T, s string) {
		req, err := http.NewRequest(http.MethodGet, "http://example/users/"+s, nil)
		if err != nil {
			return // not a URL a client could send
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, req)
		body := w.Body.Bytes()
		switch w.Code {
		case 200:
			// The id the client asked for: the path as the URL parser
			// decoded it (without a #fragment, %-escapes undone).
			id, err := ParseID(strings.TrimPrefix(req.URL.Path, "/users/"))
			var u User
			if err != nil || json.Unmarshal(body, &u) != nil || u != SeedUser(id) {
				t.Fatalf("%q: 200 with %s", s, body)
			}
		case 400, 404:
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Fatalf("%q: %d with %s, want a JSON error", s, w.Code, body)
			}
		case 301, 307, 308: // the mux cleans paths such as /users/../x by redirecting
			if !strings.HasPrefix(w.Header().Get("Location"), "/") {
				t.Fatalf("%q: redirect to %q", s, w.Header().Get("Location"))
			}
		default:
			t.Fatalf("%q: status %d: %s", s, w.Code, body)
		}
	})
}
