package judges

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/harness"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/report"
	"github.com/slowpath/slowpath/scripts/internal/units"
)

// The judges of an exercise's promises, and their bounds.
var (
	// FreshValidity is the validity the fresh judge runs the program
	// with: short enough for a value kept longer to show within its
	// load of FreshLoad. FreshSlack is how much older than that a page's
	// extra may be, counted from when the page was asked for: the
	// dependency's own answer time (the fraud service's 50 ms) and a busy
	// machine's timers.
	FreshValidity = time.Second
	FreshSlack    = 150 * time.Millisecond
	FreshLoad     = 2 * time.Second
	// CurrentSlack is how much older than the page itself a page's extra
	// may be, counted from when the page was asked for: two clocks of one
	// machine read by two processes. CurrentLoad is its load, and
	// CurrentPairs the pages it then asks for two at a time, one user
	// twice in a row, so that a value kept for any time longer than the
	// slack shows, whatever the load met.
	CurrentSlack = 10 * time.Millisecond
	CurrentLoad  = 2 * time.Second
	CurrentPairs = 20
	// BoundedKeep is the memory budget the bounded judge runs the
	// program with, in users; its load asks for BoundedUsers users in
	// turn, BoundedConcurrency at a time, for BoundedLoad: a program that
	// keeps the budget has let each user go before it comes round again,
	// one that keeps about BoundedUsers - BoundedConcurrency or more
	// serves them from memory. BoundedFaster is how much faster than the
	// solution's its median may be before it counts as served from
	// memory.
	BoundedKeep        = 100
	BoundedUsers       = 125
	BoundedConcurrency = 8
	BoundedLoad        = 2 * time.Second
	BoundedFaster      = 0.5
	// KeptLoad is the kept judge's load over every user in turn; KeptMax
	// how many more bytes than the solution's the program's live heap may
	// grow by over it, measured after a forced GC before and after.
	KeptLoad = 3 * time.Second
	KeptMax  = float64(4 << 20)
	// BrokenFor is how long the broken judge asks for pages, one at a
	// time, while the program's file is broken.
	BrokenFor = 2 * time.Second
	// ReadsUsers is how many users the reads judge asks for, each twice
	// in a row, one page at a time, reading the program's count of
	// queries after each page.
	ReadsUsers = 20
)

// Extras judges that every page carries the parts of the page that the solution's pages carry.
var Extras = &Judge{
	Name: "extras", Always: true,
	Doc: func() string {
		return "every page of the main load carries each extra (a key under extras) that every page of the solution carries: a fix that gives up on a part of the page under load fails"
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		s.Pages, s.Extras = r.M.Load.OK, r.M.Load.Extras
		return nil
	},
	Rows: func(string) []Row {
		return []Row{{Label: "extras on every page", Bound: "a fix: the solution's", Cell: func(s report.CheckSide) string {
			var keys []string
			for k, n := range s.Extras {
				if n == s.Pages {
					keys = append(keys, k)
				} else {
					keys = append(keys, fmt.Sprintf("%s on %.1f%%", k, 100*float64(n)/float64(max(s.Pages, 1))))
				}
			}
			if len(keys) == 0 {
				return "none"
			}
			slices.Sort(keys)
			return strings.Join(keys, ", ")
		}}}
	},
	Verdict: func(c Case) []string {
		y, s := c.Yours, c.Solution
		var out []string
		for _, k := range slices.Sorted(maps.Keys(s.Extras)) {
			if s.Extras[k] < s.Pages || y.Extras[k] >= y.Pages {
				continue
			}
			out = append(out, fmt.Sprintf("%d of %d pages of yours came without the extra %q, which every page of the solution carries: under load your program gives up a part of the page that the feature promises. Next: read %s/server.log, and what your step does when it runs out of time",
				y.Pages-y.Extras[k], y.Pages, k, y.Captures))
		}
		return out
	},
}

// Fsync judges that the program still makes its writes durable under load.
var Fsync = &Judge{
	Name: "fsync",
	Doc: func() string {
		return "the program still syncs under load: the execution trace's system calls show fsync or fdatasync below main"
	},
	Prepare: func(o *harness.LoadOptions) { // a trace after the captures, still under load
		o.Duration = max(o.Duration, 3500*time.Millisecond) // a second of captures, then the trace
		o.Capture, o.Trace = max(o.Duration-3*time.Second, time.Second), 500*time.Millisecond
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		sys, err := captures.SyscallProfile(ctx, r.W, r.M.Trace)
		if err != nil {
			return err
		}
		s.Syncs = captures.CountCalls(sys, syncCalls, mainCode)
		return nil
	},
	Rows: func(string) []Row {
		return []Row{{Label: "fsync calls in the trace", Bound: "a fix makes some", Cell: func(s report.CheckSide) string { return strconv.FormatInt(s.Syncs, 10) }}}
	},
	Verdict: func(c Case) []string {
		if c.Yours.Syncs > 0 {
			return nil
		}
		return []string{fmt.Sprintf("your program made no fsync or fdatasync call under load (the solution made %d in the same trace): your fix no longer syncs, so a power cut loses lines that were answered. Next: go tool pprof -top -focus=Fsync %s/trace-syscall.pprof",
			c.Solution.Syncs, c.Yours.Captures)}
	},
}

// syncCalls are the system calls that make written data durable; mainCode
// the program's own frames, above them.
var (
	syncCalls = regexp.MustCompile(`^syscall\.(Fsync|Fdatasync)$`)
	mainCode  = regexp.MustCompile(`^main\.`)
)

// Lines judges that a graceful shutdown under load loses no answered request's line.
var Lines = &Judge{
	Name: "lines", Takes: "FILE",
	Doc: func() string {
		return "after a graceful shutdown under load, FILE in the program's folder holds a line for every request the load got an answer to"
	},
	Prepare: func(o *harness.LoadOptions) { o.StopUnderLoad = true }, // requests in flight at the shutdown
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		b, err := os.ReadFile(filepath.Join(r.Dir, r.Arg))
		if err != nil {
			return fmt.Errorf("the program's %s: %w", r.Arg, err)
		}
		s.Lines = bytes.Count(b, []byte("\n"))
		return nil
	},
	Rows: func(arg string) []Row {
		return []Row{{Label: arg + " lines / answers", Bound: "a fix: a line for every answer", Cell: func(s report.CheckSide) string { return fmt.Sprintf("%d / %d", s.Lines, s.Answered) }}}
	},
	Verdict: func(c Case) []string {
		y := c.Yours
		if y.Lines >= y.Answered {
			return nil
		}
		return []string{fmt.Sprintf("after the graceful shutdown, %s holds %d lines for the %d requests the load got an answer to: %d answered requests left no line. Does Close wait until every line is written? Next: read %s/%s against the answers",
			c.Arg, y.Lines, y.Answered, y.Answered-y.Lines, y.Captures, c.Arg)}
	},
}

// ageRow is the row of the fresh and current judges.
func ageRow(bound string) []Row {
	return []Row{{Label: "oldest extra, from the page's request", Bound: bound, Cell: func(s report.CheckSide) string {
		if !s.AgeMeasured {
			return "not measured"
		}
		return units.MS(max(s.Age, 0)) // below 0: asked for after the page was
	}}}
}

// Fresh judges that no page shows a value past the validity its flag sets.
var Fresh = &Judge{
	Name: "fresh", Takes: "-FLAG", Flag: true,
	Doc: func() string {
		return fmt.Sprintf("the program run with its validity flag -FLAG at %s, and loaded for %s: no page shows an extra (its as_of) older than that, plus %s, counted from when the page was asked for; and the program's default for -FLAG is no longer than the solution's",
			FreshValidity, FreshLoad, FreshSlack)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		return measureAge(ctx, r, s, []string{r.Arg, FreshValidity.String()}, FreshLoad, 0)
	},
	Rows: func(string) []Row {
		return ageRow("a fix: " + units.MSD(FreshValidity+FreshSlack) + " at most")
	},
	Verdict: func(c Case) []string {
		if !c.Yours.AgeMeasured || c.Yours.Age <= (FreshValidity+FreshSlack).Seconds() {
			return nil
		}
		return []string{fmt.Sprintf("run with %s %s, your program showed a page whose extra was %.2f s old when the page was asked for (as_of; a fix shows none older than %s, the solution's oldest: %.2f s): pages show what they show after it stopped being valid. Next: what decides how long a kept value is shown?",
			c.Arg, FreshValidity, c.Yours.Age, FreshValidity+FreshSlack, c.Solution.Age)}
	},
	Default: func(flag, yours, solution string) string {
		y, errY := time.ParseDuration(yours)
		s, errS := time.ParseDuration(solution)
		if errY != nil || errS != nil || y > s {
			return fmt.Sprintf("your program's default %s is %s, the solution's %s: run as it ships, its pages show what they show longer after it stopped being valid than the feature promises", flag, yours, solution)
		}
		return ""
	},
}

// Current judges that no page shows a value kept from an earlier page.
var Current = &Judge{
	Name: "current",
	Doc: func() string {
		return fmt.Sprintf("no page shows an extra (its as_of) older than the page's own request, with %s of slack: under a load of %s, then %d pairs of pages of one user in a row, so that a value kept from an earlier page for longer than the slack shows",
			CurrentSlack, CurrentLoad, CurrentPairs)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		return measureAge(ctx, r, s, nil, CurrentLoad, CurrentPairs)
	},
	Rows: func(string) []Row { return ageRow("a fix: " + units.MSD(CurrentSlack) + " at most") },
	Verdict: func(c Case) []string {
		if !c.Yours.AgeMeasured || c.Yours.Age <= CurrentSlack.Seconds() {
			return nil
		}
		return []string{fmt.Sprintf("a page of yours showed an extra that was %.3f s old when the page was asked for (as_of; a fix shows none older than %s, the solution's oldest: %.3f s): it showed a value kept from an earlier request, which the feature promises never to do. Next: what does a page show when it does not ask?",
			c.Yours.Age, CurrentSlack, c.Solution.Age)}
	},
}

// measureAge starts the program with args, loads it for d with the
// standard mix, then asks for pairs pairs of pages of one user in a row,
// and keeps in s the oldest extra any page showed, from its request.
func measureAge(ctx context.Context, r Run, s *report.CheckSide, args []string, d time.Duration, pairs int) error {
	oldest := newAtomicMax()
	inspect := func(id int64, body []byte, sent time.Time) {
		if at, ok := asOf(body); ok {
			oldest.add(sent.Sub(at))
		}
	}
	res, err := phase(ctx, r, "age", args, load.BodyCheckOptions{Mix: load.StandardMix(), Concurrency: r.Concurrency, Inspect: inspect}, d,
		func(ctx context.Context, p *proc.Program) error {
			if pairs == 0 {
				return nil
			}
			fmt.Fprintf(r.W, "   then %d pairs of pages, one user twice in a row each, one page at a time\n", pairs)
			step := load.StandardMix().Users / int64(pairs)
			for i := range pairs {
				for range 2 {
					if err := onePage(ctx, p.App, 1+int64(i)*step, inspect); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	age, ok := oldest.get()
	if !ok {
		return fmt.Errorf("none of the %d pages of the judge's load showed an extra with an as_of", res.Checked)
	}
	s.Age, s.AgeMeasured = age.Seconds(), true
	s.Checked, s.Wrong = s.Checked+res.Checked, s.Wrong+res.Wrong+res.TransportErrors
	return nil
}

// Bounded judges that the program keeps no more users in memory than its budget flag allows.
var Bounded = &Judge{
	Name: "bounded", Takes: "-FLAG", Flag: true,
	Doc: func() string {
		return fmt.Sprintf("the program run with its memory budget flag -FLAG at %d users, and loaded with %d users in turn, %d at a time: its median latency is no less than ×%.1f of the solution's, which keeps %d and so lets each user go before it comes round again; and the program's default for -FLAG is no larger than the solution's",
			BoundedKeep, BoundedUsers, BoundedConcurrency, BoundedFaster, BoundedKeep)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		res, err := phase(ctx, r, "bounded", []string{r.Arg, strconv.Itoa(BoundedKeep)}, load.BodyCheckOptions{
			Mix: load.Mix{Users: int64(BoundedUsers), Cycle: true}, Concurrency: BoundedConcurrency,
		}, BoundedLoad, nil)
		if err != nil {
			return err
		}
		s.CycleP50 = res.P50
		s.Checked, s.Wrong = s.Checked+res.Checked, s.Wrong+res.Wrong+res.TransportErrors
		return nil
	},
	Rows: func(string) []Row {
		return []Row{{Label: "p50, users in turn", Bound: fmt.Sprintf("a fix: ×%.1f of the solution's at least", BoundedFaster), Cell: func(s report.CheckSide) string { return ms(s.CycleP50) }}}
	},
	Verdict: func(c Case) []string {
		y, s := c.Yours, c.Solution
		if y.CycleP50 >= BoundedFaster*s.CycleP50 {
			return nil
		}
		return []string{fmt.Sprintf("run with %s %d, under a load over %d users in turn your program answered with a median of %.1f ms against the solution's %.1f ms: it serves from memory more users than %s allows, so its memory grows with the users it sees. Next: bound what it keeps",
			c.Arg, BoundedKeep, BoundedUsers, 1000*y.CycleP50, 1000*s.CycleP50, c.Arg)}
	},
	Default: func(flag, yours, solution string) string {
		y, errY := strconv.ParseInt(yours, 10, 64)
		s, errS := strconv.ParseInt(solution, 10, 64)
		if errY != nil || errS != nil || y > s {
			return fmt.Sprintf("your program's default %s is %s, the solution's %s: run as it ships, it keeps more in memory than the feature's budget allows", flag, yours, solution)
		}
		return ""
	},
}

// Kept judges that the program keeps nothing per user between pages.
var Kept = &Judge{
	Name: "kept",
	Doc: func() string {
		return fmt.Sprintf("the program keeps nothing per user between pages: loaded for %s with every user in turn, its live heap (after a forced GC, before and after the load) grows by at most %s more than the solution's",
			KeptLoad, mib(KeptMax))
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		var before float64
		mix := load.Mix{Users: load.StandardMix().Users, Cycle: true}
		res, err := phase(ctx, r, "kept", nil, load.BodyCheckOptions{Mix: mix, Concurrency: r.Concurrency}, KeptLoad,
			func(ctx context.Context, p *proc.Program) error {
				after, err := liveHeap(ctx, r, p, "after")
				s.KeptBytes = after - before
				return err
			},
			func(ctx context.Context, p *proc.Program) (err error) {
				before, err = liveHeap(ctx, r, p, "before")
				return err
			})
		if err != nil {
			return err
		}
		s.KeptUsers = min(res.Checked, int(mix.Users))
		s.Checked, s.Wrong = s.Checked+res.Checked, s.Wrong+res.Wrong+res.TransportErrors
		return nil
	},
	Rows: func(string) []Row {
		return []Row{{Label: "live heap's growth, every user in turn", Bound: fmt.Sprintf("a fix: the solution's + %s at most", mib(KeptMax)), Cell: func(s report.CheckSide) string {
			if s.KeptUsers == 0 {
				return "not measured"
			}
			return mib(s.KeptBytes)
		}}}
	},
	Verdict: func(c Case) []string {
		y, s := c.Yours, c.Solution
		if y.KeptUsers == 0 || y.KeptBytes <= s.KeptBytes+KeptMax {
			return nil
		}
		return []string{fmt.Sprintf("over a load of %s users in turn, your program's live heap grew by %s, the solution's by %s (a fix: at most %s more): it keeps something for every user it sees, and its memory grows with them. Next: go tool pprof -sample_index=inuse_space -top localhost:6060/debug/pprof/heap while make exercise-%d runs, and read what holds the memory",
			thousands(float64(y.KeptUsers)), mib(y.KeptBytes), mib(s.KeptBytes), mib(KeptMax), c.Exercise)}
	},
}

// liveHeap has the program collect its garbage (the heap profile's
// gc=1, saved as heap-NAME.pprof), then reads its live heap from
// /debug/vars (heap_live_bytes).
func liveHeap(ctx context.Context, r Run, p *proc.Program, name string) (float64, error) {
	dir := filepath.Join(r.Dir, "kept")
	if _, err := proc.Fetch(ctx, r.W, p.Debug+"/debug/pprof/heap?gc=1", filepath.Join(dir, "heap-"+name+".pprof")); err != nil {
		return 0, err
	}
	b, err := proc.Fetch(ctx, r.W, p.Debug+"/debug/vars", filepath.Join(dir, "vars-"+name+".json"))
	if err != nil {
		return 0, err
	}
	v, err := captures.ParseVars(b, "vars-"+name+".json")
	return v.Get("heap_live_bytes"), err
}

// Reads judges that every page reads the shop's database.
var Reads = &Judge{
	Name: "reads",
	Doc: func() string {
		return fmt.Sprintf("every page reads the shop's database: %d users, each asked for twice in a row, one page at a time, and after each page the program's count of queries (shop_queries_total) has grown", ReadsUsers)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		_, err := phase(ctx, r, "reads", nil, load.BodyCheckOptions{}, 0, func(ctx context.Context, p *proc.Program) error {
			fmt.Fprintf(r.W, "   %d users, each twice in a row, one page at a time, the program's count of queries read after each\n", ReadsUsers)
			queries := func() (float64, error) {
				b, err := proc.Fetch(ctx, io.Discard, p.Debug+"/debug/vars", filepath.Join(r.Dir, "reads", "vars.json"))
				if err != nil {
					return 0, err
				}
				v, err := captures.ParseVars(b, "vars.json")
				return v.Get("shop_queries_total"), err
			}
			last, err := queries()
			if err != nil {
				return err
			}
			step := load.StandardMix().Users / int64(ReadsUsers)
			for i := range ReadsUsers {
				for range 2 {
					if err := onePage(ctx, p.App, 1+int64(i)*step, nil); err != nil {
						return err
					}
					now, err := queries()
					if err != nil {
						return err
					}
					s.ReadPages++
					if now <= last {
						s.UnreadPages++
					}
					last = now
				}
			}
			return nil
		})
		return err
	},
	Rows: func(string) []Row {
		return []Row{{Label: "pages in a row without a query", Bound: "a fix: none", Cell: func(s report.CheckSide) string {
			if s.ReadPages == 0 {
				return "not measured"
			}
			return fmt.Sprintf("%d of %d", s.UnreadPages, s.ReadPages)
		}}}
	},
	Verdict: func(c Case) []string {
		y := c.Yours
		if y.UnreadPages == 0 {
			return nil
		}
		return []string{fmt.Sprintf("%d of %d pages asked for one at a time, each user twice in a row, made no query to the shop's database (shop_queries_total did not move): they showed orders read for an earlier page, and the feature promises that every page reads them. Next: send one user's page twice in a row while make exercise-%d runs, reading the count after each: curl -s localhost:8080/users/42 >/dev/null && curl -s localhost:6060/debug/vars | grep shop_queries_total",
			y.UnreadPages, y.ReadPages, c.Exercise)}
	},
}

// Broken judges that a broken file of the program's never breaks a page.
var Broken = &Judge{
	Name: "broken", Takes: "FILE",
	Doc: func() string {
		return fmt.Sprintf("with FILE in the program's folder cut to half its length, as an editor that saves half a file leaves it, every page asked for over %s, one at a time, still answers 200: a broken edit never breaks the service", BrokenFor)
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		_, err := phase(ctx, r, "broken", nil, load.BodyCheckOptions{}, 0, func(ctx context.Context, p *proc.Program) error {
			path := filepath.Join(r.Dir, "broken", r.Arg)
			good, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("the program's %s: %w", r.Arg, err)
			}
			fmt.Fprintf(r.W, "same as: head -c %d %s > half && cat half > %s   (done in this process: the file cut to half its length), then pages one at a time for %s\n", len(good)/2, path, path, BrokenFor)
			if err := os.WriteFile(path, good[:len(good)/2], 0o644); err != nil {
				return err
			}
			defer os.WriteFile(path, good, 0o644)
			for end := time.Now().Add(BrokenFor); time.Now().Before(end); {
				err := onePage(ctx, p.App, 42, nil)
				s.BrokenPages++
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					s.BrokenErrors++
					if s.Example == "" {
						s.Example = err.Error()
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
			return nil
		})
		return err
	},
	Rows: func(arg string) []Row {
		return []Row{{Label: "errors, " + arg + " cut in half", Bound: "a fix: none", Cell: func(s report.CheckSide) string {
			if s.BrokenPages == 0 {
				return "not measured"
			}
			return fmt.Sprintf("%d of %d", s.BrokenErrors, s.BrokenPages)
		}}}
	},
	Verdict: func(c Case) []string {
		y := c.Yours
		if y.BrokenErrors == 0 {
			return nil
		}
		return []string{fmt.Sprintf("with %s cut to half its length, %d of %d pages of yours answered an error: a broken edit must not break the service, which keeps what the last good %s said, and says so in its log. Next: read %s/broken/server.log",
			c.Arg, y.BrokenErrors, y.BrokenPages, c.Arg, y.Captures)}
	},
}

// Quota judges that the shop's database pool keeps to its DBAs' quota.
var Quota = &Judge{
	Name: "quota", Takes: "N",
	Doc: func() string {
		return "the shop's database pool may open at most N connections, the quota its DBAs give the program (shop_max_open at /debug/vars)"
	},
	Measure: func(ctx context.Context, r Run, s *report.CheckSide) error {
		if r.M.Vars.After != nil {
			s.MaxOpen = r.M.Vars.After.Get("shop_max_open")
		}
		return nil
	},
	Rows: func(arg string) []Row {
		return []Row{{Label: "pool's open connections, max", Bound: "a fix: " + arg + " at most", Cell: func(s report.CheckSide) string {
			if s.MaxOpen == 0 {
				return "no limit"
			}
			return fmt.Sprintf("%.0f", s.MaxOpen)
		}}}
	},
	Verdict: func(c Case) []string {
		quota, err := strconv.ParseFloat(c.Arg, 64)
		if err != nil || (c.Yours.MaxOpen > 0 && c.Yours.MaxOpen <= quota) {
			return nil
		}
		if c.Yours.MaxOpen == 0 {
			return []string{fmt.Sprintf("your program's pool to the shop's database has no limit on its open connections (database/sql's 0), and may open far past the %.0f the DBAs allow it. Next: find what holds a connection longer than its query", quota)}
		}
		return []string{fmt.Sprintf("your program lets its pool open %.0f connections to the shop's database, past the %.0f the DBAs allow it: a bigger pool moves the queue into the database server, which every service shares. Next: find what holds a connection longer than its query",
			c.Yours.MaxOpen, quota)}
	},
}
