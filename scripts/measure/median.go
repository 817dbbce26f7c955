package measure

import "sort"

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
