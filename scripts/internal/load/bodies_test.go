package load

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
)

func TestCheckBodiesPassesTheServer(t *testing.T) {
	app := startServer(t)
	res := CheckBodies(context.Background(), BodyCheckOptions{
		BaseURL: "http://" + app.Addr().String(), Mix: Mix{Users: app.Store().Users(), Hot: 10, Unknown: 0.1}, Concurrency: 8, Requests: 400,
	})
	if res.Checked != 400 || res.Wrong != 0 || res.TransportErrors != 0 {
		t.Fatalf("%+v", res)
	}
}

// seedServer serves GET /users/{id} the way the seed program did: from a
// ":memory:" database behind a database/sql pool of at most conns
// connections (0: no limit), its query errors dropped. Unknown ids get a
// 404 here (the seed had none), so that only the pool can make an answer
// wrong.
func seedServer(t *testing.T, conns int) string {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(conns)
	db.Exec(`CREATE TABLE users (id INTEGER, name TEXT, email TEXT, country TEXT, plan TEXT, created_at TEXT)`)
	for id := int64(1); id <= 100; id++ {
		u := server.SeedUser(id)
		db.Exec(`INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)`, u.ID, u.Name, u.Email, u.Country, u.Plan, u.CreatedAt)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		u := server.User{}
		u.ID, _ = server.ParseID(r.PathValue("id"))
		// On a new pooled connection the table does not exist: the error
		// is dropped, as the seed dropped it, and the answer is a 200 with
		// empty fields.
		// The connection is held for a millisecond, as a slower query
		// would hold it, so that concurrent requests need more than one.
		conn, err := db.Conn(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		err = conn.QueryRowContext(r.Context(), `SELECT name, email, country, plan, created_at FROM users WHERE id = ?`, u.ID).
			Scan(&u.Name, &u.Email, &u.Country, &u.Plan, &u.CreatedAt)
		time.Sleep(time.Millisecond)
		conn.Close()
		w.Header().Set("X-Timing-MS", fmt.Sprintf("%.3f", time.Since(start).Seconds()*1000))
		w.Header().Set("Server-Timing", "total;dur="+w.Header().Get("X-Timing-MS"))
		if errors.Is(err, sql.ErrNoRows) {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "no such user"})
			return
		}
		json.NewEncoder(w).Encode(u)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCheckBodiesCatchesTheSeedBug runs the seed program's store under
// concurrent load: every answer is a 200 or a 404 as it should be, so a
// status counter sees nothing wrong, but the answers that came through a
// second pooled connection to ":memory:" are empty. With the pool held to
// one connection, the same server answers right: the check must tell the
// two apart.
func TestCheckBodiesCatchesTheSeedBug(t *testing.T) {
	opt := BodyCheckOptions{Mix: Mix{Users: 100}, Concurrency: 16, Requests: 400}

	opt.BaseURL = seedServer(t, 1)
	if res := CheckBodies(context.Background(), opt); res.Checked != 400 || res.Wrong != 0 || res.TransportErrors != 0 {
		t.Fatalf("one connection: %d checked, %d wrong, %d without answer; want 400 right (%q)",
			res.Checked, res.Wrong, res.TransportErrors, res.Examples)
	}
	opt.BaseURL = seedServer(t, 0)
	res := CheckBodies(context.Background(), opt)
	if res.Checked != 400 || res.Wrong == 0 || res.TransportErrors != 0 {
		t.Fatalf("a pool: %d checked, %d wrong, %d without answer; want the empty answers caught",
			res.Checked, res.Wrong, res.TransportErrors)
	}
	t.Logf("the seed's store under 16 concurrent requests: %d of %d answers wrong, e.g. %s", res.Wrong, res.Checked, res.Examples[0])
}

func TestCheckAnswer(t *testing.T) {
	good, _ := json.Marshal(server.SeedUser(5))
	h := http.Header{"X-Timing-Ms": {"0.412"}, "Server-Timing": {"db;dur=0.4, total;dur=0.412"}}
	if p := CheckAnswer(5, true, 200, h, good); p != "" {
		t.Errorf("a right answer judged wrong: %s", p)
	}
	empty, _ := json.Marshal(server.User{ID: 5})
	for name, c := range map[string]struct {
		status int
		h      http.Header
		body   []byte
	}{
		"empty name":    {200, h, empty},
		"other user":    {200, h, mustJSON(server.SeedUser(6))},
		"no timing":     {200, http.Header{}, good},
		"server error":  {500, h, []byte(`{"error":"x"}`)},
		"not json":      {200, h, []byte("<html>")},
		"truncated":     {200, h, good[:len(good)-3]},
		"404 for known": {404, h, []byte(`{"error":"no user"}`)},
	} {
		if p := CheckAnswer(5, true, c.status, c.h, c.body); p == "" {
			t.Errorf("%s: judged right", name)
		}
	}
	withExtras, _ := json.Marshal(server.Page{User: server.SeedUser(5), Extras: map[string]any{"risk": map[string]int{"score": 65}}})
	if p := CheckAnswer(5, true, 200, h, append(withExtras, '\n')); p != "" {
		t.Errorf("a right page with extras judged wrong: %s", p)
	}
	if p := CheckAnswer(5, true, 200, h, withExtras[:len(withExtras)-2]); p == "" {
		t.Error("a page with extras, cut short, judged right")
	}
	otherExtras, _ := json.Marshal(server.Page{User: server.SeedUser(6), Extras: map[string]any{"a": 1}})
	if p := CheckAnswer(5, true, 200, h, otherExtras); p == "" {
		t.Error("another user's page with extras judged right")
	}
	if p := CheckAnswer(50000, false, 200, h, good); p == "" {
		t.Error("a 200 for an unknown id judged right")
	}
	if p := CheckAnswer(50000, false, 404, h, []byte(`{"error":"no user with id 50000"}`)); p != "" {
		t.Errorf("a right 404 judged wrong: %s", p)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestExtrasOf reads the keys under "extras" of a page, and none of a page
// without them or of a body that is not a page.
func TestExtrasOf(t *testing.T) {
	for body, want := range map[string][]string{
		`{"id":1,"name":"A","extras":{"risk":{"score":1,"as_of":"x"},"flags":["a","b"]}}`: {"risk", "flags"},
		`{"id":1,"name":"A","extras":{}}`:                                                 nil,
		`{"id":1,"name":"A"}`:                                                             nil,
		`{"id":1,"extras":[1,2]}`:                                                         nil,
		`not json "extras": {`:                                                            nil,
	} {
		if got := ExtrasOf([]byte(body)); !slices.Equal(got, want) {
			t.Errorf("ExtrasOf(%s) = %q, want %q", body, got, want)
		}
	}
}
