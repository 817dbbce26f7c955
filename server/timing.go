package server

import (
	"net/http"
	"strconv"
	"time"
)

// maxSteps bounds the steps one request can time without allocating.
const maxSteps = 16

// timer records how long each step of one request took.
type timer struct {
	start time.Time
	n     int
	names [maxSteps]string
	durs  [maxSteps]time.Duration
}

func (t *timer) add(name string, d time.Duration) {
	if t.n < maxSteps {
		t.names[t.n], t.durs[t.n] = name, d
		t.n++
	}
}

// setHeaders writes X-Timing-MS and Server-Timing into h. It must run
// before the body is written: headers set after the first Write are
// silently dropped.
//
// Steps are rounded down and the total up to the microsecond, so the steps
// a client reads never add up to more than the total it reads.
func (t *timer) setHeaders(h http.Header) {
	total := time.Since(t.start)
	buf := make([]byte, 0, 32*(t.n+1))
	for i := 0; i < t.n; i++ {
		buf = append(buf, t.names[i]...)
		buf = append(buf, ";dur="...)
		buf = appendMS(buf, t.durs[i], false)
		buf = append(buf, ", "...)
	}
	buf = append(buf, "total;dur="...)
	at := len(buf)
	buf = appendMS(buf, total, true)
	st := string(buf)
	h["Server-Timing"] = []string{st}
	h["X-Timing-Ms"] = []string{st[at:]} // the total, shared with Server-Timing
}

// appendMS appends d in milliseconds with three decimals (microseconds),
// rounded up or down.
func appendMS(buf []byte, d time.Duration, up bool) []byte {
	us := d / time.Microsecond
	if up && d%time.Microsecond != 0 {
		us++
	}
	ms, frac := int64(us)/1000, int64(us)%1000
	buf = strconv.AppendInt(buf, ms, 10)
	return append(buf, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}
