package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/judges"
	"github.com/slowpath/slowpath/scripts/internal/report"
	"github.com/slowpath/slowpath/scripts/internal/units"
	"github.com/slowpath/slowpath/server"
)

// The patterns the blocks read machine.txt files and READMEs with.
var (
	concurrentRE = regexp.MustCompile(`(\d+) concurrent`) // machine.txt's command: hey's requests in flight
	coresRE      = regexp.MustCompile(`^(\d+) cores`)     // machine.txt's machine
	traceRE      = regexp.MustCompile(`trace (\S+?)\)`)   // machine.txt's command: the trace's length
	codeSpan     = regexp.MustCompile("`[^`]*`")          // a README's inline code, whose "?" asks nothing
	anyFrame     = regexp.MustCompile(`.`)                // every sample of a profile
)

const (
	beginPrefix = "<!-- make docs: "
	beginSuffix = " -->"
	endLine     = "<!-- end make docs -->"
)

// generator writes blocks from the committed files under root, reading
// each file once.
type generator struct {
	ctx      context.Context
	root     string
	captures map[string]*capture
	syscalls map[string][]count
}

func newGenerator(ctx context.Context, root string) *generator {
	return &generator{ctx: ctx, root: root, captures: map[string]*capture{}, syscalls: map[string][]count{}}
}

// Rewrite returns content with each block rewritten, and the blocks that
// changed.
func (g *generator) Rewrite(file string, content []byte) ([]byte, []string, error) {
	lines := strings.SplitAfter(string(content), "\n")
	var out strings.Builder
	var changed []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out.WriteString(line)
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, beginPrefix) || !strings.HasSuffix(trimmed, beginSuffix) {
			continue
		}
		spec := strings.TrimSuffix(strings.TrimPrefix(trimmed, beginPrefix), beginSuffix)
		end := -1
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == endLine {
				end = j
				break
			}
			if strings.HasPrefix(strings.TrimSpace(lines[j]), beginPrefix) {
				break
			}
		}
		if end < 0 {
			return nil, nil, fmt.Errorf("line %d: block %q has no %s line", i+1, spec, endLine)
		}
		body, err := g.Block(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: block %q: %w", i+1, spec, err)
		}
		if old := strings.Join(lines[i+1:end], ""); old != body {
			changed = append(changed, spec)
		}
		out.WriteString(body)
		out.WriteString(lines[end])
		i = end
	}
	return []byte(out.String()), changed, nil
}

// Block writes the body of the block spec, ending in a newline.
func (g *generator) Block(spec string) (string, error) {
	f := strings.Fields(spec)
	if len(f) == 0 || len(f) > 2 {
		return "", fmt.Errorf("want KIND or KIND N")
	}
	n := -1
	if len(f) == 2 {
		var err error
		if n, err = strconv.Atoi(f[1]); err != nil {
			return "", fmt.Errorf("%q is not an exercise number", f[1])
		}
	}
	exs, err := catalog.Read(g.root)
	if err != nil {
		return "", err
	}
	var ex catalog.Exercise
	if n >= 0 {
		if ex, err = find(exs, n); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	switch {
	case f[0] == "captures" && n >= 1:
		err = g.capturesBlock(&b, ex)
	case f[0] == "baseline" && n < 0:
		base, _ := find(exs, 0)
		err = g.baselineBlock(&b, base)
	case f[0] == "check" && n >= 1:
		err = g.checkBlock(&b, ex)
	case f[0] == "checks" && n < 0:
		err = g.checksBlock(&b, exs)
	case f[0] == "bench" && n < 0:
		err = g.benchTable(&b)
	case f[0] == "bench" && n >= 0:
		err = g.benchBlock(&b, ex)
	case f[0] == "symptom" && n >= 1:
		err = g.symptomBlock(&b, ex)
	case f[0] == "agenda" && n < 0:
		err = g.agendaBlock(&b, exs)
	case f[0] == "gobench" && n < 0:
		err = g.goBenchBlock(&b)
	case f[0] == "judges" && n < 0:
		err = judgesBlock(&b, exs)
	case f[0] == "judged" && n >= 1:
		err = judgedBlock(&b, ex)
	default:
		return "", fmt.Errorf("unknown kind %q (captures N, baseline, symptom N, check N, checks, bench, bench N, gobench, agenda, judges, judged N)", spec)
	}
	return b.String(), err
}

func find(exs []catalog.Exercise, n int) (catalog.Exercise, error) {
	for _, e := range exs {
		if e.Number == n {
			return e, nil
		}
	}
	return catalog.Exercise{}, fmt.Errorf("no exercise %d in %s", n, catalog.CatalogFile)
}

// capture is what one committed folder of reference captures says.
type capture struct {
	dir     string
	summary report.Summary
	wall    *profile.Profile
	cpu     *profile.Profile
	machine map[string]string
}

func (g *generator) capture(dir string) (*capture, error) {
	if c, ok := g.captures[dir]; ok {
		return c, nil
	}
	c := &capture{dir: dir}
	var err error
	if c.machine, err = readMachine(filepath.Join(g.root, dir, "machine.txt")); err != nil {
		return nil, err
	}
	conc := 100
	if m := concurrentRE.FindStringSubmatch(c.machine["command"]); m != nil {
		conc, _ = strconv.Atoi(m[1])
	}
	if c.summary, err = report.Summarize(io.Discard, filepath.Join(g.root, dir), dir, conc); err != nil {
		return nil, err
	}
	if c.wall, err = captures.ReadProfile(filepath.Join(g.root, dir, "fgprof.pprof")); err != nil {
		return nil, err
	}
	if c.cpu, err = captures.ReadProfile(filepath.Join(g.root, dir, "cpu.pprof")); err != nil {
		return nil, err
	}
	g.captures[dir] = c
	return c, nil
}

// readMachine reads a machine.txt: "key: value" lines.
func readMachine(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m, nil
}

// made says where files were made, from their machine.txt.
func made(m map[string]string) string {
	return fmt.Sprintf("commit %s, %s, %s, %s", m["commit"], m["date"], m["machine"], m["go"])
}

// count is one system call's count in a trace, and the time its calls
// took.
type count struct {
	name string
	n    int64
	ns   int64
}

// syscallCounts counts the system calls of a committed trace by the
// function that made them, as go tool trace -pprof=syscall and then
// go tool pprof -sample_index=0 -top say it.
func (g *generator) syscallCounts(trace string) ([]count, error) {
	if c, ok := g.syscalls[trace]; ok {
		return c, nil
	}
	cmd := exec.CommandContext(g.ctx, "go", "tool", "trace", "-pprof=syscall", filepath.Join(g.root, trace))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go tool trace -pprof=syscall %s: %v: %s", trace, err, strings.TrimSpace(stderr.String()))
	}
	p, err := profile.ParseData(b)
	if err != nil {
		return nil, err
	}
	by := map[string]*count{}
	for _, s := range p.Sample {
		if len(s.Location) == 0 || len(s.Location[0].Line) == 0 || len(s.Value) < 2 {
			continue
		}
		name := strings.TrimPrefix(s.Location[0].Line[0].Function.Name, "syscall.")
		if by[name] == nil {
			by[name] = &count{name: name}
		}
		by[name].n += s.Value[0]
		by[name].ns += s.Value[1]
	}
	var out []count
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].name < out[j].name
	})
	g.syscalls[trace] = out
	return out, nil
}

// capturesBlock is the table of exercise e's reference captures against
// its solution's.
func (g *generator) capturesBlock(b *strings.Builder, e catalog.Exercise) error {
	exDir, solDir := filepath.Join("profiles", e.Name(), "exercise"), filepath.Join("profiles", e.Name(), "solution")
	x, err := g.capture(exDir)
	if err != nil {
		return err
	}
	s, err := g.capture(solDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "From the reference captures, `%s/` and `%s/` (`make profiles`; exercise: %s; solution: %s); the last column names each row's file. %s\n\n",
		exDir, solDir, made(x.machine), made(s.machine), syscallNote)
	fmt.Fprintf(b, "|  | exercise | solution | from |\n|---|---:|---:|---|\n")
	rows, err := g.captureRows(e, x, s)
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r[0], r[1], r[2], r[3])
	}
	return nil
}

// baselineBlock is the table of exercise 0's reference captures.
func (g *generator) baselineBlock(b *strings.Builder, e catalog.Exercise) error {
	dir := filepath.Join("profiles", e.Name(), "exercise")
	x, err := g.capture(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "From the reference captures, `%s/` (`make profiles`; %s); the last column names each row's file. %s\n\n", dir, made(x.machine), syscallNote)
	fmt.Fprintf(b, "|  | exercise 0 | from |\n|---|---:|---|\n")
	rows, err := g.captureRows(e, x)
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s |\n", r[0], r[1], r[2])
	}
	return nil
}

// captureRows gives the rows of a captures table: a label, one cell per
// capture, and the file.
func (g *generator) captureRows(e catalog.Exercise, cs ...*capture) ([][]string, error) {
	var rows [][]string
	row := func(label, from string, cell func(c *capture) string) {
		r := []string{label}
		for _, c := range cs {
			r = append(r, cell(c))
		}
		rows = append(rows, append(r, from))
	}
	row(fmt.Sprintf("throughput, hey, %d in flight on one URL", cs[0].summary.Concurrency), "`hey.txt`", func(c *capture) string {
		return units.Thousands(c.summary.Hey.RPS) + " req/s"
	})
	row("latency p50 / p99, hey", "`hey.txt`", func(c *capture) string {
		return fmt.Sprintf("%.1f / %.1f ms", 1000*c.summary.Hey.Percentiles[50], 1000*c.summary.Hey.Percentiles[99])
	})
	open := false
	for _, c := range cs {
		open = open || c.summary.OpenLoop != nil
	}
	if open {
		row("open loop after it: rate, then p50 / p99 / p99.9 from each request's due time", "`openloop.json`", func(c *capture) string {
			o := c.summary.OpenLoop
			if o == nil {
				return "-"
			}
			return fmt.Sprintf("%.0f req/s: %.1f / %.1f / %.1f ms", o.Rate, 1000*o.P50, 1000*o.P99, 1000*o.P999)
		})
		row("flight-recorder snapshots", "`flight-*.trace`", func(c *capture) string {
			files, _ := filepath.Glob(filepath.Join(g.root, c.dir, "flight-*.trace"))
			if len(files) == 0 {
				return "none"
			}
			var names []string
			for _, f := range files {
				names = append(names, "`"+filepath.Base(f)+"`")
			}
			return strings.Join(names, ", ")
		})
	}
	row("answers checked beside it (the standard mix): wrong", "`bodies.json`", func(c *capture) string {
		return fmt.Sprintf("%d of %s", c.summary.Bodies.Wrong+c.summary.Bodies.TransportErrors, units.Thousands(float64(c.summary.Bodies.Checked)))
	})
	row("requests inside the handler, on average", "`fgprof.pprof` (handler seconds / seconds captured)", func(c *capture) string {
		inside := float64(c.summary.Wall.Focused) / float64(c.wall.DurationNanos)
		return fmt.Sprintf("%.1f of %d", inside, c.summary.Concurrency+c.summary.Bodies.Concurrency)
	})
	hasVars, hasLeaks, hasConns, hasShop := false, false, false, false
	for _, c := range cs {
		if v := c.summary.Vars; v != nil {
			hasVars = true
			hasConns = hasConns || v.After.Has("downstream_conns_total")
			hasShop = hasShop || v.After.Has("shop_queries_total")
		}
		hasLeaks = hasLeaks || c.summary.Leaked >= 0
	}
	vars := func(cell func(v captures.VarsChange) string) func(c *capture) string {
		return func(c *capture) string {
			if c.summary.Vars == nil {
				return "-"
			}
			return cell(*c.summary.Vars)
		}
	}
	const varsFiles = "`vars-before.json`, `vars-after.json`"
	if hasConns {
		row("new connections to the downstream, per 1,000 requests", varsFiles+" (`downstream_conns_total` over `requests_total`)", vars(func(v captures.VarsChange) string {
			return fmt.Sprintf("%.1f", 1000*v.PerRequest("downstream_conns_total"))
		}))
	}
	if hasShop {
		row("queries to the shop's database per page; its pool's wait per page", varsFiles+" (`shop_queries_total`, `shop_wait_seconds_total` over `pages_total`)", vars(func(v captures.VarsChange) string {
			pages := v.Delta("pages_total")
			if pages <= 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f; %.2f ms", v.Delta("shop_queries_total")/pages, 1000*v.Delta("shop_wait_seconds_total")/pages)
		}))
	}
	if hasVars {
		row("the users store's pool: wait per request", varsFiles+" (`db_wait_seconds_total` over `requests_total`)", vars(func(v captures.VarsChange) string {
			return fmt.Sprintf("%.2f ms", 1000*v.PerRequest("db_wait_seconds_total"))
		}))
		row("CPU left idle during the load, of what the cores could give", varsFiles+" (`cpu_idle_seconds_total` over `cpu_seconds_total`)", vars(func(v captures.VarsChange) string {
			if v.Delta("cpu_seconds_total") <= 0 {
				return "-"
			}
			return fmt.Sprintf("%.0f%%", 100*v.Delta("cpu_idle_seconds_total")/v.Delta("cpu_seconds_total"))
		}))
		row("heap allocated per request: bytes / objects", varsFiles+" (`heap_alloc_bytes_total`, `heap_alloc_objects_total` over `requests_total`)", vars(func(v captures.VarsChange) string {
			return fmt.Sprintf("%s B / %.0f", units.Thousands(v.PerRequest("heap_alloc_bytes_total")), v.PerRequest("heap_alloc_objects_total"))
		}))
		row("the GC's share of the CPU the program used", varsFiles+" (`gc_cpu_seconds_total`)", vars(func(v captures.VarsChange) string {
			return fmt.Sprintf("%.0f%%", 100*v.GCShare())
		}))
		row("goroutines before the load / a second after it", varsFiles+" (`goroutines`)", vars(func(v captures.VarsChange) string {
			return fmt.Sprintf("%s / %s", units.Thousands(v.Before.Get("goroutines")), units.Thousands(v.After.Get("goroutines")))
		}))
	}
	if hasLeaks {
		row("goroutines the leak profile finds blocked forever, a second after the load", "`goroutineleak.pprof`", func(c *capture) string {
			if c.summary.Leaked < 0 {
				return "-"
			}
			return units.Thousands(float64(c.summary.Leaked))
		})
	}
	row("CPU the process used, of what the cores could give", "`cpu.pprof` (`go tool pprof -top`: Duration, Total samples)", func(c *capture) string {
		used := float64(c.summary.CPU.Total) / 1e9
		d := float64(c.cpu.DurationNanos) / 1e9
		return fmt.Sprintf("%.2f s in %.1f s: %.0f%% of %s", used, d, 100*used/(d*float64(cores(c))), coresText(c))
	})
	row("the handler's share of the process's CPU samples", "`cpu.pprof`", func(c *capture) string {
		return fmt.Sprintf("%.0f%%", 100*c.summary.CPU.FocusedShare())
	})
	row("the handler's first function on CPU", "`cpu.pprof` (`summary.txt`)", func(c *capture) string {
		return first(c.summary.CPU)
	})
	row("the handler's first function on the wall clock", "`fgprof.pprof` (`summary.txt`)", func(c *capture) string {
		return first(c.summary.Wall)
	})
	for _, prof := range []string{"block", "mutex"} {
		row(fmt.Sprintf("the %s profile's first function, of all its delay", prof), fmt.Sprintf("`%s.pprof` (`go tool pprof -top`)", prof), func(c *capture) string {
			p, err := captures.ReadProfile(filepath.Join(g.root, c.dir, prof+".pprof"))
			if err != nil {
				return "-"
			}
			return first(captures.TopFunctions(p, anyFrame))
		})
	}
	a := e.Answer
	if a.Bottleneck != nil {
		row("`"+a.BottleneckName()+"` on the stack: wall clock / CPU", "`fgprof.pprof` / `cpu.pprof` (`shares.txt`)", func(c *capture) string {
			return fmt.Sprintf("%.1f%% / %.1f%%", 100*captures.CumShare(c.wall, server.HandlerFrames, a.Bottleneck), 100*captures.CumShare(c.cpu, server.HandlerFrames, a.Bottleneck))
		})
		if a.Wait != nil {
			row("`"+a.WaitName()+"` below it: wall clock / CPU", "`fgprof.pprof` / `cpu.pprof` (`shares.txt`)", func(c *capture) string {
				return fmt.Sprintf("%.1f%% / %.1f%%", 100*captures.CumShareUnder(c.wall, server.HandlerFrames, a.Wait, a.Bottleneck), 100*captures.CumShareUnder(c.cpu, server.HandlerFrames, a.Wait, a.Bottleneck))
			})
		}
	}
	var calls [][]count
	for _, c := range cs {
		cc, err := g.syscallCounts(filepath.Join(c.dir, "trace.out"))
		if err != nil {
			return nil, err
		}
		calls = append(calls, cc)
	}
	names := map[string]bool{}
	for _, cc := range calls {
		for i := 0; i < len(cc) && i < 3; i++ {
			names[cc[i].name] = true
		}
		// The system calls the answer key judges are shown however rare.
		if _, ok := judges.Has(judges.MustOf(e.Answer), judges.Fsync); ok {
			for _, c := range cc {
				if c.name == "Fsync" || c.name == "Fdatasync" {
					names[c.name] = true
				}
			}
		}
	}
	var shown []string
	for n := range names {
		shown = append(shown, n)
	}
	sort.Strings(shown)
	for _, name := range shown {
		r := []string{fmt.Sprintf("`%s` calls in the trace, and their time", name)}
		for i, cc := range calls {
			var v count
			for _, c := range cc {
				if c.name == name {
					v = c
				}
			}
			r = append(r, fmt.Sprintf("%s, %.0f ms (of a %s trace)", units.Thousands(float64(v.n)), float64(v.ns)/1e6, traceLength(cs[i])))
		}
		rows = append(rows, append(r, "`trace.out` (its system calls)"))
	}
	return rows, nil
}

// first is a Shares' first function and its share, or -.
func first(s captures.Shares) string {
	if len(s.Top) == 0 {
		return "-"
	}
	return fmt.Sprintf("`%s` %.1f%%", s.Top[0].Func, 100*s.Top[0].Share)
}

// cores is the machine's cores, from machine.txt.
func cores(c *capture) int {
	if m := coresRE.FindStringSubmatch(c.machine["machine"]); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}

func coresText(c *capture) string {
	if n := cores(c); n != 1 {
		return fmt.Sprintf("%d cores", n)
	}
	return "1 core"
}

// traceLength is the trace's length as make profiles asked for it.
func traceLength(c *capture) string {
	if m := traceRE.FindStringSubmatch(c.machine["command"]); m != nil {
		return m[1]
	}
	return "the trace"
}

// readCheck reads a committed check result.
func (g *generator) readCheck(path string) (report.CheckResult, error) {
	var r report.CheckResult
	b, err := os.ReadFile(filepath.Join(g.root, path))
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}

func (g *generator) checks(e catalog.Exercise) (x, s report.CheckResult, m map[string]string, err error) {
	dir := filepath.Join("profiles", e.Name())
	if x, err = g.readCheck(filepath.Join(dir, "check-exercise.json")); err != nil {
		return
	}
	if s, err = g.readCheck(filepath.Join(dir, "check-solution.json")); err != nil {
		return
	}
	m, err = readMachine(filepath.Join(g.root, dir, "check-machine.txt"))
	return
}

func verdictWord(r report.CheckResult) string {
	if r.Pass {
		return "PASS"
	}
	return "FAIL"
}

// checkBlock is make check-N on the shipped exercise and on its solution.
func (g *generator) checkBlock(b *strings.Builder, e catalog.Exercise) error {
	x, s, m, err := g.checks(e)
	if err != nil {
		return err
	}
	dir := filepath.Join("profiles", e.Name())
	fmt.Fprintf(b, "From `make check-%d` on the shipped exercise and on the solution, kept by `make profiles` in `%s/check-exercise.txt` and `check-solution.txt` (%s).\n\n", e.Number, dir, made(m))
	fmt.Fprintf(b, "|  | shipped exercise | solution |\n|---|---:|---:|\n")
	fmt.Fprintf(b, "| verdict | %s | %s |\n", verdictWord(x), verdictWord(s))
	metric := e.Answer.Metric
	if metric == "p99open" {
		fmt.Fprintf(b, "| open-loop p99 at %.0f req/s, theirs / the solution's in the same run (the ratio is to the larger of the solution's and the %s floor) | %.1f / %.1f ms (×%.1f; a fix stays within ×%.1f) | %.1f / %.1f ms (×%.1f) |\n",
			x.Yours.OpenRate, e.Answer.Floor, 1000*x.Yours.OpenP99, 1000*x.Solution.OpenP99, x.Ratio, e.Answer.Ratio, 1000*s.Yours.OpenP99, 1000*s.Solution.OpenP99, s.Ratio)
	} else if metric == "p50" {
		fmt.Fprintf(b, "| median latency, theirs / the solution's in the same run | %.1f / %.1f ms (×%.2f; a fix stays within ×%.2f) | %.1f / %.1f ms (×%.2f) |\n",
			1000*x.Yours.P50, 1000*x.Solution.P50, x.Ratio, e.Answer.Ratio, 1000*s.Yours.P50, 1000*s.Solution.P50, s.Ratio)
	} else {
		fmt.Fprintf(b, "| throughput, theirs / the solution's in the same run | %s / %s req/s (×%.2f; a fix reaches ×%.2f) | %s / %s req/s (×%.2f) |\n",
			units.Thousands(x.Yours.RPS), units.Thousands(x.Solution.RPS), x.Ratio, e.Answer.Ratio, units.Thousands(s.Yours.RPS), units.Thousands(s.Solution.RPS), s.Ratio)
	}
	hasWait := e.Answer.Wait != nil
	what := "`" + e.Answer.BottleneckName() + "` on the stack, wall clock"
	if hasWait {
		what = "`" + e.Answer.WaitName() + "` below `" + e.Answer.BottleneckName() + "`, wall clock"
	}
	if e.Answer.Share >= 0 {
		fmt.Fprintf(b, "| %s (a fix keeps at most %.0f%%) | %.0f%% | %.0f%% |\n", what, 100*e.Answer.Share, 100*x.Yours.Judged(hasWait), 100*s.Yours.Judged(hasWait))
	}
	js, err := judges.Of(e.Answer)
	if err != nil {
		return err
	}
	for _, j := range js {
		for _, row := range j.Rows(j.Arg) {
			label := row.Label
			if row.Bound != "" {
				label += " (" + row.Bound + ")"
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", label, row.Cell(x.Yours), row.Cell(s.Yours))
		}
	}
	fmt.Fprintf(b, "| reasons to fail | %d | %d |\n", len(x.Reasons), len(s.Reasons))
	return nil
}

// judgedBlock says what make check-N judges, for the exercise's README:
// the speed, the watched function's share and the judges of its promises,
// with their bounds, from the answer key and scripts/internal/judges. The
// judges of a bottleneck's class are named by what they read, not by
// their bounds, which would name the class: the check prints them.
func judgedBlock(b *strings.Builder, e catalog.Exercise) error {
	js, err := judges.Of(e.Answer)
	if err != nil {
		return err
	}
	a := e.Answer
	fmt.Fprintf(b, "`make check-%d` runs the exercise's tests with `-race` on a copy of your code (the tests as shipped, whatever you changed in yours), then loads your program and the solution one after the other, %d in flight for %s, the standard mix, every answer checked. It passes a fix when:\n\n", e.Number, judges.Concurrency, judges.Duration)
	var items []string
	switch a.Metric {
	case "rps":
		items = append(items, fmt.Sprintf("its throughput reaches ×%.2g of the solution's in the same run", a.Ratio))
	case "p50":
		items = append(items, fmt.Sprintf("its median latency stays within ×%.3g of the solution's in the same run", a.Ratio))
	case "p99open":
		items = append(items, fmt.Sprintf("loaded once more open-loop, %.0f requests a second arriving for %s whatever the answers, its p99 stays within ×%.3g of the solution's, or of %s when the solution's is lower (below that, a tail is the machine's noise)", judges.OpenRate, judges.OpenFor, a.Ratio, a.Floor))
	}
	if a.Share >= 0 {
		items = append(items, fmt.Sprintf("the function the answer key watches (*the watched function*) keeps at most %.0f%% of the handler's wall clock", 100*a.Share))
	}
	class := false
	for _, j := range js {
		if j.Class {
			class = true
			continue
		}
		doc := j.Doc()
		if j.Takes != "" {
			doc = strings.ReplaceAll(doc, j.Takes, "`"+j.Arg+"`")
		}
		items = append(items, doc)
	}
	if class {
		items = append(items, "its own numbers at `/debug/vars`, read before and after its load, stay within bounds that the check prints beside the solution's")
	}
	for _, it := range items {
		fmt.Fprintf(b, "- %s;\n", it)
	}
	fmt.Fprintf(b, "\nand every answer is right. As shipped, the exercise FAILS it.\n")
	return nil
}

// judgesBlock is one line per judge of the check: its name, the
// exercises whose answer key names it, and what it judges, with its
// bounds, as scripts/internal/judges defines it.
func judgesBlock(b *strings.Builder, exs []catalog.Exercise) error {
	fmt.Fprintf(b, "The judges of `make check-N` beside the speed and the watched function's share, as `scripts/internal/judges` defines them; `solutions/answers.tsv` names each exercise's (judges of a bottleneck's class read the program's own numbers at `/debug/vars`, and the exercise as shipped fails them).\n\n")
	fmt.Fprintf(b, "| judge | exercises | what it judges |\n|---|---|---|\n")
	for _, j := range judges.All {
		var on []string
		if j.Always {
			on = append(on, "every one")
		}
		for _, e := range exs {
			if named, ok := e.Answer.Judge(j.Name); ok {
				if named.Arg != "" {
					on = append(on, fmt.Sprintf("%d (`%s`)", e.Number, named.Arg))
				} else {
					on = append(on, strconv.Itoa(e.Number))
				}
			}
		}
		if len(on) == 0 {
			return fmt.Errorf("the judge %s judges no exercise of %s", j.Name, catalog.AnswersFile)
		}
		name := "`" + j.String() + "`"
		kind := ""
		if j.Class {
			kind = " (a bottleneck's class)"
		}
		fmt.Fprintf(b, "| %s%s | %s | %s |\n", name, kind, strings.Join(on, ", "), j.Doc())
	}
	return nil
}

// checksBlock is one line per exercise of its check.
func (g *generator) checksBlock(b *strings.Builder, exs []catalog.Exercise) error {
	var ms []string
	var rows []string
	for _, e := range exs {
		if !e.HasSolution() {
			continue
		}
		x, s, m, err := g.checks(e)
		if err != nil {
			return err
		}
		ms = append(ms, made(m))
		a := e.Answer
		speed := fmt.Sprintf("throughput ×%.2f of the solution's (a fix: ×%.2f or more)", x.Ratio, a.Ratio)
		slow := judges.Slow(a, x.Ratio)
		switch a.Metric {
		case "p50":
			speed = fmt.Sprintf("median latency ×%.2f of the solution's (a fix: ×%.2f or less)", x.Ratio, a.Ratio)
		case "p99open":
			speed = fmt.Sprintf("open-loop p99 ×%.1f of the solution's (a fix: ×%.1f or less)", x.Ratio, a.Ratio)
		}
		// What the FAIL rests on, from the numbers the reasons come from.
		var on []string
		hasWait := a.Wait != nil
		if judges.ShareOver(a, x.Yours) {
			what := "the watched function"
			if hasWait {
				what = "the watched wait"
			}
			on = append(on, fmt.Sprintf("%s, %.0f%% of the handler's wall clock (a fix: %.0f%% or less)", what, 100*x.Yours.Judged(hasWait), 100*a.Share))
		}
		if slow {
			on = append(on, speed)
		}
		for _, name := range x.Failed {
			j := judges.Find(name)
			if j == nil {
				continue
			}
			var cells []string
			arg := ""
			if named, ok := a.Judge(name); ok {
				arg = named.Arg
			}
			for _, row := range j.Rows(arg) {
				cells = append(cells, fmt.Sprintf("%s: %s (%s)", row.Label, row.Cell(x.Yours), row.Bound))
			}
			on = append(on, strings.Join(cells, ", "))
		}
		if n := len(x.Reasons) - len(on); n > 0 && len(x.Failed) == 0 {
			on = append(on, fmt.Sprintf("%d more", n))
		}
		verdict := verdictWord(x)
		if len(on) > 0 {
			verdict += " on " + strings.Join(on, "; ")
		}
		if !slow {
			verdict += "; " + speed + ": met"
		}
		rows = append(rows, fmt.Sprintf("| %d | %s | %s |", e.Number, verdict, verdictWord(s)))
	}
	fmt.Fprintf(b, "From `make check-N` on each shipped exercise and its solution, kept by `make profiles` in `profiles/NN-slug/check-*.txt` (%s).\n\n", uniq(ms))
	fmt.Fprintf(b, "| exercise | shipped | solution |\n|---:|---|---|\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return nil
}

func uniq(v []string) string {
	seen := map[string]bool{}
	var out []string
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, "; ")
}

// benchTable is make bench's table as it printed it.
func (g *generator) benchTable(b *strings.Builder) error {
	t, err := os.ReadFile(filepath.Join(g.root, "profiles", "bench", "bench.txt"))
	if err != nil {
		return err
	}
	m, err := readMachine(filepath.Join(g.root, "profiles", "bench", "machine.txt"))
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "From `make bench`, kept by `make profiles` in `profiles/bench/bench.txt` (%s):\n\n```\n%s```\n", made(m), strings.TrimLeft(string(t), "\n"))
	return nil
}

// benchRound is one program's rounds in profiles/bench/bench.json.
type benchRound struct {
	Label  string `json:"label"`
	Rounds map[string][]struct {
		RPS float64 `json:"rps"`
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"rounds"`
}

// readBench reads profiles/bench/bench.json by label, and its machine.
func (g *generator) readBench() (map[string]benchRound, map[string]string, error) {
	raw, err := os.ReadFile(filepath.Join(g.root, "profiles", "bench", "bench.json"))
	if err != nil {
		return nil, nil, err
	}
	var all []benchRound
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, nil, err
	}
	m, err := readMachine(filepath.Join(g.root, "profiles", "bench", "machine.txt"))
	if err != nil {
		return nil, nil, err
	}
	rows := map[string]benchRound{}
	for _, r := range all {
		rows[r.Label] = r
	}
	return rows, m, nil
}

// benchRow writes one program's row of a client, or nothing.
func benchRow(b *strings.Builder, shown string, r benchRound, c string) {
	rs := r.Rounds[c]
	if len(rs) == 0 {
		return
	}
	var rps, p50, p99 []float64
	for _, x := range rs {
		rps, p50, p99 = append(rps, x.RPS), append(p50, x.P50), append(p99, x.P99)
	}
	fmt.Fprintf(b, "| %s | %s | %s req/s | %.1f ms | %.1f ms | %d |\n", shown, c, units.Thousands(units.Median(rps)), 1000*units.Median(p50), 1000*units.Median(p99), len(rs))
}

// symptomBlock is what exercise e costs against the service without its
// feature, for the exercise's README: no solution in it.
func (g *generator) symptomBlock(b *strings.Builder, e catalog.Exercise) error {
	rows, m, err := g.readBench()
	if err != nil {
		return err
	}
	x, err := g.capture(filepath.Join("profiles", e.Name(), "exercise"))
	if err != nil {
		return err
	}
	base, ok := rows[fmt.Sprintf("baseline-%d", e.Number)]
	baseName := fmt.Sprintf("`baseline-%d`", e.Number)
	if !ok {
		base, baseName = rows["baseline"], "`baseline`"
	}
	fmt.Fprintf(b, "From the reference run of `make bench` (50 in flight, the standard mix; rows %s and `exercise-%d`), kept in `profiles/bench/bench.json` (%s), medians of the rounds:\n\n", baseName, e.Number, made(m))
	fmt.Fprintf(b, "| program | client | throughput | p50 | p99 | rounds |\n|---|---|---:|---:|---:|---:|\n")
	for _, c := range []string{"check", "wrk"} {
		benchRow(b, "exercise 0, without the feature", base, c)
		benchRow(b, fmt.Sprintf("exercise %d", e.Number), rows[fmt.Sprintf("exercise-%d", e.Number)], c)
	}
	fmt.Fprintf(b, "\nand from the reference run of `make exercise-%d` (`profiles/%s/exercise/`: `hey.txt`, `fgprof.pprof`; %s): %s req/s, p50 %.1f ms, p99 %.1f ms, with %.1f of the %d requests in flight inside the handler on average.\n",
		e.Number, e.Name(), made(x.machine), units.Thousands(x.summary.Hey.RPS), 1000*x.summary.Hey.Percentiles[50], 1000*x.summary.Hey.Percentiles[99],
		float64(x.summary.Wall.Focused)/float64(x.wall.DurationNanos), x.summary.Concurrency+x.summary.Bodies.Concurrency)
	// Of the program's own numbers, the exercise's README shows only what
	// a user would see too (memory that grows); the others tell the cause.
	if _, leaks := judges.Has(judges.MustOf(e.Answer), judges.Leaks); leaks && x.summary.Vars != nil {
		v := x.summary.Vars
		fmt.Fprintf(b, "The program's own numbers, from its debug listener's `/debug/vars` before that load and a second after it (`vars-before.json`, `vars-after.json`): %s goroutines before it and %s after it (`goroutines`), a live heap of %.1f MB before it and %.1f MB after it (`heap_live_bytes`).\n",
			units.Thousands(v.Before.Get("goroutines")), units.Thousands(v.After.Get("goroutines")), v.Before.Get("heap_live_bytes")/1e6, v.After.Get("heap_live_bytes")/1e6)
	}
	if o := x.summary.OpenLoop; o != nil {
		fmt.Fprintf(b, "After hey, the same run's open loop (`openloop.json`) sent %d of %d requests due at %.0f a second: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms, each from the moment its request was due.\n",
			o.Sent, o.Intended, o.Rate, 1000*o.P50, 1000*o.P99, 1000*o.P999, 1000*o.Max)
	}
	return nil
}

// benchBlock is the rows of make bench for exercise e, by client, with
// the ratios of its group.
func (g *generator) benchBlock(b *strings.Builder, e catalog.Exercise) error {
	rows, m, err := g.readBench()
	if err != nil {
		return err
	}
	labels := []string{fmt.Sprintf("exercise-%d", e.Number), fmt.Sprintf("solution-%d", e.Number), fmt.Sprintf("baseline-%d", e.Number)}
	if e.Number == 0 {
		labels = []string{"baseline", "ceiling", "baseline-flight"}
	}
	clients := []string{"check", "wrk"}
	fmt.Fprintf(b, "From `make bench`, kept by `make profiles` in `profiles/bench/bench.json` (%s): medians of the rounds; the clients take turns on the same programs.\n\n", made(m))
	fmt.Fprintf(b, "| program | client | throughput | p50 | p99 | rounds |\n|---|---|---:|---:|---:|---:|\n")
	for _, l := range labels {
		r, ok := rows[l]
		if !ok {
			continue
		}
		for _, c := range clients {
			benchRow(b, "`"+l+"`", r, c)
		}
	}
	pairs := [][2]string{{labels[0], labels[1]}}
	switch {
	case e.Number == 0:
		pairs = append(pairs, [2]string{labels[2], labels[0]})
	case len(labels) == 3:
		pairs = append(pairs, [2]string{labels[1], labels[2]})
	}
	var ratios []string
	for _, p := range pairs {
		a, okA := rows[p[0]]
		c, okC := rows[p[1]]
		if !okA || !okC {
			continue
		}
		for _, cl := range clients {
			if len(a.Rounds[cl]) == 0 || len(a.Rounds[cl]) != len(c.Rounds[cl]) {
				continue
			}
			var q []float64
			for i := range a.Rounds[cl] {
				q = append(q, a.Rounds[cl][i].RPS/c.Rounds[cl][i].RPS)
			}
			ratios = append(ratios, fmt.Sprintf("%s/%s ×%.2f (%s)", p[0], p[1], units.Median(q), cl))
		}
	}
	if len(ratios) > 0 {
		fmt.Fprintf(b, "\nThroughput ratios, median of the rounds' ratios: %s.", strings.Join(ratios, ", "))
		if goals := goalText(e); goals != "" {
			fmt.Fprintf(b, " Goals (`solutions/answers.tsv`): %s.", goals)
		}
		b.WriteString("\n")
	}
	return nil
}

// goalText says the answer key's bench goals of e in words.
func goalText(e catalog.Exercise) string {
	var out []string
	for _, what := range []string{"vs-ceiling", "flight", "vs-solution", "open-p99", "vs-baseline", "p50"} {
		goal, ok := e.Answer.Goal(what)
		if !ok {
			continue
		}
		op := "≥"
		if goal.AtMost {
			op = "≤"
		}
		switch what {
		case "vs-ceiling":
			out = append(out, fmt.Sprintf("baseline/ceiling %s %.2f", op, goal.Bound))
		case "flight":
			out = append(out, fmt.Sprintf("baseline-flight/baseline %s %.2f", op, goal.Bound))
		case "vs-solution":
			out = append(out, fmt.Sprintf("exercise/solution %s %.2f", op, goal.Bound))
		case "open-p99":
			out = append(out, fmt.Sprintf("exercise/solution open-loop p99 %s %.0f", op, goal.Bound))
		case "vs-baseline":
			out = append(out, fmt.Sprintf("solution/baseline %s %.2f", op, goal.Bound))
		case "p50":
			out = append(out, fmt.Sprintf("solution p50 %s %.0f ms", op, 1000*goal.Bound))
		}
	}
	return strings.Join(out, ", ")
}

// goBenchBlock is the Go benchmarks that make profiles kept, one row per
// benchmark: the median of its runs.
func (g *generator) goBenchBlock(b *strings.Builder) error {
	raw, err := os.ReadFile(filepath.Join(g.root, "profiles", "bench", "go-test-bench.txt"))
	if err != nil {
		return err
	}
	m, err := readMachine(filepath.Join(g.root, "profiles", "bench", "machine.txt"))
	if err != nil {
		return err
	}
	type bench struct {
		pkg, name string
		units     []string
		values    map[string][]float64
	}
	var order []*bench
	byKey := map[string]*bench{}
	pkg := ""
	for _, line := range strings.Split(string(raw), "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), "github.com/slowpath/slowpath/")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		key := pkg + " " + f[0]
		bn, ok := byKey[key]
		if !ok {
			bn = &bench{pkg: pkg, name: f[0], values: map[string][]float64{}}
			byKey[key] = bn
			order = append(order, bn)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			unit := f[i+1]
			if _, seen := bn.values[unit]; !seen {
				bn.units = append(bn.units, unit)
			}
			bn.values[unit] = append(bn.values[unit], v)
		}
	}
	if len(order) == 0 {
		return fmt.Errorf("profiles/bench/go-test-bench.txt holds no benchmark")
	}
	fmt.Fprintf(b, "From `go test -run '^$' -bench . -count 3` on the packages below, kept by `make profiles` in `profiles/bench/go-test-bench.txt` (%s): medians of the 3 runs.\n\n", made(m))
	fmt.Fprintf(b, "| package | benchmark | time per op | other |\n|---|---|---:|---|\n")
	for _, bn := range order {
		var other []string
		for _, u := range bn.units {
			if u == "ns/op" {
				continue
			}
			other = append(other, fmt.Sprintf("%s %s", strconv.FormatFloat(units.Median(bn.values[u]), 'f', -1, 64), u))
		}
		ns := units.Median(bn.values["ns/op"])
		t := fmt.Sprintf("%.1f µs", ns/1000)
		if ns >= 1e6 {
			t = fmt.Sprintf("%.2f ms", ns/1e6)
		}
		fmt.Fprintf(b, "| `%s` | `%s` | %s | %s |\n", bn.pkg, bn.name, t, strings.Join(other, ", "))
	}
	return nil
}

// syscallNote says where the rows of system calls come from.
const syscallNote = "The system calls are the three most frequent of each trace (and those the answer key judges), by the function that made them, as `go tool trace -pprof=syscall trace.out > s.pprof` then `go tool pprof -sample_index=0 -top s.pprof` count them (the tracer counts a cgo call as one)."

// The agenda's rates: what the agenda block assumes a learner takes for
// each thing an exercise asks, beside the machine time that make profiles
// measured. They are assumptions, printed with the table, for an
// instructor to change to their room.
const (
	wordsPerMinute   = 150 // reading a technical README, commands included
	minutesQuestion  = 2.0 // one question asked outside "Going further": look, think, answer
	minutesFixLine   = 0.25
	loopRuns         = 2 // make exercise-N before and after the fix
	checkRuns        = 2 // make check-N: a first FAIL or PASS, and one more
	minutesDebrief   = 5
	minutesOpening   = 20
	minutesBreak     = 10
	minutesQuestion3 = 10 // the A/B/C question, in the debrief of exercise question3After
	question3After   = 4
	minutesWrapUp    = 10
	// The full day: the core (the exercises before afternoonFrom) in the
	// morning, then lunch, then the afternoon track.
	afternoonFrom = 5
	minutesLunch  = 60
)

// exerciseLoad is what one exercise asks of a learner.
type exerciseLoad struct {
	e                  catalog.Exercise
	words, questions   int
	fixLines           int
	loopSecs, checkSec float64
	minutes            int
}

// load counts what exercise e asks: the words and questions of its
// README (a question is a "?" outside code, before any heading that says
// "Going further"), the lines its fix changes (git diff --numstat of the
// two folders, READMEs left out), and the machine time of one loop and
// one check, from the machine.txt files of make profiles.
func (g *generator) load(e catalog.Exercise) (exerciseLoad, error) {
	l := exerciseLoad{e: e}
	b, err := os.ReadFile(filepath.Join(g.root, e.Folder("exercises"), "README.md"))
	if err != nil {
		return l, err
	}
	inCode := false
	for _, line := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if strings.HasPrefix(t, "#") && strings.Contains(strings.ToLower(t), "going further") {
			break
		}
		l.words += len(strings.Fields(t))
		l.questions += strings.Count(codeSpan.ReplaceAllString(t, ""), "?")
	}
	if e.HasSolution() {
		cmd := exec.CommandContext(g.ctx, "git", "diff", "--no-index", "--numstat", "--", e.Folder("exercises"), e.Folder("solutions"))
		cmd.Dir = g.root
		out, _ := cmd.Output() // exits 1 when the folders differ
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || strings.HasSuffix(line, "README.md") {
				continue
			}
			a, _ := strconv.Atoi(f[0])
			d, _ := strconv.Atoi(f[1])
			l.fixLines += a + d
		}
		m, err := readMachine(filepath.Join(g.root, "profiles", e.Name(), "check-machine.txt"))
		if err != nil {
			return l, err
		}
		l.checkSec = tookSeconds(m)
	}
	m, err := readMachine(filepath.Join(g.root, "profiles", e.Name(), "exercise", "machine.txt"))
	if err != nil {
		return l, err
	}
	l.loopSecs = tookSeconds(m)
	est := float64(l.words)/wordsPerMinute + minutesQuestion*float64(l.questions) + minutesFixLine*float64(l.fixLines) +
		(loopRuns*l.loopSecs+checkRuns*l.checkSec)/60 + minutesDebrief
	l.minutes = 5 * int((est+4.999)/5)
	return l, nil
}

// tookSeconds reads the "took" line of a machine.txt, or 0.
func tookSeconds(m map[string]string) float64 {
	f := strings.Fields(m["took"])
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// agendaBlock is the day's agenda, from what each exercise asks.
func (g *generator) agendaBlock(b *strings.Builder, exs []catalog.Exercise) error {
	var loads []exerciseLoad
	for _, e := range exs {
		l, err := g.load(e)
		if err != nil {
			return err
		}
		loads = append(loads, l)
	}
	fmt.Fprintf(b, "Each exercise's time is counted from what it asks (its README before any *Going further*, the lines its\n"+
		"fix changes, `git diff --no-index --numstat` of the two folders without the READMEs) and the machine time of\n"+
		"its commands, as `make profiles` timed them (the `took` lines of `profiles/NN-slug/exercise/machine.txt` and\n"+
		"`profiles/NN-slug/check-machine.txt`), at these rates: reading at %d words a minute, %.0f minutes a question,\n"+
		"%.2f minutes a changed line of the fix, %d loops and %d checks, and a %d-minute debrief; rounded up to 5 minutes.\n"+
		"Change the rates in `scripts/docs/generate.go` to your room's, and `make docs` redraws the agenda.\n\n",
		wordsPerMinute, minutesQuestion, minutesFixLine, loopRuns, checkRuns, minutesDebrief)
	fmt.Fprintf(b, "| exercise | words | questions | fix: lines changed | one loop | one check | minutes |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, l := range loads {
		fix, check := "-", "-"
		if l.e.HasSolution() {
			fix, check = strconv.Itoa(l.fixLines), fmt.Sprintf("%.0f s", l.checkSec)
		}
		fmt.Fprintf(b, "| %d. %s | %s | %d | %s | %.0f s | %s | %d |\n", l.e.Number, l.e.Title, units.Thousands(float64(l.words)), l.questions, fix, l.loopSecs, check, l.minutes)
	}
	t := 0
	clock := func(m int) string { return fmt.Sprintf("%d:%02d", m/60, m%60) }
	var rows []string
	slot := func(m int, what string) {
		rows = append(rows, fmt.Sprintf("| %s–%s | %s |", clock(t), clock(t+m), what))
		t += m
	}
	slot(minutesOpening, "Opening questions 1 and 2")
	core, afternoon, inTrack := 0, 0, 0
	for i, l := range loads {
		if l.e.Number == afternoonFrom {
			core = t
			slot(minutesLunch, "Lunch")
			inTrack = 0
		}
		m := l.minutes
		what := fmt.Sprintf("[Exercise %d](../%s/README.md): %s", l.e.Number, l.e.Folder("exercises"), l.e.Title)
		if l.e.Number == question3After {
			m += minutesQuestion3
			what += "; question 3 in its debrief"
		}
		slot(m, what)
		inTrack++
		last := i == len(loads)-1 || loads[i+1].e.Number == afternoonFrom
		if !last && inTrack%2 == 0 {
			slot(minutesBreak, "Break")
		}
	}
	if core == 0 {
		core = t
	} else {
		afternoon = t - core - minutesLunch
	}
	slot(minutesWrapUp, "Wrap-up: which tool answers which question")
	homework := 0
	if len(loads) > 0 && loads[0].e.Number == 0 {
		homework = loads[0].minutes
	}
	fmt.Fprintf(b, "\nThe day, with a %d-minute opening, a %d-minute break after every second exercise, lunch before exercise %d and a %d-minute wrap-up: %s in all.\n"+
		"The core, the opening and exercises 0 to %d, takes %s (%s with exercise 0 done at home the day before); the afternoon track, exercises %d to %d, %s; a shorter day stops after the core, with the wrap-up.\n\n",
		minutesOpening, minutesBreak, afternoonFrom, minutesWrapUp, clock(t), afternoonFrom-1, clock(core), clock(core-homework), afternoonFrom, loads[len(loads)-1].e.Number, clock(afternoon))
	fmt.Fprintf(b, "| time | what |\n|---|---|\n%s\n", strings.Join(rows, "\n"))
	return nil
}
