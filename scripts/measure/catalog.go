package measure

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Exercise is one line of exercises/catalog.tsv: what the Makefile, the
// scripts and the kit's tests know of an exercise.
type Exercise struct {
	Number int
	Slug   string
	Title  string
	// Bottleneck matches the exercise's function(s) behind its
	// bottleneck; nil for the baseline.
	Bottleneck *regexp.Regexp
	// Wait matches the function(s) the bottleneck waits in off CPU (a
	// lock, a sleep, a select), which a CPU profile barely samples; nil
	// when the bottleneck works on CPU.
	Wait *regexp.Regexp
	// Share is the most of the handler's wall-clock samples with the
	// bottleneck on the stack that a fixed program may keep, or -1 when
	// the fix overlaps the waits instead of removing them.
	Share float64
	// Metric is what the check compares with the solution: "rps" or
	// "p50"; empty for the baseline.
	Metric string
	// Ratio is the check's bound for Metric: rps at least Ratio × the
	// solution's, p50 at most Ratio × the solution's.
	Ratio float64
	// Floor is, for a p50 exercise, the least latency a request can have:
	// the longest of the waits that the fix overlaps. Zero otherwise.
	Floor time.Duration
}

// BottleneckName is the bottleneck's expression as a reader writes
// function names: main.(*AuditLog).Record for main\.\(\*AuditLog\)\.Record$.
func (e Exercise) BottleneckName() string {
	if e.Bottleneck == nil {
		return ""
	}
	s := strings.Trim(e.Bottleneck.String(), "^$")
	return strings.ReplaceAll(s, `\`, "")
}

// Name is the exercise's folder name, NN-slug.
func (e Exercise) Name() string { return fmt.Sprintf("%02d-%s", e.Number, e.Slug) }

// ReadCatalog reads exercises/catalog.tsv: tab-separated lines of number,
// slug, title, bottleneck, wait, share, metric, ratio, floor, with "-" where a
// column does not apply; lines starting with # are comments.
func ReadCatalog(path string) ([]Exercise, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Exercise
	seen := map[int]bool{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || strings.TrimSpace(text) == "" {
			continue
		}
		e, err := parseExercise(strings.Split(text, "\t"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if seen[e.Number] {
			return nil, fmt.Errorf("%s:%d: exercise %d listed twice", path, line, e.Number)
		}
		seen[e.Number] = true
		out = append(out, e)
	}
	return out, sc.Err()
}

// FindExercise returns exercise n of the catalog at path.
func FindExercise(path string, n int) (Exercise, error) {
	all, err := ReadCatalog(path)
	if err != nil {
		return Exercise{}, err
	}
	for _, e := range all {
		if e.Number == n {
			return e, nil
		}
	}
	return Exercise{}, fmt.Errorf("no exercise %d in %s", n, path)
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func parseExercise(col []string) (Exercise, error) {
	if len(col) != 9 {
		return Exercise{}, fmt.Errorf("%d columns, want 9 separated by tabs (number, slug, title, bottleneck, wait, share, metric, ratio, floor)", len(col))
	}
	var e Exercise
	var err error
	if e.Number, err = strconv.Atoi(col[0]); err != nil || e.Number < 0 || e.Number > 99 {
		return e, fmt.Errorf("number %q: want 0 to 99", col[0])
	}
	if !slugRE.MatchString(col[1]) {
		return e, fmt.Errorf("slug %q: want lower-case words joined by -", col[1])
	}
	e.Slug, e.Title = col[1], col[2]
	if e.Number == 0 {
		return e, nil // the baseline has no bottleneck
	}
	if e.Bottleneck, err = regexp.Compile(col[3]); err != nil || col[3] == "-" {
		return e, fmt.Errorf("bottleneck %q: want a Go regexp of function names: %v", col[3], err)
	}
	if col[4] != "-" {
		if e.Wait, err = regexp.Compile(col[4]); err != nil {
			return e, fmt.Errorf("wait %q: want a Go regexp of function names, or -: %v", col[4], err)
		}
	}
	e.Share = -1
	if col[5] != "-" {
		if e.Share, err = strconv.ParseFloat(col[5], 64); err != nil || e.Share <= 0 || e.Share >= 0.5 {
			return e, fmt.Errorf("share %q: want a fraction between 0 and 0.5, or -", col[5])
		}
	}
	e.Metric = col[6]
	if e.Metric != "rps" && e.Metric != "p50" {
		return e, fmt.Errorf("metric %q: want rps or p50", col[6])
	}
	if e.Ratio, err = strconv.ParseFloat(col[7], 64); err != nil || e.Ratio <= 0 {
		return e, fmt.Errorf("ratio %q: want a positive number", col[7])
	}
	if (e.Metric == "rps") != (e.Ratio < 1) {
		return e, fmt.Errorf("ratio %s for %s: want below 1 for rps (a floor), above 1 for p50 (a ceiling)", col[7], e.Metric)
	}
	if e.Metric == "p50" {
		if e.Floor, err = time.ParseDuration(col[8]); err != nil || e.Floor <= 0 {
			return e, fmt.Errorf("floor %q: a p50 exercise needs the least latency a request can have, like 50ms", col[8])
		}
	} else if col[8] != "-" {
		return e, fmt.Errorf("floor %q: only a p50 exercise has one; want -", col[8])
	}
	return e, nil
}
