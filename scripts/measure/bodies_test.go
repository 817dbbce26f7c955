package measure

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
)

func TestCheckBodiesPassesTheServer(t *testing.T) {
	app := startServer(t)
	res := CheckBodies(context.Background(), BodyCheckOptions{
		BaseURL: "http://" + app.Addr().String(), Users: app.Store().Users(), Concurrency: 8, Requests: 400,
	})
	if res.Checked != 400 || res.Wrong != 0 || res.TransportErrors != 0 {
		t.Fatalf("%+v", res)
	}
}

// TestCheckBodiesCatchesTheSeedBug runs the seed program's store, one
// ":memory:" database behind a pool, under concurrent load. Every answer
// is a 200, so a status counter sees nothing; the body check must.
func TestCheckBodiesCatchesTheSeedBug(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Exec(`CREATE TABLE users (id INTEGER, name TEXT, email TEXT, country TEXT, plan TEXT, created_at TEXT)`)
	for id := int64(1); id <= 100; id++ {
		u := server.SeedUser(id)
		db.Exec(`INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)`, u.ID, u.Name, u.Email, u.Country, u.Plan, u.CreatedAt)
	}
	seed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		u := server.User{}
		u.ID, _ = server.ParseID(r.PathValue("id"))
		// The seed dropped this error: on a new pooled connection the
		// table does not exist, and the answer is 200 with empty fields.
		db.QueryRow(`SELECT name, email, country, plan, created_at FROM users WHERE id = ?`, u.ID).
			Scan(&u.Name, &u.Email, &u.Country, &u.Plan, &u.CreatedAt)
		w.Header().Set("X-Timing-MS", fmt.Sprintf("%.3f", time.Since(start).Seconds()*1000))
		w.Header().Set("Server-Timing", "total;dur="+w.Header().Get("X-Timing-MS"))
		json.NewEncoder(w).Encode(u)
	}))
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", seed.Config.Handler)
	seed.Config.Handler = mux
	defer seed.Close()

	res := CheckBodies(context.Background(), BodyCheckOptions{BaseURL: seed.URL, Users: 100, Concurrency: 16, Requests: 400})
	if res.Checked != 400 || res.Wrong == 0 || res.TransportErrors != 0 {
		t.Fatalf("checked %d, wrong %d, without answer %d: want 400 checked and the empty names caught",
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
