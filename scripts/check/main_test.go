package main

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
		if v, b := apart(tc.v, tc.bound, tc.decimals); v != tc.wantV || b != tc.wantBound {
			t.Errorf("apart(%v, %v, %d) = %s, %s; want %s, %s", tc.v, tc.bound, tc.decimals, v, b, tc.wantV, tc.wantBound)
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
		if reason := defaultBreaks(tc.judge, "-flag", tc.yours, tc.solution); (reason != "") != tc.breaks {
			t.Errorf("defaultBreaks(%s, %q against %q) = %q, want a reason: %v", tc.judge, tc.yours, tc.solution, reason, tc.breaks)
		}
	}
}
