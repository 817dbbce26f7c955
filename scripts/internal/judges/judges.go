// Package judges defines the judges of make check-N: each one promise of
// an exercise (the program still syncs, no page shows a stale value, its
// memory keeps to its budget) or one class of bottleneck (connections
// opened per call, queries per page, allocations, leaked goroutines).
//
// A judge is defined here once: its name as the answer key
// (solutions/answers.tsv) writes it, what it measures and its bounds,
// how it measures, its verdict with the reason it gives, and its rows in
// the comparison that the check prints and make docs writes. The check
// measures and judges with it, the docs render its rows and its
// description, and the kit's tests read its verdicts: changing a bound
// here changes all of them together.
//
// A new judge is one Judge in All, with its measurement: the fields of
// report.CheckSide it fills, and the reason it gives.
package judges

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/harness"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// Judge is one of the check's judges.
type Judge struct {
	// Name is the judge's name in the answer key's judges column.
	Name string
	// Takes is what the judge's argument is, as the answer key writes
	// it after name= (FILE, -FLAG, N); "" when it takes none.
	Takes string
	// Always marks a judge of every exercise with a solution, which the
	// answer key need not name.
	Always bool
	// Class marks a judge of a bottleneck's class, read from the
	// program's own numbers: the exercise as shipped must fail it, and
	// its solution pass it.
	Class bool
	// Doc says what the judge measures and the bounds a fix is held to,
	// in a sentence or two, for the docs.
	Doc func() string
	// Prepare, when set, changes the check's main load for the judge.
	Prepare func(o *harness.LoadOptions)
	// Measure fills the judge's fields of side: from the main load's
	// measurement, or from runs of its own of the program.
	Measure func(ctx context.Context, r Run, side *report.CheckSide) error
	// Rows are the judge's rows in the comparison of yours with the
	// solution's, as the check prints them and the docs write them.
	Rows func(arg string) []Row
	// Verdict gives the reasons that yours fails the judge, none when
	// it passes.
	Verdict func(c Case) []string
	// Flag marks a judge whose argument is a flag of the program that it
	// sets for its own run: the check then also reads the program's
	// default for it (-h), and Default judges that default.
	Flag bool
	// Default says how yours breaks the promise when nobody sets the
	// flag, given its default and the solution's; "" when it keeps it.
	Default func(flag, yours, solution string) string
}

// Row is one row of the comparison: what it shows, the bound a fix is
// held to, and its cell for one side.
type Row struct {
	Label string // what the row shows
	Bound string // the bound, as "a fix stays under 25"; "" for none
	Cell  func(s report.CheckSide) string
}

// Run is what a judge's Measure gets: the program and the main load's
// measurement of it.
type Run struct {
	W   io.Writer // where the commands run are printed
	Bin string    // the program
	Dir string    // its captures' folder, absolute
	Arg string    // the judge's argument
	// Concurrency is the requests in flight of the main load.
	Concurrency int
	M           harness.Measurement
}

// Case is what a judge's Verdict judges: both sides of one check.
type Case struct {
	Exercise int    // the exercise's number, for the commands a reason suggests
	Arg      string // the judge's argument
	Yours    report.CheckSide
	Solution report.CheckSide
}

// All is every judge, in the order the check judges and prints them.
var All = []*Judge{Extras, Fsync, Lines, Broken, Fresh, Current, Bounded, Kept, Reads, Quota, Reuse, Queries, Allocs, Leaks}

// Find returns the judge called name, or nil.
func Find(name string) *Judge {
	for _, j := range All {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// Bound is one judge of an exercise, with its argument.
type Bound struct {
	*Judge
	Arg string
}

// Of returns the judges of the answer key's line a, and those that judge
// every exercise with a solution, in the order of All: an error names a
// judge this package does not define, or an argument that does not fit
// it.
func Of(a catalog.Answer) ([]Bound, error) {
	var out []Bound
	for _, j := range All {
		if j.Always && a.Bottleneck != nil {
			out = append(out, Bound{j, ""})
			continue
		}
		for _, named := range a.Judges {
			if named.Name == j.Name {
				if (named.Arg != "") != (j.Takes != "") {
					return nil, fmt.Errorf("judge %s: its argument is %q, want %s", j.Name, named.Arg, j)
				}
				out = append(out, Bound{j, named.Arg})
			}
		}
	}
	for _, named := range a.Judges {
		if Find(named.Name) == nil {
			return nil, fmt.Errorf("no judge %q; the judges are %s", named.Name, names())
		}
	}
	return out, nil
}

// MustOf is Of for an answer key that the kit's tests have read.
func MustOf(a catalog.Answer) []Bound {
	bs, err := Of(a)
	if err != nil {
		panic(err)
	}
	return bs
}

// Has reports whether bs holds the judge j.
func Has(bs []Bound, j *Judge) (Bound, bool) {
	for _, b := range bs {
		if b.Judge == j {
			return b, true
		}
	}
	return Bound{}, false
}

// String is the judge as the answer key writes it: its name, and =ARG
// when it takes an argument (lines=FILE).
func (j *Judge) String() string {
	if j.Takes == "" {
		return j.Name
	}
	return j.Name + "=" + j.Takes
}

// names lists the judges as the answer key writes them.
func names() string {
	var out []string
	for _, j := range All {
		out = append(out, j.String())
	}
	return strings.Join(out, ", ")
}

// Apart formats a measured value and the bound it is judged by with
// decimals digits after the point, or as many more as it takes (up to
// four more) for the two to read differently: a verdict never prints a
// failing value equal to the bound it failed, such as ×0.50 for 0.496
// against 0.5.
func Apart(v, bound float64, decimals int) (string, string) {
	for d := decimals; ; d++ {
		a, b := strconv.FormatFloat(v, 'f', d, 64), strconv.FormatFloat(bound, 'f', d, 64)
		if a != b || d == decimals+4 {
			return a, b
		}
	}
}
