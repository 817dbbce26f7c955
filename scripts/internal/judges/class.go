package judges

import (
	"context"
	"fmt"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/harness"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// The judges of a bottleneck's class, read from the program's own numbers
// at /debug/vars before and after the main load, and their bounds.
var (
	// ReuseMax is the most new connections per 1,000 requests that the
	// downstream may accept: a pool that keeps one per request in flight
	// opens 50 in a load of tens of thousands.
	ReuseMax = 25.0
	// QueriesMax is the most queries to the shop's database a page may
	// make on average; a page may also wait for a pooled connection up to
	// twice the solution's wait, or PoolWaitMin, whichever is more.
	QueriesMax  = 2.0
	PoolWaitMin = 0.5 // ms
	// AllocsMax is how many times the solution's heap bytes and objects a
	// request may allocate, and the GC's share of the CPU; below
	// GCShareMin that share is no matter.
	AllocsMax  = 2.0
	GCShareMin = 0.10
	// LeaksSettle is how long the load's goroutines get to end; then at
	// most LeaksLeftMax more may be left than the solution leaves (its
	// pools' idle connections keep goroutines of their own), and the
	// goroutine leak profile must be empty.
	LeaksSettle  = time.Second
	LeaksLeftMax = 100.0
)

// Reuse judges the connections a downstream accepts per request: a bottleneck's class.
var Reuse = &Judge{
	Name: "reuse", Class: true,
	Doc: func() string {
		return fmt.Sprintf("the downstream service accepts at most %.0f new connections per 1,000 requests (downstream_conns_total)", ReuseMax)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		s.ConnsPer1000 = 1000 * r.M.Vars.PerRequest("downstream_conns_total")
		return nil
	},
	Rows: func(string) []Row {
		return []Row{{Label: "new connections per 1,000 requests", Bound: fmt.Sprintf("a fix stays under %.0f", ReuseMax), Cell: func(s report.CheckSide) string { return fmt.Sprintf("%.1f", s.ConnsPer1000) }}}
	},
	Verdict: func(c Case) []string {
		y := c.Yours
		if y.ConnsPer1000 <= ReuseMax {
			return nil
		}
		got, bound := Apart(y.ConnsPer1000, ReuseMax, 0)
		return []string{fmt.Sprintf("the downstream service accepted %s new connections per 1,000 requests of yours (the solution: %.1f; a fix stays under %s): nearly every call pays a TCP and a TLS handshake, and leaves a socket in TIME_WAIT. Next: ss -tan state time-wait | wc -l while make exercise-%d runs, and read how your client keeps connections (net/http.Transport)",
			got, c.Solution.ConnsPer1000, bound, c.Exercise)}
	},
}

// Queries judges the queries a page makes and its wait for the pool: a bottleneck's class.
var Queries = &Judge{
	Name: "queries", Class: true,
	Doc: func() string {
		return fmt.Sprintf("a page makes at most %.0f queries to the shop's database on average (shop_queries_total over pages_total), and waits for a pooled connection at most twice the solution's wait, or %.1f ms (shop_wait_seconds_total)", QueriesMax, PoolWaitMin)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		v := r.M.Vars
		if pages := v.Delta("pages_total"); pages > 0 {
			s.QueriesPerPage = v.Delta("shop_queries_total") / pages
			s.PoolWaitMS = 1000 * v.Delta("shop_wait_seconds_total") / pages
		}
		return nil
	},
	Rows: func(string) []Row {
		return []Row{
			{Label: "queries per page", Bound: fmt.Sprintf("a fix makes at most %.0f", QueriesMax), Cell: func(s report.CheckSide) string { return fmt.Sprintf("%.2f", s.QueriesPerPage) }},
			{Label: "pool wait per page", Bound: fmt.Sprintf("a fix: twice the solution's, or %.1f ms, at most", PoolWaitMin), Cell: func(s report.CheckSide) string { return fmt.Sprintf("%.2f ms", s.PoolWaitMS) }},
		}
	},
	Verdict: func(c Case) []string {
		y, s := c.Yours, c.Solution
		var out []string
		if y.QueriesPerPage > QueriesMax {
			got, bound := Apart(y.QueriesPerPage, QueriesMax, 1)
			out = append(out, fmt.Sprintf("a page of yours made %s queries to the shop's database on average (the solution: %.1f; a fix makes at most %s): each holds a pooled connection for the database's time. Next: count the queries that one page makes (the trace's regions, or the driver's shop_queries_total at /debug/vars)",
				got, s.QueriesPerPage, bound))
		}
		if lim := max(2*s.PoolWaitMS, PoolWaitMin); y.PoolWaitMS > lim {
			got, bound := Apart(y.PoolWaitMS, lim, 2)
			out = append(out, fmt.Sprintf("a page of yours waited %s ms on average for one of the pool's connections to the shop's database (the solution: %.2f ms; a fix waits at most %s ms): the pool is starved. Next: curl the debug listener's /debug/vars during a load (shop_wait_seconds_total, shop_in_use), and ask how long a page holds its connection",
				got, s.PoolWaitMS, bound))
		}
		return out
	},
}

// Allocs judges what a request allocates and the GC's share of the CPU: a bottleneck's class.
var Allocs = &Judge{
	Name: "allocs", Class: true,
	Doc: func() string {
		return fmt.Sprintf("a request allocates at most ×%.0f of the solution's heap bytes and objects (heap_alloc_bytes_total, heap_alloc_objects_total per request), and the GC's share of the CPU the program used stays within ×%.0f of the solution's, or %.0f%%", AllocsMax, AllocsMax, 100*GCShareMin)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		v := r.M.Vars
		s.AllocBytes, s.AllocObjects = v.PerRequest("heap_alloc_bytes_total"), v.PerRequest("heap_alloc_objects_total")
		s.GCShare = v.GCShare()
		return nil
	},
	Rows: func(string) []Row {
		return []Row{
			{Label: "heap bytes per request", Bound: fmt.Sprintf("a fix: ×%.0f of the solution's at most", AllocsMax), Cell: func(s report.CheckSide) string { return thousands(s.AllocBytes) }},
			{Label: "heap objects per request", Bound: fmt.Sprintf("a fix: ×%.0f of the solution's at most", AllocsMax), Cell: func(s report.CheckSide) string { return thousands(s.AllocObjects) }},
			{Label: "GC share of CPU used", Bound: fmt.Sprintf("a fix: ×%.0f of the solution's, or %.0f%%, at most", AllocsMax, 100*GCShareMin), Cell: func(s report.CheckSide) string { return fmt.Sprintf("%.0f%%", 100*s.GCShare) }},
		}
	},
	Verdict: func(c Case) []string {
		y, s := c.Yours, c.Solution
		var out []string
		if y.AllocBytes > AllocsMax*s.AllocBytes || y.AllocObjects > AllocsMax*s.AllocObjects {
			out = append(out, fmt.Sprintf("a request of yours allocates %.0f bytes in %.0f objects on the heap, against the solution's %.0f bytes in %.0f objects (a fix allocates at most ×%.0f of either): every byte allocated is work for the garbage collector. Next: go tool pprof -sample_index=alloc_space -top %s/allocs.pprof",
				y.AllocBytes, y.AllocObjects, s.AllocBytes, s.AllocObjects, AllocsMax, y.Captures))
		}
		if lim := max(AllocsMax*s.GCShare, GCShareMin); y.GCShare > lim {
			got, bound := Apart(100*y.GCShare, 100*lim, 0)
			out = append(out, fmt.Sprintf("the garbage collector used %s%% of your program's CPU (the solution's: %.0f%%; a fix stays under %s%%). Next: GODEBUG=gctrace=1, and the allocation profile",
				got, 100*s.GCShare, bound))
		}
		return out
	},
}

// Leaks judges the goroutines a load leaves behind: a bottleneck's class.
var Leaks = &Judge{
	Name: "leaks", Class: true,
	Doc: func() string {
		return fmt.Sprintf("%s after the load, the program has at most %.0f goroutines more than before it beyond what the solution has left, and its goroutine leak profile is empty", LeaksSettle, LeaksLeftMax)
	},
	Prepare: func(o *harness.LoadOptions) { o.Settle, o.Leaks = LeaksSettle, true }, // what the load left behind
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		if v := r.M.Vars; v.After != nil {
			s.GoroutinesBefore, s.GoroutinesAfter = v.Before.Get("goroutines"), v.After.Get("goroutines")
		}
		s.Leaked = r.M.Leaked
		return nil
	},
	Rows: func(string) []Row {
		return []Row{
			{Label: "goroutines before / " + LeaksSettle.String() + " after the load", Bound: fmt.Sprintf("a fix: the solution's + %.0f at most", LeaksLeftMax), Cell: func(s report.CheckSide) string {
				return thousands(s.GoroutinesBefore) + " / " + thousands(s.GoroutinesAfter)
			}},
			{Label: "goroutines in the leak profile", Bound: "a fix leaves none", Cell: func(s report.CheckSide) string { return thousands(float64(s.Leaked)) }},
		}
	},
	Verdict: func(c Case) []string {
		y, s := c.Yours, c.Solution
		if left := y.GoroutinesAfter - y.GoroutinesBefore; left <= s.GoroutinesAfter-s.GoroutinesBefore+LeaksLeftMax && y.Leaked == 0 {
			return nil
		}
		return []string{fmt.Sprintf("%s after the load ended, your program had %.0f goroutines against %.0f before it (the solution: %.0f, then %.0f), and its goroutine leak profile shows %d blocked forever: every request leaves goroutines behind. Next: go tool pprof -top %s/goroutineleak.pprof, or curl -s 'localhost:6060/debug/pprof/goroutineleak?debug=1' while make exercise-%d runs",
			LeaksSettle, y.GoroutinesAfter, y.GoroutinesBefore, s.GoroutinesBefore, s.GoroutinesAfter, y.Leaked, y.Captures, c.Exercise)}
	},
}
