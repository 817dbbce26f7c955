package report

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummaryListsFlightSnapshots: the flight recorder's snapshots in a
// run's folder are listed with the command that opens each.
func TestSummaryListsFlightSnapshots(t *testing.T) {
	src := filepath.Join("..", "..", "..", "profiles", "01-audit-trail", "solution")
	dir := t.TempDir()
	for _, f := range []string{"hey.txt", "bodies.json", "cpu.pprof", "fgprof.pprof"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatalf("no reference capture to summarize: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var without strings.Builder
	if _, err := Summarize(&without, dir, "x", 100); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without.String(), "flight recorder") {
		t.Errorf("a run with no snapshot mentions the flight recorder:\n%s", without.String())
	}
	snap := filepath.Join(dir, "flight-20261201T120000.000Z.trace")
	if err := os.WriteFile(snap, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var with strings.Builder
	if _, err := Summarize(io.MultiWriter(&with), dir, "x", 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with.String(), "go tool trace -http=localhost:") || !strings.Contains(with.String(), snap) {
		t.Errorf("the summary does not list %s with its go tool trace command:\n%s", snap, with.String())
	}
}
