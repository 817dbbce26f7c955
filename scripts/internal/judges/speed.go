package judges

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// The main load of make check-N, yours and the solution's: requests in
// flight, and how long.
var (
	Concurrency = 50
	Duration    = 5 * time.Second
)

// The open-loop load of a p99open exercise (the answer key's metric), in
// the check and in make bench: well below what a fixed program serves,
// long enough for a stall every 2 s to come twice.
var (
	OpenRate = 400.0
	OpenFor  = 4 * time.Second
)

// Slow reports whether a fix whose metric is ratio × the solution's
// misses the answer key's bound a.Ratio: below it for rps, above it for
// p50 and p99open.
func Slow(a catalog.Answer, ratio float64) bool {
	if a.Metric == "rps" {
		return ratio < a.Ratio
	}
	return ratio > a.Ratio
}

// ShareOver reports whether side keeps more of the handler's wall clock
// in the bottleneck (or its wait) than the answer key's share allows.
func ShareOver(a catalog.Answer, side report.CheckSide) bool {
	return a.Share >= 0 && side.Judged(a.Wait != nil) > a.Share
}

// MeasureOpen starts the program once more and loads it open-loop, at
// OpenRate for OpenFor, every answer checked: a stall that a closed loop
// hides shows in its p99.
func MeasureOpen(ctx context.Context, r Run, side *report.CheckSide) error {
	p, err := proc.Start(ctx, r.W, r.Bin, filepath.Join(r.Dir, "open"))
	if err != nil {
		return err
	}
	fmt.Fprintf(r.W, "   open-loop load: %.0f requests a second arriving for %s, whatever the answers; each latency from its due time; mix: %s\n", OpenRate, OpenFor, load.StandardMix())
	o, err := load.OpenLoop(ctx, load.OpenLoopOptions{BaseURL: p.App, Rate: OpenRate, Duration: OpenFor})
	if stopErr := p.Stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(r.W, "   sent %d of %d due; p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d wrong, %d without answer\n", o.Sent, o.Intended, 1000*o.P50, 1000*o.P99, 1000*o.Max, o.Wrong, o.Errors)
	side.OpenRate, side.OpenP99, side.OpenSent, side.OpenDue = o.Rate, o.P99, o.Sent, o.Intended
	side.Checked, side.Wrong = side.Checked+o.Answered+o.Errors, side.Wrong+o.Wrong+o.Errors
	if side.Example == "" && len(o.Examples) > 0 {
		side.Example = o.Examples[0]
	}
	return nil
}
