package judges

import (
	"strings"
	"testing"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// TestAnswerKeyNamesDefinedJudges reads the kit's answer key: every judge
// it names is defined here, with the argument it takes, and every judge
// defined here judges some exercise.
func TestAnswerKeyNamesDefinedJudges(t *testing.T) {
	exs, err := catalog.Read("../../..")
	if err != nil {
		t.Fatal(err)
	}
	used := map[*Judge]bool{}
	for _, e := range exs {
		bs, err := Of(e.Answer)
		if err != nil {
			t.Errorf("exercise %d: %v", e.Number, err)
		}
		for _, b := range bs {
			used[b.Judge] = true
		}
	}
	for _, j := range All {
		if !used[j] {
			t.Errorf("the judge %s judges no exercise of %s", j.Name, catalog.AnswersFile)
		}
		if j.Doc == nil || j.Measure == nil || j.Rows == nil || j.Verdict == nil || j.Flag != (j.Default != nil) {
			t.Errorf("the judge %s lacks its Doc, Measure, Rows or Verdict, or a Flag judge its Default", j.Name)
		}
		for _, r := range j.Rows("-flag") {
			if r.Label == "" || r.Bound == "" || r.Cell == nil {
				t.Errorf("the judge %s: a row without its label, bound or cell: %+v", j.Name, r)
			}
		}
	}
}

// TestOfRejects: a name no judge has, an argument missing or extra.
func TestOfRejects(t *testing.T) {
	for _, js := range [][]catalog.Judge{
		{{Name: "fsnyc"}},
		{{Name: "lines"}},
		{{Name: "fsync", Arg: "x"}},
	} {
		if _, err := Of(catalog.Answer{Judges: js}); err == nil {
			t.Errorf("Of(%+v): no error", js)
		}
	}
}

// TestVerdictsAtTheirBounds holds each judge's verdict to its bound: a
// measurement at the bound passes, one just past it fails, with a reason
// that quotes the bound.
func TestVerdictsAtTheirBounds(t *testing.T) {
	sol := report.CheckSide{Pages: 100, Extras: map[string]int{"score": 100, "rare": 3}, Syncs: 10, Answered: 100, Lines: 100, Age: 0.5, AgeMeasured: true, CycleP50: 0.05,
		KeptBytes: 1 << 20, KeptUsers: 10000, ReadPages: 40, BrokenPages: 100, MaxOpen: 32, ConnsPer1000: 2, QueriesPerPage: 1, PoolWaitMS: 0.1,
		AllocBytes: 1000, AllocObjects: 10, GCShare: 0.05, GoroutinesBefore: 20, GoroutinesAfter: 30}
	for _, tc := range []struct {
		j         *Judge
		arg       string
		at, past  func(s *report.CheckSide)
		boundText string
	}{
		{Extras, "", func(s *report.CheckSide) {}, func(s *report.CheckSide) { s.Extras = map[string]int{"score": 99} }, `1 of 100 pages of yours came without the extra "score"`},
		{Fsync, "", func(s *report.CheckSide) { s.Syncs = 1 }, func(s *report.CheckSide) { s.Syncs = 0 }, "no fsync"},
		{Lines, "audit.log", func(s *report.CheckSide) {}, func(s *report.CheckSide) { s.Lines = 99 }, "1 answered requests left no line"},
		{Broken, "flags.json", func(s *report.CheckSide) {}, func(s *report.CheckSide) { s.BrokenErrors = 1 }, "1 of 100 pages"},
		{Fresh, "-v", func(s *report.CheckSide) { s.Age = (FreshValidity + FreshSlack).Seconds() }, func(s *report.CheckSide) { s.Age = (FreshValidity + FreshSlack).Seconds() + 0.001 }, (FreshValidity + FreshSlack).String()},
		{Current, "", func(s *report.CheckSide) { s.Age = CurrentSlack.Seconds() }, func(s *report.CheckSide) { s.Age = CurrentSlack.Seconds() + 0.001 }, CurrentSlack.String()},
		{Bounded, "-k", func(s *report.CheckSide) { s.CycleP50 = BoundedFaster * sol.CycleP50 }, func(s *report.CheckSide) { s.CycleP50 = BoundedFaster*sol.CycleP50 - 0.001 }, "serves from memory"},
		{Kept, "", func(s *report.CheckSide) { s.KeptBytes = sol.KeptBytes + KeptMax }, func(s *report.CheckSide) { s.KeptBytes = sol.KeptBytes + KeptMax + 1 }, mib(KeptMax)},
		{Reads, "", func(s *report.CheckSide) {}, func(s *report.CheckSide) { s.UnreadPages = 1 }, "1 of 40 pages"},
		{Quota, "32", func(s *report.CheckSide) {}, func(s *report.CheckSide) { s.MaxOpen = 33 }, "past the 32"},
		{Quota, "32", func(s *report.CheckSide) {}, func(s *report.CheckSide) { s.MaxOpen = 0 }, "no limit"},
		{Reuse, "", func(s *report.CheckSide) { s.ConnsPer1000 = ReuseMax }, func(s *report.CheckSide) { s.ConnsPer1000 = ReuseMax + 0.1 }, "under 25"},
		{Queries, "", func(s *report.CheckSide) { s.QueriesPerPage = QueriesMax }, func(s *report.CheckSide) { s.QueriesPerPage = QueriesMax + 0.1 }, "at most 2"},
		{Queries, "", func(s *report.CheckSide) { s.PoolWaitMS = PoolWaitMin }, func(s *report.CheckSide) { s.PoolWaitMS = PoolWaitMin + 0.01 }, "at most 0.50 ms"},
		{Allocs, "", func(s *report.CheckSide) { s.AllocBytes = AllocsMax * sol.AllocBytes }, func(s *report.CheckSide) { s.AllocBytes = AllocsMax*sol.AllocBytes + 1 }, "×2"},
		{Allocs, "", func(s *report.CheckSide) { s.GCShare = GCShareMin }, func(s *report.CheckSide) { s.GCShare = GCShareMin + 0.01 }, "under 10%"},
		{Leaks, "", func(s *report.CheckSide) { s.GoroutinesAfter = sol.GoroutinesAfter + LeaksLeftMax }, func(s *report.CheckSide) { s.GoroutinesAfter = sol.GoroutinesAfter + LeaksLeftMax + 1 }, "blocked forever"},
		{Leaks, "", func(s *report.CheckSide) {}, func(s *report.CheckSide) { s.Leaked = 1 }, "shows 1 blocked forever"},
	} {
		at, past := sol, sol
		tc.at(&at)
		tc.past(&past)
		if r := tc.j.Verdict(Case{Arg: tc.arg, Yours: at, Solution: sol}); len(r) > 0 {
			t.Errorf("%s at its bound fails: %q", tc.j.Name, r)
		}
		r := tc.j.Verdict(Case{Arg: tc.arg, Yours: past, Solution: sol})
		if len(r) == 0 || !strings.Contains(strings.Join(r, "\n"), tc.boundText) {
			t.Errorf("%s past its bound: %q, want a reason with %q", tc.j.Name, r, tc.boundText)
		}
	}
}
