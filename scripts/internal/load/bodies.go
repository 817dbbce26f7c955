package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slowpath/slowpath/server"
)

// BodyCheck says how many answers a check read and how many were wrong.
type BodyCheck struct {
	Mix             string   `json:"mix"`              // the request mix, as Mix.String says it
	Concurrency     int      `json:"concurrency"`      // requests the check kept in flight
	Checked         int      `json:"checked"`          // requests sent and judged, answered or not
	OK              int      `json:"ok"`               // answers with status 200
	Wrong           int      `json:"wrong"`            // answers with a wrong status, header or body
	TransportErrors int      `json:"transport_errors"` // requests that got no answer
	Examples        []string `json:"examples"`         // the first few wrong answers, described
	Seconds         float64  `json:"seconds"`          // how long the check ran
	P50             float64  `json:"p50"`              // median latency of the answers, seconds
	P99             float64  `json:"p99"`              // 99th percentile latency, seconds
	// Extras counts, when BodyCheckOptions.Extras asked for it, the 200
	// answers that carried each extra of the page (its key under
	// "extras"), by key.
	Extras map[string]int `json:"extras,omitempty"`
}

// RPS is the answers read per second.
func (c BodyCheck) RPS() float64 {
	if c.Seconds == 0 {
		return 0
	}
	return float64(c.Checked) / c.Seconds
}

// BodyCheckOptions says what CheckBodies sends.
type BodyCheckOptions struct {
	BaseURL     string // e.g. http://127.0.0.1:8080
	Mix         Mix    // the ids asked for; the zero Mix means StandardMix
	Concurrency int    // goroutines sending at once
	Requests    int    // stop after this many; 0 means until the context ends
	// Client sends the requests; nil means a client of its own that keeps
	// a connection per goroutine alive, as a load generator must.
	Client *http.Client
	// Stopping, when closed, says that the server is shutting down: a
	// request that gets no answer after that is not counted, and its
	// goroutine stops. The answers still coming are counted as ever.
	Stopping <-chan struct{}
	// Extras counts the extras each 200 answer carries (BodyCheck.Extras).
	Extras bool
	// Inspect, when set, is called with every 200 answer's id, body and
	// the moment its request was sent, for a judge of what the page says.
	Inspect func(id int64, body []byte, sent time.Time)
}

const maxExamples = 5

// CheckBodies sends GET /users/{id} from opt.Concurrency goroutines, with
// ids drawn from opt.Mix, until ctx ends or opt.Requests are done. It checks every answer, not
// only its status: a known id must answer 200 with the timing headers and
// a body equal to server.SeedUser(id); an unknown one 404 with a JSON
// error. The seed program of this kit answered 200 {"name":""} to almost
// every request under load, and only a body check sees that.
func CheckBodies(ctx context.Context, opt BodyCheckOptions) BodyCheck {
	if opt.Mix == (Mix{}) {
		opt.Mix = StandardMix()
	}
	client := opt.Client
	if client == nil {
		tr := &http.Transport{MaxIdleConns: opt.Concurrency, MaxIdleConnsPerHost: opt.Concurrency, IdleConnTimeout: time.Minute}
		defer tr.CloseIdleConnections()
		client = &http.Client{Transport: tr, Timeout: time.Minute}
	}
	var (
		mu        sync.Mutex
		res       = BodyCheck{Mix: opt.Mix.String(), Concurrency: opt.Concurrency}
		latencies []time.Duration
		budget    atomic.Int64
		next      atomic.Int64 // the next id of a cycling mix
		wg        sync.WaitGroup
		limitSet  = opt.Requests > 0
		start     = time.Now()
	)
	budget.Store(int64(opt.Requests))
	for g := 0; g < opt.Concurrency; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			for ctx.Err() == nil {
				if limitSet && budget.Add(-1) < 0 {
					return
				}
				id, known := 1+(next.Add(1)-1)%opt.Mix.Users, true
				if !opt.Mix.Cycle {
					id, known = opt.Mix.Pick(rng)
				}
				sent := time.Now()
				status, body, problem, transport := checkOne(ctx, client, opt.BaseURL, id, known)
				took := time.Since(sent)
				if status == http.StatusOK && opt.Inspect != nil {
					opt.Inspect(id, body, sent)
				}
				var extras []string
				if status == http.StatusOK && opt.Extras {
					extras = ExtrasOf(body)
				}
				if ctx.Err() != nil && transport {
					return // cut off by the end of the check, not by the server
				}
				if transport && closed(opt.Stopping) {
					return // refused by a server that is shutting down, as it should
				}
				mu.Lock()
				res.Checked++
				if status == http.StatusOK {
					res.OK++
				}
				for _, k := range extras {
					if res.Extras == nil {
						res.Extras = map[string]int{}
					}
					res.Extras[k]++
				}
				if !transport {
					latencies = append(latencies, took)
				}
				switch {
				case transport:
					res.TransportErrors++
				case problem != "":
					res.Wrong++
				}
				if problem != "" && len(res.Examples) < maxExamples {
					res.Examples = append(res.Examples, problem)
				}
				mu.Unlock()
			}
		}(uint64(g) + 1)
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	slices.Sort(latencies)
	res.P50, res.P99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return res
}

// closed reports whether c is closed; a nil c never is.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// percentile returns the q-th quantile of sorted latencies, in seconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))].Seconds()
}

// checkOne asks for one id and describes what is wrong with the answer,
// or returns "", with the answer's status. transport is true when no
// whole answer came.
func checkOne(ctx context.Context, client *http.Client, base string, id int64, known bool) (status int, body []byte, problem string, transport bool) {
	url := base + "/users/" + strconv.FormatInt(id, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err.Error(), true
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Sprintf("GET %s: %v", url, err), true
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Sprintf("GET %s: reading body: %v", url, err), true
	}
	return resp.StatusCode, body, CheckAnswer(id, known, resp.StatusCode, resp.Header, body), false
}

// CheckAnswer describes what is wrong with one answer to GET /users/{id},
// or returns "" when it is right: a known id must answer 200 with the
// timing headers and a JSON body whose user fields are server.SeedUser(id)
// (the page's extras, if any, after them); an unknown one 404 with a JSON
// error. It is on every answer of a load, so the right answer costs no
// decoding: the body must begin with the bytes json.Marshal gives the
// seeded user, as the service renders it.
func CheckAnswer(id int64, known bool, status int, h http.Header, body []byte) string {
	wrong := func(why string) string { return fmt.Sprintf("GET /users/%d: %d %.120q: %s", id, status, body, why) }
	if !known {
		if status != http.StatusNotFound || !bytes.HasPrefix(body, []byte(`{"error":"`)) || !json.Valid(body) {
			return wrong("want 404 with a JSON error")
		}
		return ""
	}
	if status != http.StatusOK {
		return wrong("want 200")
	}
	if _, err := strconv.ParseFloat(h.Get("X-Timing-MS"), 64); err != nil {
		return wrong("no X-Timing-MS header")
	}
	if h.Get("Server-Timing") == "" {
		return wrong("no Server-Timing header")
	}
	want := seededPrefix(id)
	rest, ok := bytes.CutPrefix(body, want)
	switch {
	case ok && (string(rest) == "}" || string(rest) == "}\n"):
		return ""
	case ok && bytes.HasPrefix(rest, []byte(`,"extras":`)) && json.Valid(body):
		return ""
	case !json.Valid(body):
		return wrong("body is not JSON")
	}
	return wrong(fmt.Sprintf("want %+v", server.SeedUser(id)))
}

// ExtrasOf returns the keys under "extras" of a page's body, in no
// order; none for a page without extras or that is not JSON.
func ExtrasOf(body []byte) []string {
	i := bytes.Index(body, []byte(`"extras":`))
	if i < 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body[i+len(`"extras":`):]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		k, ok := t.(string)
		if err != nil || !ok {
			return keys
		}
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

// seeded holds, by id, the start of the JSON body of each seeded user:
// every field, without the closing brace. A load asks for the same ids
// again and again.
var seeded sync.Map

func seededPrefix(id int64) []byte {
	if b, ok := seeded.Load(id); ok {
		return b.([]byte)
	}
	b, _ := json.Marshal(server.SeedUser(id)) // a struct of strings and numbers always marshals
	b = b[:len(b)-1]
	seeded.Store(id, b)
	return b
}
