package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slowpath/slowpath/scripts/internal/judges"
)

// TestOpenRateReachesTheBench changes the check's open-loop rate and finds
// the bench's open-loop client described at the new rate: the bench loads
// at the rate the check judges by, defined once in scripts/internal/judges.
func TestOpenRateReachesTheBench(t *testing.T) {
	old := judges.OpenRate
	t.Cleanup(func() { judges.OpenRate = old })
	for _, rate := range []float64{400, 123} {
		judges.OpenRate = rate
		if name, want := clientName(clientOpen), fmt.Sprintf("%.0f requests a second", rate); !strings.Contains(name, want) {
			t.Errorf("judges.OpenRate = %v: the bench says %q, want %q in it", rate, name, want)
		}
	}
}
