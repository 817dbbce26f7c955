package captures

import (
	"github.com/google/pprof/profile"
)

// Goroutines is how many goroutines a goroutine (or goroutine leak)
// profile holds.
func Goroutines(p *profile.Profile) int64 {
	var n int64
	for _, s := range p.Sample {
		n += s.Value[0]
	}
	return n
}
