package load

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// HeyReport is the summary that go tool hey prints after a load.
type HeyReport struct {
	Total       float64         // seconds the load ran
	Average     float64         // mean latency of the answered requests, seconds
	RPS         float64         // answers (and errors) per second, as hey counts them
	Percentiles map[int]float64 // latency by percentile (10, 25, 50, 75, 90, 95, 99), seconds
	Status      map[int]int     // answers by status code
	Errors      map[string]int  // transport errors by message
}

// Responses is the number of answers that carried a status code.
func (r HeyReport) Responses() int {
	n := 0
	for _, c := range r.Status {
		n += c
	}
	return n
}

// Non2xx is the number of answers whose status was not 2xx.
func (r HeyReport) Non2xx() int {
	n := 0
	for code, c := range r.Status {
		if code < 200 || code > 299 {
			n += c
		}
	}
	return n
}

// TransportErrors is the number of requests that got no answer at all.
func (r HeyReport) TransportErrors() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// StatusCodes lists the status codes seen, in order.
func (r HeyReport) StatusCodes() []int {
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

var (
	heyField      = regexp.MustCompile(`^\s*(Total|Average|Requests/sec):\s+([0-9.]+)`)
	heyPercentile = regexp.MustCompile(`^\s*(\d+)%{1,2} in ([0-9.]+) secs`) // hey v0.1.5 prints "10%% in"
	heyCounted    = regexp.MustCompile(`^\s*\[(\d+)\]\s+(.*)$`)
)

// ParseHey reads hey's default (non-CSV) output. It copes with the doubled
// percent signs of hey v0.1.5 ("50%% in 0.0102 secs") and with a report
// that has no latencies because every request failed.
func ParseHey(r io.Reader) (HeyReport, error) {
	rep := HeyReport{Percentiles: map[int]float64{}, Status: map[int]int{}, Errors: map[string]int{}}
	section := ""
	sawSummary := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "Summary:":
			sawSummary = true
			section = "summary"
			continue
		case strings.HasPrefix(trimmed, "Status code distribution:"):
			section = "status"
			continue
		case strings.HasPrefix(trimmed, "Error distribution:"):
			section = "errors"
			continue
		case strings.HasSuffix(trimmed, ":") && !strings.HasPrefix(trimmed, "["):
			section = trimmed
			continue
		}
		if m := heyField.FindStringSubmatch(line); m != nil && section == "summary" {
			v, _ := strconv.ParseFloat(m[2], 64)
			switch m[1] {
			case "Total":
				rep.Total = v
			case "Average":
				rep.Average = v
			case "Requests/sec":
				rep.RPS = v
			}
			continue
		}
		if m := heyPercentile.FindStringSubmatch(line); m != nil {
			p, _ := strconv.Atoi(m[1])
			v, _ := strconv.ParseFloat(m[2], 64)
			rep.Percentiles[p] = v
			continue
		}
		if m := heyCounted.FindStringSubmatch(line); m != nil {
			first, _ := strconv.Atoi(m[1])
			switch section {
			case "status": // "[200]	40805 responses"
				var n int
				if _, err := fmt.Sscanf(m[2], "%d responses", &n); err == nil {
					rep.Status[first] += n
				}
			case "errors": // "[12]	Get ...: connection refused"
				rep.Errors[strings.TrimSpace(m[2])] += first
			}
		}
	}
	if err := sc.Err(); err != nil {
		return rep, err
	}
	if !sawSummary {
		return rep, fmt.Errorf("no hey summary found (did hey run?)")
	}
	return rep, nil
}
