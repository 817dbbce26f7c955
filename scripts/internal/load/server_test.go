package load_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/server/servertest"
)

// TestConcurrentAnswersAreRight loads the users server from 200 goroutines over
// varied ids and checks every body, not only every status: the seed
// program answered 200 {"name":""} to almost every request under load,
// because each pooled connection to ":memory:" opened its own empty
// database.
func TestConcurrentAnswersAreRight(t *testing.T) {
	cfg := servertest.Config()
	cfg.Users = 10000
	app := servertest.Start(t, cfg)

	const goroutines, each = 200, 25
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: goroutines}}
	defer client.CloseIdleConnections()
	check, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := load.CheckBodies(check, load.BodyCheckOptions{
		BaseURL:     "http://" + app.Addr().String(),
		Mix:         load.Mix{Users: app.Store().Users(), Unknown: 0.1}, // every user alike
		Concurrency: goroutines,
		Requests:    goroutines * each,
		Client:      client,
	})
	if res.Checked != goroutines*each || res.Wrong != 0 || res.TransportErrors != 0 {
		t.Fatalf("%d answers checked (want %d), %d wrong, %d without answer; first wrong: %q",
			res.Checked, goroutines*each, res.Wrong, res.TransportErrors, res.Examples)
	}
}
