package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/judges"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// TestApartNeverPrintsTheBound: a value that fails its bound never reads
// as the bound itself, and a value far from it keeps its usual digits.
func TestApartNeverPrintsTheBound(t *testing.T) {
	for _, tc := range []struct {
		v, bound         float64
		decimals         int
		wantV, wantBound string
	}{
		{0.496, 0.5, 2, "0.496", "0.500"},
		{0.31, 0.5, 2, "0.31", "0.50"},
		{25.4, 25, 0, "25.4", "25.0"},
		{90, 25, 0, "90", "25"},
		{2.01, 2, 1, "2.01", "2.00"},
	} {
		if v, b := judges.Apart(tc.v, tc.bound, tc.decimals); v != tc.wantV || b != tc.wantBound {
			t.Errorf("Apart(%v, %v, %d) = %s, %s; want %s, %s", tc.v, tc.bound, tc.decimals, v, b, tc.wantV, tc.wantBound)
		}
	}
}

// TestReadTestEventsNamesTheFailures runs go test -json on a small module
// of its own whose tests fail, one of them in a subtest, and reads the
// failures from its events, not from its text.
func TestReadTestEventsNamesTheFailures(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.26\n",
		"m_test.go": `package m

import "testing"

func TestPasses(t *testing.T) {}

func TestFails(t *testing.T) { t.Error("--- FAIL: TestNotATest, in a message") }

func TestParent(t *testing.T) {
	t.Run("child", func(t *testing.T) { t.Fatal("no") })
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", ".")
	cmd.Dir = dir
	out, _ := cmd.Output() // it fails: its tests do
	var printed strings.Builder
	failed, err := readTestEvents(bytes.NewReader(out), &printed)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"TestFails", "TestParent/child", "TestParent"}; !slices.Equal(failed, want) {
		t.Errorf("failed tests %q, want %q", failed, want)
	}
	if !strings.Contains(printed.String(), "--- FAIL: TestFails") || !strings.Contains(printed.String(), "--- PASS: TestPasses") {
		t.Errorf("the events' output is not go test's text:\n%s", printed.String())
	}
}

// TestFlagDefaultsReadsTheProgram reads the defaults of the flags a judge
// sets from a real program's -h, and judges a default that breaks the
// promise against the solution's.
func TestFlagDefaultsReadsTheProgram(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "price-list")
	build := exec.Command("go", "build", "-o", bin, "./solutions/05-price-list")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	got, err := flagDefaults(t.Context(), bin, map[string]string{"fresh": "-prices-every", "bounded": "-no-such-flag"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"-prices-every": "2s"}; !maps.Equal(got, want) {
		t.Errorf("defaults %v, want %v", got, want)
	}
	for _, tc := range []struct {
		judge, yours, solution string
		breaks                 bool
	}{
		{"fresh", "2s", "2s", false},
		{"fresh", "500ms", "2s", false},
		{"fresh", "1h0m0s", "2s", true},
		{"fresh", "", "2s", true},
		{"bounded", "10000", "10000", false},
		{"bounded", "1000000", "10000", true},
	} {
		ex := catalog.Exercise{Number: 5, Answer: catalog.Answer{Metric: "rps", Ratio: 0.5, Share: -1, Judges: []catalog.Judge{{Name: tc.judge, Arg: "-flag"}}}}
		var res report.CheckResult
		res.Yours.Defaults, res.Solution.Defaults = map[string]string{"-flag": tc.yours}, map[string]string{"-flag": tc.solution}
		if tc.yours == "" {
			res.Yours.Defaults = nil
		}
		js := judges.MustOf(ex.Answer)
		res = judge(ex, js, res)
		breaks := slices.ContainsFunc(res.Reasons, func(r string) bool { return strings.Contains(r, "default") })
		if breaks != tc.breaks {
			t.Errorf("the judge %s, your default %q against the solution's %q: reasons %q, want a reason about the default: %v", tc.judge, tc.yours, tc.solution, res.Reasons, tc.breaks)
		}
	}
}

// TestJudgesBoundsReachTheVerdict changes one judge's bound and the
// open-loop rate, and finds the check's verdict moved with them: the same
// measurement fails under one bound and passes under the other, and the
// reasons and the comparison print the bound in force.
func TestJudgesBoundsReachTheVerdict(t *testing.T) {
	oldMax, oldRate := judges.ReuseMax, judges.OpenRate
	t.Cleanup(func() { judges.ReuseMax, judges.OpenRate = oldMax, oldRate })
	ex := catalog.Exercise{Number: 6, Slug: "loyalty-points", Answer: catalog.Answer{Metric: "rps", Ratio: 0.5, Share: -1, Judges: []catalog.Judge{{Name: "reuse"}}}}
	js := judges.MustOf(ex.Answer)
	var res report.CheckResult
	res.Yours = report.CheckSide{Checked: 100, RPS: 1000, ConnsPer1000: 30}
	res.Solution = report.CheckSide{Checked: 100, RPS: 1000, ConnsPer1000: 2}
	for _, tc := range []struct {
		bound float64
		fails bool
	}{{25, true}, {40, false}} {
		judges.ReuseMax = tc.bound
		got := judge(ex, js, res)
		if fails := slices.Contains(got.Failed, "reuse"); fails != tc.fails {
			t.Errorf("30 new connections per 1,000 requests, judges.ReuseMax = %.0f: failed %v, want %v (%q)", tc.bound, fails, tc.fails, got.Reasons)
		}
		if tc.fails && !strings.Contains(strings.Join(got.Reasons, "\n"), fmt.Sprintf("a fix stays under %.0f", tc.bound)) {
			t.Errorf("judges.ReuseMax = %.0f: the reasons do not give the bound: %q", tc.bound, got.Reasons)
		}
	}

	judges.OpenRate = 123
	ex = catalog.Exercise{Number: 5, Slug: "price-list", Answer: catalog.Answer{Metric: "p99open", Ratio: 5, Share: -1, Floor: 20 * time.Millisecond}}
	res.Yours, res.Solution = report.CheckSide{Checked: 100, OpenP99: 1}, report.CheckSide{Checked: 100, OpenP99: 0.01}
	got := judge(ex, nil, res)
	if !strings.Contains(strings.Join(got.Reasons, "\n"), "arriving at 123 a second") {
		t.Errorf("judges.OpenRate = 123: the reasons do not give the rate: %q", got.Reasons)
	}
}
