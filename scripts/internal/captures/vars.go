package captures

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/slowpath/slowpath/server"
)

// VarsChange is what the program said about itself at /debug/vars
// before a load and after it: the numbers of the inside (connections a
// downstream accepted, queries, pool waits, allocations, GC CPU,
// goroutines) that no client can count from the outside.
type VarsChange struct {
	Before server.Vars `json:"before"`
	After  server.Vars `json:"after"`
}

// Delta is how much the named metric changed from Before to After.
func (c VarsChange) Delta(name string) float64 { return c.After.Get(name) - c.Before.Get(name) }

// Requests is how many requests the app received between the two.
func (c VarsChange) Requests() float64 { return c.Delta("requests_total") }

// PerRequest is the named counter's change per request received, 0 when
// none was.
func (c VarsChange) PerRequest(name string) float64 {
	if c.Requests() <= 0 {
		return 0
	}
	return c.Delta(name) / c.Requests()
}

// GCShare is the part of the CPU the program used between the two that
// went to the garbage collector (its workers and the mark assists of the
// goroutines that allocate), by the runtime's own estimate
// (runtime/metrics /cpu/classes).
func (c VarsChange) GCShare() float64 {
	used := c.Delta("cpu_seconds_total") - c.Delta("cpu_idle_seconds_total")
	if used <= 0 {
		return 0
	}
	return c.Delta("gc_cpu_seconds_total") / used
}

// ReadVarsFile reads a /debug/vars answer saved to path.
func ReadVarsFile(path string) (server.Vars, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseVars(b, path)
}

// ParseVars parses a /debug/vars answer, read from path.
func ParseVars(b []byte, path string) (server.Vars, error) {
	var v server.Vars
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// WriteVars prints the change as a table: a counter (a name that ends
// in _total) by how much it grew and by how much a thousand requests
// made it grow, a gauge by its level before and after.
func WriteVars(w io.Writer, c VarsChange) {
	names := make([]string, 0, len(c.After))
	for n := range c.After {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "  %-30s %14s %14s %16s\n", "", "before", "after", "per 1,000 req")
	for _, n := range names {
		if strings.HasSuffix(n, "_total") {
			per := "-"
			if c.Requests() > 0 {
				per = number(1000 * c.PerRequest(n))
			}
			fmt.Fprintf(w, "  %-30s %14s %14s %16s\n", n, number(c.Before.Get(n)), "+"+number(c.Delta(n)), per)
		} else {
			fmt.Fprintf(w, "  %-30s %14s %14s %16s\n", n, number(c.Before.Get(n)), number(c.After.Get(n)), "")
		}
	}
	fmt.Fprintf(w, "  GC: %.0f%% of the CPU the program used (gc_cpu_seconds_total over cpu_seconds_total less cpu_idle_seconds_total)\n", 100*c.GCShare())
}

// number writes a metric's value: from 100 up as a whole number with its
// thousands separated, below with three significant digits.
func number(f float64) string {
	if f > -100 && f < 100 {
		if f == float64(int64(f)) {
			return fmt.Sprintf("%d", int64(f))
		}
		return fmt.Sprintf("%.3g", f)
	}
	digits := fmt.Sprintf("%.0f", f)
	sign := ""
	if digits[0] == '-' {
		sign, digits = "-", digits[1:]
	}
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return sign + digits
}
