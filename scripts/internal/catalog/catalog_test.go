package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTheKitsCatalog reads the kit's own catalog and answer key: every
// exercise has its folders with a main.go, numbers run from 0 without a
// gap, every exercise but the baseline has a bottleneck that names a
// function its folder declares, and the learner's catalog names no
// function at all.
func TestTheKitsCatalog(t *testing.T) {
	exs, err := Read("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) < 2 || exs[0].Number != 0 || exs[0].HasSolution() || exs[0].Answer.Bottleneck != nil {
		t.Fatalf("catalog starts with %+v, want the baseline, then exercises", exs[0])
	}
	if _, ok := exs[0].Answer.Goal("vs-ceiling"); !ok {
		t.Error("the baseline has no vs-ceiling goal for make bench")
	}
	learner, _ := os.ReadFile("../../../" + CatalogFile)
	for i, e := range exs {
		if e.Number != i {
			t.Errorf("line %d is exercise %d, want %d: numbers run from 0 without a gap", i+1, e.Number, i)
		}
		kinds := []string{"exercises"}
		if e.HasSolution() {
			kinds = append(kinds, "solutions")
		}
		for _, kind := range kinds {
			if _, err := os.Stat(filepath.Join("../../..", e.Folder(kind), "main.go")); err != nil {
				t.Errorf("exercise %d: %v", e.Number, err)
			}
		}
		if !e.HasSolution() {
			continue
		}
		if e.Answer.Bottleneck == nil {
			t.Errorf("exercise %d has no bottleneck in %s", e.Number, AnswersFile)
			continue
		}
		// The function the bottleneck names must be declared in the folder:
		// a rename would leave the kit measuring nothing.
		src := ""
		files, _ := filepath.Glob(filepath.Join("../../..", e.Folder("exercises"), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, _ := os.ReadFile(f)
			src += string(b)
		}
		name := e.Answer.BottleneckName()
		method := name[strings.LastIndex(name, ".")+1:]
		for _, m := range strings.Split(strings.Trim(method, "()"), "|") {
			if !strings.Contains(src, " "+m+"(") {
				t.Errorf("exercise %d: bottleneck %s, but %s declares no function %s", e.Number, name, e.Folder("exercises"), m)
			}
		}
		for _, cause := range []string{name, strings.TrimPrefix(name, "main."), e.Answer.Bottleneck.String()} {
			if strings.Contains(string(learner), cause) {
				t.Errorf("%s names %s, the bottleneck of exercise %d: the learner's catalog names features, never causes", CatalogFile, cause, e.Number)
			}
		}
	}
}

// write puts a header and lines into a file of a temporary folder.
func write(t *testing.T, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const answersHeader = "number\tbottleneck\twait\tshare\tmetric\tratio\tfloor\tbench\tjudges"

func TestParseAnswers(t *testing.T) {
	good := []string{"5", `main\.warm$`, `^time\.Sleep$`, "0.2", "rps", "0.8", "-", "vs-solution<=0.5 vs-baseline>=0.9", "fsync lines=audit.log"}
	path := write(t, "a.tsv", "# comment", answersHeader, strings.Join(good, "\t"),
		"6\tmain\\.f$\t-\t-\tp50\t1.25\t50ms\tp50<=55ms\t-")
	got, err := ReadAnswers(path)
	if err != nil {
		t.Fatal(err)
	}
	a := got[5]
	if a.Wait == nil || a.Share != 0.2 || a.Ratio != 0.8 || a.BottleneckName() != "main.warm" || a.WaitName() != "time.Sleep" || len(a.Bench) != 2 {
		t.Errorf("parsed %+v", a)
	}
	if j, ok := a.Judge("lines"); !ok || j.Arg != "audit.log" || len(a.Judges) != 2 {
		t.Errorf("judges %+v", a.Judges)
	}
	if g, ok := a.Goal("vs-solution"); !ok || !g.AtMost || g.Bound != 0.5 || !g.Met(0.4) || g.Met(0.6) || g.String() != "vs-solution<=0.5" {
		t.Errorf("vs-solution goal %+v", g)
	}
	if p := got[6]; p.Share != -1 || p.Floor != 50*time.Millisecond {
		t.Errorf("p50 row: %+v", p)
	} else if g, _ := p.Goal("p50"); g.Bound != 0.055 || g.String() != "p50<=55ms" {
		t.Errorf("p50 goal %+v (%s)", g, g)
	}
	bad := map[string]func([]string){
		"ten columns":       func(c []string) { c[8] = c[8] + "\tx" },
		"judge's name":      func(c []string) { c[8] = "Fsync" },
		"judge's empty arg": func(c []string) { c[8] = "lines=" },
		"number":            func(c []string) { c[0] = "x" },
		"number 05":         func(c []string) { c[0] = "05" },
		"regexp":            func(c []string) { c[1] = "main.(" },
		"no bottleneck":     func(c []string) { c[1] = "-" },
		"wait regexp":       func(c []string) { c[2] = "time.(" },
		"share at 50%":      func(c []string) { c[3] = "0.5" },
		"metric":            func(c []string) { c[4] = "p99" },
		"rps ratio above 1": func(c []string) { c[5] = "1.2" },
		"p50 without floor": func(c []string) { c[4], c[5] = "p50", "1.2" },
		"floor on rps":      func(c []string) { c[6] = "50ms" },
		"p50 ratio below 1": func(c []string) { c[4], c[5], c[6] = "p50", "0.8", "50ms" },
		"goal name":         func(c []string) { c[7] = "vs-ceilling>=0.8" },
		"goal bound":        func(c []string) { c[7] = "vs-solution<=half" },
		"goal duration":     func(c []string) { c[7] = "p50<=55" },
		"baseline fixed":    func(c []string) { c[0] = "0" },
	}
	for name, mutate := range bad {
		c := append([]string(nil), good...)
		mutate(c)
		if _, err := ReadAnswers(write(t, "bad.tsv", answersHeader, strings.Join(c, "\t"))); err == nil {
			t.Errorf("%s: %q parsed without error", name, c)
		}
	}
}

func TestReadCatalog(t *testing.T) {
	// Columns are found by name: another order reads the same.
	path := write(t, "c.tsv", "slug\tnumber\tloop\tbuild\ttitle", "leak-hunt\t9\tRATE=400 FLIGHT=100ms\tGOEXPERIMENT=goroutineleakprofile\tA title")
	exs, err := ReadCatalog(path)
	if err != nil || len(exs) != 1 {
		t.Fatalf("%+v, %v", exs, err)
	}
	if e := exs[0]; e.Name() != "09-leak-hunt" || e.Title != "A title" || len(e.Build) != 1 || e.Build[0] != "GOEXPERIMENT=goroutineleakprofile" || e.Folder("solutions") != "solutions/09-leak-hunt" || strings.Join(e.Loop, " ") != "RATE=400 FLIGHT=100ms" {
		t.Errorf("parsed %+v", e)
	}
	for name, lines := range map[string][]string{
		"no header":     {"# only comments"},
		"missing build": {"number\tslug\ttitle\tloop", "1\ta\tA\t-"},
		"missing loop":  {"number\tslug\ttitle\tbuild", "1\ta\tA\t-"},
		"bad slug":      {"number\tslug\ttitle\tbuild\tloop", "1\tA B\tA\t-\t-"},
		"bad build":     {"number\tslug\ttitle\tbuild\tloop", "1\ta\tA\tgoexperiment\t-"},
		"unknown loop":  {"number\tslug\ttitle\tbuild\tloop", "1\ta\tA\t-\tCONCURRENCY=5"},
		"twice":         {"number\tslug\ttitle\tbuild\tloop", "1\ta\tA\t-\t-", "1\tb\tB\t-\t-"},
	} {
		if _, err := ReadCatalog(write(t, "bad.tsv", lines...)); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
}

func TestReadJoinsBothFiles(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "exercises"), 0o755)
	os.MkdirAll(filepath.Join(root, "solutions"), 0o755)
	os.WriteFile(filepath.Join(root, CatalogFile), []byte("number\tslug\ttitle\tbuild\tloop\n0\tbaseline\tB\t-\t-\n1\ta\tA\t-\t-\n"), 0o644)
	os.WriteFile(filepath.Join(root, AnswersFile), []byte(answersHeader+"\n0\t-\t-\t-\t-\t-\t-\t-\t-\n"), 0o644)
	if _, err := Read(root); err == nil || !strings.Contains(err.Error(), "no line for exercise 1") {
		t.Errorf("an exercise without its answer: %v", err)
	}
	os.WriteFile(filepath.Join(root, AnswersFile), []byte(answersHeader+"\n0\t-\t-\t-\t-\t-\t-\t-\t-\n1\tmain\\.f$\t-\t0.2\trps\t0.5\t-\t-\t-\n2\tmain\\.g$\t-\t0.2\trps\t0.5\t-\t-\t-\n"), 0o644)
	if _, err := Read(root); err == nil || !strings.Contains(err.Error(), "exercise 2 is not in") {
		t.Errorf("an answer without its exercise: %v", err)
	}
}

func TestTheKitsWrongFixes(t *testing.T) {
	exs, err := Read("../../..")
	if err != nil {
		t.Fatal(err)
	}
	fixes, err := ReadWrongFixes("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) == 0 {
		t.Fatal("no wrong fixes listed")
	}
	for _, f := range fixes {
		var ex *Exercise
		for i := range exs {
			if exs[i].Number == f.Number && exs[i].HasSolution() {
				ex = &exs[i]
			}
		}
		if ex == nil {
			t.Errorf("wrong fix %s: no exercise %d with a solution", f.Name, f.Number)
			continue
		}
		dir := filepath.Join("../../..", WrongFixFiles, ex.Name(), f.Name)
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Errorf("wrong fix %s of exercise %d: no Go file in %s", f.Name, f.Number, dir)
		}
		for _, file := range files {
			if _, err := os.Stat(filepath.Join("../../..", ex.Folder("exercises"), filepath.Base(file))); err != nil {
				t.Errorf("wrong fix %s replaces %s, which %s does not have", f.Name, filepath.Base(file), ex.Folder("exercises"))
			}
		}
	}
}

// TestBuildEnvFollowsTheGo: an experiment stays in the build's
// environment for a Go that has it, and leaves it for a Go that made it
// the default (and would refuse its name), keeping the others.
func TestBuildEnvFollowsTheGo(t *testing.T) {
	e := Exercise{Build: []string{"GOEXPERIMENT=goroutineleakprofile,jsonv2", "CGO_CFLAGS=-O2"}}
	for _, tc := range []struct {
		goVersion string
		want      []string
	}{
		{"go1.26.8", []string{"GOEXPERIMENT=goroutineleakprofile,jsonv2", "CGO_CFLAGS=-O2"}},
		{"go1.27rc1", []string{"GOEXPERIMENT=jsonv2", "CGO_CFLAGS=-O2"}},
		{"go1.27.3", []string{"GOEXPERIMENT=jsonv2", "CGO_CFLAGS=-O2"}},
	} {
		if got := e.BuildEnv(tc.goVersion); !slices.Equal(got, tc.want) {
			t.Errorf("BuildEnv(%s) = %q, want %q", tc.goVersion, got, tc.want)
		}
	}
	leak := Exercise{Build: []string{"GOEXPERIMENT=goroutineleakprofile"}}
	if got := leak.BuildEnv("go1.27.3"); len(got) != 0 {
		t.Errorf("BuildEnv(go1.27.3) = %q, want nothing: the experiment is the default there", got)
	}
	if !leak.LeakProfile() || !e.LeakProfile() || (Exercise{}).LeakProfile() {
		t.Errorf("LeakProfile: %v, %v, %v; want true, true, false", leak.LeakProfile(), e.LeakProfile(), (Exercise{}).LeakProfile())
	}
	if v := GoVersion(); !strings.HasPrefix(v, "go1.") {
		t.Errorf("GoVersion() = %q, want a Go release", v)
	}
}

// TestLookupTakesTheNumberAsTyped: make exercise-N's N is a plain whole
// number of an exercise; anything else gets one line with the hint.
func TestLookupTakesTheNumberAsTyped(t *testing.T) {
	exs := []Exercise{{Number: 0, Slug: "baseline"}, {Number: 9, Slug: "leak-hunt"}}
	if e, err := Lookup(exs, "9"); err != nil || e.Slug != "leak-hunt" {
		t.Errorf("Lookup(9) = %v, %v", e, err)
	}
	for _, typed := range []string{"09", "x", "", "10", "-1"} {
		if _, err := Lookup(exs, typed); err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "make help") {
			t.Errorf("Lookup(%q): %v; want one line with the hint", typed, err)
		}
	}
}
