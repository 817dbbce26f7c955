// Package units holds the numbers' units and formats that the kit's
// reports share: milliseconds from seconds or a duration, seconds from
// nanoseconds, and the median of a set of rounds. It imports nothing of
// the kit's: every other package may use it.
package units

import (
	"fmt"
	"sort"
	"time"
)

// Median returns the median of v, the mean of the middle two for an even
// count, 0 for none: the bench's and the docs' figure for a set of rounds.
func Median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}

// MS formats seconds as milliseconds.
func MS(s float64) string {
	if s < 0.001 {
		return fmt.Sprintf("%.2f ms", s*1000)
	}
	return fmt.Sprintf("%.1f ms", s*1000)
}

// Seconds is ns nanoseconds in seconds.
func Seconds(ns int64) float64 { return float64(ns) / 1e9 }

// MSD writes a duration in milliseconds, with a precision that suits it.
func MSD(d time.Duration) string {
	ms := float64(d) / 1e6
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.3f ms", ms)
}
