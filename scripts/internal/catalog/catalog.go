// Package catalog reads the kit's two lists of exercises: the catalog a
// learner sees, exercises/catalog.tsv (number, slug, title, build
// settings: the features), and the answer key beside the solutions,
// solutions/answers.tsv (what judges a fix: the bottleneck's functions,
// the check's thresholds, the bench's goals). It is the only reader of
// both: make help, the loop, the check, the bench, the reference captures
// and the kit's tests all ask it, so that adding an exercise adds its
// folders and a line in each file, never a special case in a script.
//
// Both files are tab-separated, with # comments, and name their columns
// in their first other line; a column is found by its name, never by its
// position.
package catalog

import (
	"bufio"
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Exercise is one line of exercises/catalog.tsv, joined with its line of
// the answer key when Read found one.
type Exercise struct {
	Number int
	Slug   string
	Title  string
	// Build is the environment go build needs for this exercise on the
	// oldest Go the kit supports, as NAME=value pairs (for example
	// GOEXPERIMENT=...); empty for most. BuildEnv fits it to the Go that
	// builds.
	Build []string
	// Loop holds the loop's settings for this exercise, as NAME=value
	// pairs (RATE=400 FLIGHT=100ms): what make exercise-N uses unless the
	// environment sets them; empty for most.
	Loop []string
	// Answer is the exercise's line of solutions/answers.tsv; the zero
	// Answer (Bottleneck nil) for the baseline's.
	Answer Answer
}

// Name is the exercise's folder name, NN-slug.
func (e Exercise) Name() string { return fmt.Sprintf("%02d-%s", e.Number, e.Slug) }

// Folder is the exercise's folder of kind "exercises" or "solutions",
// relative to the repository's top.
func (e Exercise) Folder(kind string) string { return filepath.Join(kind, e.Name()) }

// BuildEnv is the environment go build needs for this exercise under
// the Go release goVersion (as go env GOVERSION prints it, e.g. go1.27.3):
// Build, less every experiment that release has made the default, whose
// name its go command no longer knows (goroutineleakprofile from Go
// 1.27: "go: unknown GOEXPERIMENT goroutineleakprofile").
func (e Exercise) BuildEnv(goVersion string) []string {
	var env []string
	for _, kv := range e.Build {
		name, value, _ := strings.Cut(kv, "=")
		if name != "GOEXPERIMENT" {
			env = append(env, kv)
			continue
		}
		var keep []string
		for _, exp := range strings.Split(value, ",") {
			if since, ok := DefaultExperiments[exp]; !ok || version.Compare(goVersion, since) < 0 {
				keep = append(keep, exp)
			}
		}
		if len(keep) > 0 {
			env = append(env, name+"="+strings.Join(keep, ","))
		}
	}
	return env
}

// DefaultExperiments maps each GOEXPERIMENT that a Go release made the
// default, and dropped as an experiment, to that release.
var DefaultExperiments = map[string]string{"goroutineleakprofile": "go1.27"}

// LeakProfile reports whether the exercise is built with the goroutine
// leak profile (/debug/pprof/goroutineleak), which its Build asks for
// with the goroutineleakprofile experiment, a default from Go 1.27 on:
// the loop, the check and the reference captures then capture it.
func (e Exercise) LeakProfile() bool {
	for _, kv := range e.Build {
		if name, value, _ := strings.Cut(kv, "="); name == "GOEXPERIMENT" && slices.Contains(strings.Split(value, ","), "goroutineleakprofile") {
			return true
		}
	}
	return false
}

// GoVersion is the release of the go command that builds the kit's
// programs here, as go env GOVERSION prints it (go1.26.8), GOTOOLCHAIN
// included; the release that built this program when the go command
// cannot say.
var GoVersion = sync.OnceValue(func() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if v := strings.TrimSpace(string(out)); err == nil && version.IsValid(v) {
		return v
	}
	return runtime.Version()
})

// HasSolution reports whether the exercise has a fix to make: every
// exercise but the baseline.
func (e Exercise) HasSolution() bool { return e.Number != 0 }

// Answer is one line of solutions/answers.tsv: how a fix of an exercise
// is judged.
type Answer struct {
	// Bottleneck matches the exercise's function(s) behind its
	// bottleneck; nil for the baseline.
	Bottleneck *regexp.Regexp
	// Wait matches the function(s) the bottleneck waits in off CPU (a
	// lock, a sleep, a select), which a CPU profile barely samples; nil
	// when the bottleneck works on CPU.
	Wait *regexp.Regexp
	// Share is the most of the handler's wall-clock samples with the
	// bottleneck on the stack that a fixed program may keep, or -1 when
	// the fix overlaps the waits instead of removing them.
	Share float64
	// Metric is what the check compares with the solution: "rps", "p50",
	// or "p99open" (the p99 of an open-loop load at a fixed rate, counted
	// from each request's due time); empty for the baseline.
	Metric string
	// Ratio is the check's bound for Metric: rps at least Ratio × the
	// solution's, p50 at most Ratio × the solution's.
	Ratio float64
	// Floor is, for a p50 exercise, the least latency a request can have:
	// the longest of the waits that the fix overlaps; for a p99open one,
	// the p99 below which a tail is a busy machine's noise, which the
	// check compares with when the solution's is lower. Zero otherwise.
	Floor time.Duration
	// Bench is the goals make bench prints beside its ratios.
	Bench []Goal
	// Judges are the check's judges of the exercise's promises and of
	// its bottleneck's class, beside its speed (scripts/internal/judges
	// defines each).
	Judges []Judge
}

// Judge is one of the check's judges named by the answer key, with its
// argument. The judges themselves, what each measures and the bounds it
// holds a fix to, are defined in scripts/internal/judges, which checks
// the names.
type Judge struct {
	Name string
	Arg  string // "" when the judge takes none
}

// Judge returns the exercise's judge called name, if it has one.
func (a Answer) Judge(name string) (Judge, bool) {
	for _, j := range a.Judges {
		if j.Name == name {
			return j, true
		}
	}
	return Judge{}, false
}

// BottleneckName is the bottleneck's expression as a reader writes
// function names: main.(*AuditLog).Record for main\.\(\*AuditLog\)\.Record$.
func (a Answer) BottleneckName() string { return FuncName(a.Bottleneck) }

// WaitName is the wait's expression as a reader writes function names.
func (a Answer) WaitName() string { return FuncName(a.Wait) }

// FuncName writes a regexp of function names as a reader writes them,
// without anchors and escapes; "" for nil.
func FuncName(re *regexp.Regexp) string {
	if re == nil {
		return ""
	}
	return strings.ReplaceAll(strings.Trim(re.String(), "^$"), `\`, "")
}

// Goal is one goal of make bench: a ratio or a latency, with its bound.
type Goal struct {
	// What is compared: "vs-ceiling" (the baseline's throughput over the
	// ceiling's), "vs-solution" (the exercise's over its solution's),
	// "vs-baseline" (the solution's over the baseline's), "flight" (the
	// baseline's with its flight recorder on over the same with it off),
	// "open-p99" (the exercise's open-loop p99 over its solution's) or
	// "p50" (the solution's median latency, in seconds).
	What   string
	AtMost bool    // the value must be at most Bound; else at least
	Bound  float64 // a ratio, or seconds for p50
}

// Met reports whether v meets the goal.
func (g Goal) Met(v float64) bool {
	if g.AtMost {
		return v <= g.Bound
	}
	return v >= g.Bound
}

// String writes the goal as the answer key does, e.g. vs-solution<=0.5.
func (g Goal) String() string {
	op := ">="
	if g.AtMost {
		op = "<="
	}
	if g.What == "p50" {
		return g.What + op + time.Duration(g.Bound*float64(time.Second)).String()
	}
	return g.What + op + strconv.FormatFloat(g.Bound, 'f', -1, 64)
}

// Goal returns the exercise's bench goal on what, if it has one.
func (a Answer) Goal(what string) (Goal, bool) {
	for _, g := range a.Bench {
		if g.What == what {
			return g, true
		}
	}
	return Goal{}, false
}

// Files of the kit, relative to the repository's top.
const (
	CatalogFile   = "exercises/catalog.tsv"
	AnswersFile   = "solutions/answers.tsv"
	WrongFixes    = "solutions/wrong-fixes.tsv"
	WrongFixFiles = "solutions/testdata/wrong-fixes" // one folder NN-slug/NAME per wrong fix
)

// WrongFix is one line of solutions/wrong-fixes.tsv: a fix a learner may
// write that make check-N must fail, and the reason it must give.
type WrongFix struct {
	Number int
	Name   string // its files are in WrongFixFiles/NN-slug/Name
	Tests  bool   // the check runs the folder's tests on it; else its judges of the load alone
	Reason string // words one of the check's reasons to fail holds
	Fix    string // what it does, and why it is wrong
}

// ReadWrongFixes reads solutions/wrong-fixes.tsv of the kit whose top
// folder is root.
func ReadWrongFixes(root string) ([]WrongFix, error) {
	var out []WrongFix
	path := filepath.Join(root, WrongFixes)
	err := table(path, []string{"number", "name", "judged", "reason", "fix"}, func(line int, col map[string]string) error {
		n, err := number(col["number"])
		if err != nil {
			return err
		}
		if !slugRE.MatchString(col["name"]) || col["reason"] == "" || col["fix"] == "" {
			return fmt.Errorf("want a name of lower-case words joined by -, a reason and a fix, got %q, %q, %q", col["name"], col["reason"], col["fix"])
		}
		if col["judged"] != "load" && col["judged"] != "tests" {
			return fmt.Errorf("judged %q: want load or tests", col["judged"])
		}
		out = append(out, WrongFix{Number: n, Name: col["name"], Tests: col["judged"] == "tests", Reason: col["reason"], Fix: col["fix"]})
		return nil
	})
	return out, err
}

// Read reads the catalog and the answer key of the kit whose top folder
// is root, and joins them: every exercise must have its line in both.
func Read(root string) ([]Exercise, error) {
	exs, err := ReadCatalog(filepath.Join(root, CatalogFile))
	if err != nil {
		return nil, err
	}
	answers, err := ReadAnswers(filepath.Join(root, AnswersFile))
	if err != nil {
		return nil, err
	}
	for i := range exs {
		a, ok := answers[exs[i].Number]
		if !ok {
			return nil, fmt.Errorf("%s: no line for exercise %d of %s", AnswersFile, exs[i].Number, CatalogFile)
		}
		exs[i].Answer = a
		delete(answers, exs[i].Number)
	}
	for n := range answers {
		return nil, fmt.Errorf("%s: exercise %d is not in %s", AnswersFile, n, CatalogFile)
	}
	return exs, nil
}

// Find returns exercise n of the kit whose top folder is root.
func Find(root string, n int) (Exercise, error) {
	exs, err := Read(root)
	if err != nil {
		return Exercise{}, err
	}
	for _, e := range exs {
		if e.Number == n {
			return e, nil
		}
	}
	return Exercise{}, fmt.Errorf("no exercise %d in %s: make help lists them", n, CatalogFile)
}

// table reads a tab-separated file whose first line that is not a comment
// names its columns, and calls fn for every other line with its values by
// column name, and its line number.
func table(path string, want []string, fn func(line int, col map[string]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || strings.TrimSpace(text) == "" {
			continue
		}
		fields := strings.Split(text, "\t")
		if names == nil {
			names = fields
			for _, w := range want {
				if !slices.Contains(names, w) {
					return fmt.Errorf("%s:%d: no column %q in the header %q", path, line, w, text)
				}
			}
			continue
		}
		if len(fields) != len(names) {
			return fmt.Errorf("%s:%d: %d columns, want %d separated by tabs (%s)", path, line, len(fields), len(names), strings.Join(names, ", "))
		}
		col := make(map[string]string, len(names))
		for i, n := range names {
			col[n] = fields[i]
		}
		if err := fn(line, col); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if names == nil {
		return fmt.Errorf("%s: no header line", path)
	}
	return nil
}

var (
	slugRE  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	buildRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=\S*$`)
	// loopSettings are the loop's settings an exercise may set for itself.
	loopSettings = map[string]bool{"RATE": true, "FLIGHT": true}
)

// ReadCatalog reads exercises/catalog.tsv alone, with no answers.
func ReadCatalog(path string) ([]Exercise, error) {
	var out []Exercise
	seen := map[int]bool{}
	err := table(path, []string{"number", "slug", "title", "build", "loop"}, func(line int, col map[string]string) error {
		var e Exercise
		n, err := number(col["number"])
		if err != nil {
			return err
		}
		e.Number = n
		if seen[n] {
			return fmt.Errorf("exercise %d listed twice", n)
		}
		seen[n] = true
		if !slugRE.MatchString(col["slug"]) {
			return fmt.Errorf("slug %q: want lower-case words joined by -", col["slug"])
		}
		e.Slug, e.Title = col["slug"], col["title"]
		if col["build"] != "-" {
			for _, kv := range strings.Fields(col["build"]) {
				if !buildRE.MatchString(kv) {
					return fmt.Errorf("build %q: want NAME=value pairs separated by spaces, or -", col["build"])
				}
				e.Build = append(e.Build, kv)
			}
		}
		if col["loop"] != "-" {
			for _, kv := range strings.Fields(col["loop"]) {
				name, _, _ := strings.Cut(kv, "=")
				if !buildRE.MatchString(kv) || !loopSettings[name] {
					return fmt.Errorf("loop %q: want NAME=value pairs of the loop's settings (%s) separated by spaces, or -", col["loop"], "RATE, FLIGHT")
				}
				e.Loop = append(e.Loop, kv)
			}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func number(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 99 || s != strconv.Itoa(n) {
		return 0, fmt.Errorf("number %q: want 0 to 99", s)
	}
	return n, nil
}

// ReadAnswers reads solutions/answers.tsv alone, by exercise number.
func ReadAnswers(path string) (map[int]Answer, error) {
	out := map[int]Answer{}
	err := table(path, []string{"number", "bottleneck", "wait", "share", "metric", "ratio", "floor", "bench", "judges"}, func(line int, col map[string]string) error {
		n, err := number(col["number"])
		if err != nil {
			return err
		}
		if _, dup := out[n]; dup {
			return fmt.Errorf("exercise %d listed twice", n)
		}
		a, err := parseAnswer(n, col)
		if err != nil {
			return fmt.Errorf("exercise %d: %w", n, err)
		}
		out[n] = a
		return nil
	})
	return out, err
}

func parseAnswer(n int, col map[string]string) (Answer, error) {
	var a Answer
	var err error
	if a.Bench, err = parseGoals(col["bench"]); err != nil {
		return a, err
	}
	if a.Judges, err = parseJudges(col["judges"]); err != nil {
		return a, err
	}
	if n == 0 {
		for _, c := range []string{"bottleneck", "wait", "share", "metric", "ratio", "floor", "judges"} {
			if col[c] != "-" {
				return a, fmt.Errorf("%s %q: the baseline has nothing to fix; want -", c, col[c])
			}
		}
		return a, nil
	}
	if a.Bottleneck, err = regexp.Compile(col["bottleneck"]); err != nil || col["bottleneck"] == "-" {
		return a, fmt.Errorf("bottleneck %q: want a Go regexp of function names: %v", col["bottleneck"], err)
	}
	if col["wait"] != "-" {
		if a.Wait, err = regexp.Compile(col["wait"]); err != nil {
			return a, fmt.Errorf("wait %q: want a Go regexp of function names, or -: %v", col["wait"], err)
		}
	}
	a.Share = -1
	if col["share"] != "-" {
		if a.Share, err = strconv.ParseFloat(col["share"], 64); err != nil || a.Share <= 0 || a.Share >= 0.5 {
			return a, fmt.Errorf("share %q: want a fraction between 0 and 0.5, or -", col["share"])
		}
	}
	a.Metric = col["metric"]
	if a.Metric != "rps" && a.Metric != "p50" && a.Metric != "p99open" {
		return a, fmt.Errorf("metric %q: want rps, p50 or p99open", col["metric"])
	}
	if a.Ratio, err = strconv.ParseFloat(col["ratio"], 64); err != nil || a.Ratio <= 0 {
		return a, fmt.Errorf("ratio %q: want a positive number", col["ratio"])
	}
	if (a.Metric == "rps") != (a.Ratio < 1) {
		return a, fmt.Errorf("ratio %s for %s: want below 1 for rps (a floor), above 1 for p50 and p99open (a ceiling)", col["ratio"], a.Metric)
	}
	switch {
	case a.Metric == "p50" || a.Metric == "p99open":
		if a.Floor, err = time.ParseDuration(col["floor"]); err != nil || a.Floor <= 0 {
			return a, fmt.Errorf("floor %q: a %s exercise needs a floor, like 50ms (see the column's comment)", col["floor"], a.Metric)
		}
	case col["floor"] != "-":
		return a, fmt.Errorf("floor %q: only a p50 or p99open exercise has one; want -", col["floor"])
	}
	return a, nil
}

func parseJudges(s string) ([]Judge, error) {
	if s == "-" {
		return nil, nil
	}
	var out []Judge
	for _, f := range strings.Fields(s) {
		name, arg, hasArg := strings.Cut(f, "=")
		if !judgeRE.MatchString(name) || (hasArg && arg == "") {
			return nil, fmt.Errorf("judge %q: want a name, or NAME=ARG (go doc ./scripts/internal/judges lists them)", f)
		}
		out = append(out, Judge{Name: name, Arg: arg})
	}
	return out, nil
}

var judgeRE = regexp.MustCompile(`^[a-z]+$`)

var goalRE = regexp.MustCompile(`^(vs-ceiling|vs-solution|vs-baseline|flight|open-p99|p50)(<=|>=)(\S+)$`)

func parseGoals(s string) ([]Goal, error) {
	if s == "-" {
		return nil, nil
	}
	var out []Goal
	for _, f := range strings.Fields(s) {
		m := goalRE.FindStringSubmatch(f)
		if m == nil {
			return nil, fmt.Errorf("bench goal %q: want vs-ceiling, vs-solution, vs-baseline, flight, open-p99 or p50, then <= or >=, then a bound", f)
		}
		g := Goal{What: m[1], AtMost: m[2] == "<="}
		if g.What == "p50" {
			d, err := time.ParseDuration(m[3])
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("bench goal %q: want a duration such as 55ms", f)
			}
			g.Bound = d.Seconds()
		} else {
			v, err := strconv.ParseFloat(m[3], 64)
			if err != nil || v <= 0 {
				return nil, fmt.Errorf("bench goal %q: want a positive ratio", f)
			}
			g.Bound = v
		}
		out = append(out, g)
	}
	return out, nil
}

// Lookup returns the exercise of exs numbered s, s as a learner typed it
// (make exercise-s), or an error of one line with the hint to try.
func Lookup(exs []Exercise, s string) (Exercise, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strconv.Itoa(n) != s {
		return Exercise{}, fmt.Errorf("exercise number %q is not a number: make help lists them", s)
	}
	for _, e := range exs {
		if e.Number == n {
			return e, nil
		}
	}
	return Exercise{}, fmt.Errorf("no exercise %d in %s: make help lists them", n, CatalogFile)
}
