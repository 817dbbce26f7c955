package judges

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/units"
)

// phase starts the program once more with args, into the folder name of
// the run's captures, runs each of before, loads it for d as opt says
// (no load when d is 0), runs after, and stops it.
func phase(ctx context.Context, r Run, name string, args []string, opt load.BodyCheckOptions, d time.Duration, after func(context.Context, *proc.Program) error, before ...func(context.Context, *proc.Program) error) (load.BodyCheck, error) {
	p, err := proc.Start(ctx, r.W, r.Bin, filepath.Join(r.Dir, name), args...)
	if err != nil {
		return load.BodyCheck{}, err
	}
	stopped := false
	defer func() {
		if !stopped { // given up on: an error, or the check interrupted
			p.Kill()
		}
	}()
	var res load.BodyCheck
	for _, f := range before {
		if err := f(ctx, p); err != nil {
			return res, err
		}
	}
	if d > 0 {
		fmt.Fprintf(r.W, "   load: %d requests in flight for %s, every answer's body checked; mix: %s\n", opt.Concurrency, d, opt.Mix)
		lctx, cancel := context.WithTimeout(ctx, d)
		opt.BaseURL = p.App
		res = load.CheckBodies(lctx, opt)
		cancel()
		fmt.Fprintf(r.W, "   %d answers, %.0f req/s, p50 %.1f ms\n", res.Checked, res.RPS(), 1000*res.P50)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if after != nil {
		if err := after(ctx, p); err != nil {
			return res, err
		}
	}
	stopped = true
	return res, p.Stop() // an error when the program had exited, with its log
}

// onePage asks base for user id's page, and hands its body, with the time
// it was sent, to inspect (when set); any answer but a 200 is an error.
func onePage(ctx context.Context, base string, id int64, inspect func(id int64, body []byte, sent time.Time)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/users/%d", base, id), nil)
	if err != nil {
		return err
	}
	sent := time.Now()
	resp, err := pageClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", req.URL, resp.Status, body)
	}
	if inspect != nil {
		inspect(id, body, sent)
	}
	return nil
}

var pageClient = &http.Client{Timeout: time.Minute}

// asOf finds the as_of time of the first extra of a page that has one.
func asOf(body []byte) (time.Time, bool) {
	var page struct {
		Extras map[string]json.RawMessage `json:"extras"`
	}
	if json.Unmarshal(body, &page) != nil {
		return time.Time{}, false
	}
	for _, raw := range page.Extras {
		var e struct {
			AsOf time.Time `json:"as_of"`
		}
		if json.Unmarshal(raw, &e) == nil && !e.AsOf.IsZero() {
			return e.AsOf, true
		}
	}
	return time.Time{}, false
}

// atomicMax keeps the largest duration added to it, from any goroutine.
type atomicMax struct{ ns atomic.Int64 }

func newAtomicMax() *atomicMax {
	m := new(atomicMax)
	m.ns.Store(math.MinInt64)
	return m
}

func (m *atomicMax) add(d time.Duration) {
	for {
		old := m.ns.Load()
		if int64(d) <= old || m.ns.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// get returns the largest duration added, and false when none was.
func (m *atomicMax) get() (time.Duration, bool) {
	ns := m.ns.Load()
	return time.Duration(ns), ns != math.MinInt64
}

func ms(s float64) string        { return fmt.Sprintf("%.1f ms", 1000*s) }
func mib(b float64) string       { return units.MiB(b) }
func thousands(v float64) string { return units.Thousands(v) }
