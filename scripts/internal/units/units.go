// Package units holds the numbers' units and formats that the kit's
// reports share: milliseconds from seconds or a duration, seconds from
// nanoseconds, and the median of a set of rounds. It imports nothing of
// the kit's: every other package may use it.
package units

import (
	"fmt"
	"sort"
	"strconv"
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

// Thousands writes v rounded to a whole number, its thousands separated
// by commas: 24,172.
func Thousands(v float64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(int64(v+0.5), 10)
	var out []byte
	if neg {
		out = append(out, '-')
	}
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// MiB writes a number of bytes in mebibytes, with one decimal.
func MiB(bytes float64) string { return fmt.Sprintf("%.1f MiB", bytes/(1<<20)) }
