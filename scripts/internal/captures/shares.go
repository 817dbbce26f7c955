package captures

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"

	"github.com/google/pprof/profile"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/server"
)

// hiddenFrames are folded into their caller when a sample is charged to a
// function: the scheduler, the runtime's syscall and lock plumbing, and the
// profiler's label helpers say how a goroutine waits, not what it waits for.
var hiddenFrames = regexp.MustCompile(`^(runtime\.|runtime/pprof\.|internal/|sync\.runtime_|syscall\.runtime_)`)

// ReadProfile reads and parses one profile file.
func ReadProfile(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// valueIndex picks the sample value to weigh samples by: the one in
// nanoseconds (cpu or time), else the last.
func valueIndex(p *profile.Profile) int {
	for i, st := range p.SampleType {
		if st.Unit == "nanoseconds" {
			return i
		}
	}
	return len(p.SampleType) - 1
}

// countIndex picks the sample value that counts samples (samples/count),
// or -1 when the profile has none.
func countIndex(p *profile.Profile) int {
	for i, st := range p.SampleType {
		if st.Unit == "count" {
			return i
		}
	}
	return -1
}

// frames calls fn for each function of a sample's stack, leaf first,
// inlined functions included.
func frames(s *profile.Sample, fn func(name string) bool) {
	for _, loc := range s.Location {
		for _, line := range loc.Line {
			if line.Function == nil {
				continue
			}
			if !fn(line.Function.Name) {
				return
			}
		}
	}
}

func hasFrame(s *profile.Sample, re *regexp.Regexp) bool {
	found := false
	frames(s, func(name string) bool {
		found = re.MatchString(name)
		return !found
	})
	return found
}

// FuncShare is one function's part of the focused samples.
type FuncShare struct {
	Func  string
	Value int64   // in the profile's unit (nanoseconds for CPU and fgprof)
	Share float64 // 0..1 of the focused samples
}

// Shares is how a profile's samples divide among functions, counted over
// the samples that a focus expression selects.
type Shares struct {
	Total   int64       // value of every sample in the profile
	Focused int64       // value of the samples whose stack matches the focus
	Samples int64       // how many samples matched the focus (a record may hold several)
	Top     []FuncShare // focused samples charged to their first visible frame, largest first
}

// FocusedShare is the focused samples' part of all samples.
func (s Shares) FocusedShare() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Focused) / float64(s.Total)
}

// Of returns the share charged to fn in Top, or 0.
func (s Shares) Of(fn string) float64 {
	for _, f := range s.Top {
		if f.Func == fn {
			return f.Share
		}
	}
	return 0
}

// TopFunctions keeps the samples whose stack has a frame matching focus
// and charges each to its first frame, from the leaf, that is not runtime
// plumbing (hiddenFrames): a goroutine parked in time.Sleep is charged to
// time.Sleep, one waiting for a lock to sync.(*Mutex).Lock, one in C code
// to the cgo call that entered it.
func TopFunctions(p *profile.Profile, focus *regexp.Regexp) Shares {
	vi, ci := valueIndex(p), countIndex(p)
	var out Shares
	byFunc := map[string]int64{}
	for _, s := range p.Sample {
		v := s.Value[vi]
		out.Total += v
		if !hasFrame(s, focus) {
			continue
		}
		out.Focused += v
		if ci >= 0 {
			out.Samples += s.Value[ci]
		} else {
			out.Samples++
		}
		charged, leaf := "", ""
		frames(s, func(name string) bool {
			if leaf == "" {
				leaf = name
			}
			if !hiddenFrames.MatchString(name) {
				charged = name
				return false
			}
			return true
		})
		if charged == "" {
			charged = leaf
		}
		byFunc[charged] += v
	}
	for fn, v := range byFunc {
		out.Top = append(out.Top, FuncShare{Func: fn, Value: v, Share: ratio(v, out.Focused)})
	}
	sort.Slice(out.Top, func(i, j int) bool {
		if out.Top[i].Value != out.Top[j].Value {
			return out.Top[i].Value > out.Top[j].Value
		}
		return out.Top[i].Func < out.Top[j].Func
	})
	return out
}

// CumShare is the part of the focused samples whose stack holds a frame
// matching fn anywhere: how much of the handler's time is spent in or
// under fn, as go tool pprof's cum column says it.
func CumShare(p *profile.Profile, focus, fn *regexp.Regexp) float64 {
	vi := valueIndex(p)
	var focused, in int64
	for _, s := range p.Sample {
		if !hasFrame(s, focus) {
			continue
		}
		focused += s.Value[vi]
		if hasFrame(s, fn) {
			in += s.Value[vi]
		}
	}
	return ratio(in, focused)
}

// CumShareUnder is CumShare of the samples whose stack holds a frame
// matching fn below one matching under: how much of the handler's time a
// wait (a lock, a sleep) takes inside the bottleneck's own frames, not
// anywhere (the database pool's lock is not the audit log's).
func CumShareUnder(p *profile.Profile, focus, fn, under *regexp.Regexp) float64 {
	vi := valueIndex(p)
	var focused, in int64
	for _, s := range p.Sample {
		if !hasFrame(s, focus) {
			continue
		}
		focused += s.Value[vi]
		if below(s, fn, under) {
			in += s.Value[vi]
		}
	}
	return ratio(in, focused)
}

// below reports whether a frame matching fn is on s's stack below (nearer
// the leaf than) a frame matching under.
func below(s *profile.Sample, fn, under *regexp.Regexp) bool {
	seen, found := false, false
	frames(s, func(name string) bool { // leaf first
		if !seen && fn.MatchString(name) {
			seen = true
		}
		if seen && under.MatchString(name) {
			found = true
			return false
		}
		return true
	})
	return found
}

// LabelShares divides the samples that have a frame matching focus and
// carry label key by the label's values, and says what part of the
// focused samples carry it: with the users service's pprof labels,
// LabelShares(cpu, server.HandlerFrames, "step") says how the handler's
// CPU time splits among parse, db, render and added steps. Samples of
// other goroutines that inherited the labels (those a step starts) are
// not the handler's and are left out, so no share exceeds 100%.
func LabelShares(p *profile.Profile, focus *regexp.Regexp, key string) (shares []FuncShare, labelled float64) {
	vi := valueIndex(p)
	var total, focused int64
	by := map[string]int64{}
	for _, s := range p.Sample {
		if !hasFrame(s, focus) {
			continue
		}
		focused += s.Value[vi]
		vals := s.Label[key]
		if len(vals) == 0 {
			continue
		}
		by[vals[0]] += s.Value[vi]
		total += s.Value[vi]
	}
	for k, v := range by {
		shares = append(shares, FuncShare{Func: k, Value: v, Share: ratio(v, total)})
	}
	sort.Slice(shares, func(i, j int) bool { return shares[i].Value > shares[j].Value })
	return shares, ratio(total, focused)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ReportShares writes, for the captures of one exercise or solution, the
// share of the request handlers' samples that have the answer key's
// bottleneck on the stack, and the wait behind it below the bottleneck: in the wall-clock
// profile and in the CPU profile, the numbers make check-N and the kit's
// tests judge by. bottleneck and wait are the key's expressions (wait may
// be nil) and number the exercise's.
func ReportShares(w io.Writer, number int, bottleneck, wait *regexp.Regexp, wall, cpu *profile.Profile) {
	fmt.Fprintf(w, "Share of the request handlers' samples with the function on the stack (as pprof's cum), exercise %d\n", number)
	fmt.Fprintf(w, "  %-64s %10s %6s\n", "", "wall clock", "CPU")
	fmt.Fprintf(w, "  %-64s %9.1f%% %5.1f%%\n", "bottleneck: "+catalog.FuncName(bottleneck),
		100*CumShare(wall, server.HandlerFrames, bottleneck), 100*CumShare(cpu, server.HandlerFrames, bottleneck))
	if wait != nil {
		fmt.Fprintf(w, "  %-64s %9.1f%% %5.1f%%\n", "wait below it: "+catalog.FuncName(wait),
			100*CumShareUnder(wall, server.HandlerFrames, wait, bottleneck), 100*CumShareUnder(cpu, server.HandlerFrames, wait, bottleneck))
	}
}
