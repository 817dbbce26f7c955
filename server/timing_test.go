package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metric is one server-timing-metric of a Server-Timing header.
type metric struct {
	name   string
	params map[string]string
}

// parseServerTiming parses a Server-Timing value by the W3C grammar:
//
//	Server-Timing             = #server-timing-metric
//	server-timing-metric      = metric-name *( OWS ";" OWS server-timing-param )
//	metric-name               = token
//	server-timing-param       = server-timing-param-name OWS "=" OWS server-timing-param-value
//	server-timing-param-name  = token
//	server-timing-param-value = token / quoted-string
func parseServerTiming(v string) ([]metric, error) {
	var out []metric
	s := v
	ows := func() { s = strings.TrimLeft(s, " \t") }
	token := func() string {
		i := 0
		for i < len(s) && isToken(s[i:i+1]) {
			i++
		}
		tok := s[:i]
		s = s[i:]
		return tok
	}
	for {
		ows()
		m := metric{name: token(), params: map[string]string{}}
		if m.name == "" {
			return nil, fmt.Errorf("%q: metric name expected at %q", v, s)
		}
		for {
			ows()
			if !strings.HasPrefix(s, ";") {
				break
			}
			s = s[1:]
			ows()
			name := token()
			ows()
			if name == "" || !strings.HasPrefix(s, "=") {
				return nil, fmt.Errorf("%q: param name and = expected at %q", v, s)
			}
			s = s[1:]
			ows()
			var val string
			if strings.HasPrefix(s, `"`) {
				end := strings.IndexByte(s[1:], '"')
				if end < 0 {
					return nil, fmt.Errorf("%q: unterminated quoted string", v)
				}
				val, s = s[1:1+end], s[2+end:]
			} else if val = token(); val == "" {
				return nil, fmt.Errorf("%q: param value expected at %q", v, s)
			}
			m.params[name] = val
		}
		out = append(out, m)
		ows()
		if s == "" {
			return out, nil
		}
		if !strings.HasPrefix(s, ",") {
			return nil, fmt.Errorf("%q: , expected at %q", v, s)
		}
		s = s[1:]
	}
}

func TestParseServerTimingRejects(t *testing.T) {
	// The parser below is what the header test trusts: it must fail on
	// what the grammar forbids.
	for _, bad := range []string{"", "db;dur", "db;=1", "db dur=1", "db;dur=1,", "d(b);dur=1", `db;desc="open`} {
		if _, err := parseServerTiming(bad); err == nil {
			t.Errorf("parseServerTiming(%q) succeeded, want an error", bad)
		}
	}
	m, err := parseServerTiming(`db;dur=0.380;desc="users by id" , total;dur=1`)
	if err != nil || len(m) != 2 || m[0].params["desc"] != "users by id" || m[1].params["dur"] != "1" {
		t.Fatalf("got %+v, %v", m, err)
	}
}

// durUS parses a dur param written with three decimals into microseconds.
func durUS(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 3 {
		t.Fatalf("dur %q: want milliseconds with three decimals", s)
	}
	ms, err1 := strconv.ParseInt(whole, 10, 64)
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || ms < 0 {
		t.Fatalf("dur %q is not a non-negative number", s)
	}
	return ms*1000 + us
}

func TestTimingHeaders(t *testing.T) {
	slow := Step{Name: "fraud-check", Run: func(ctx context.Context, p *Page) error {
		time.Sleep(2 * time.Millisecond)
		return nil
	}}
	app := newTestApp(t, func(c *Config) { c.Steps = []Step{slow} })
	for _, tc := range []struct {
		path   string
		status int
		steps  []string
	}{
		{"/users/42", 200, []string{"parse", "db", "fraud-check", "render"}},
		{"/users/999999", 404, []string{"parse", "db"}},
		{"/users/x", 400, []string{"parse"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, _ := get(t, app, "GET", tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if len(resp.Trailer) != 0 {
				t.Errorf("trailers %v: timing must come in the headers, before the body", resp.Trailer)
			}
			st := resp.Header.Values("Server-Timing")
			if len(st) != 1 {
				t.Fatalf("Server-Timing %q: want one header", st)
			}
			metrics, err := parseServerTiming(st[0])
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var sum int64
			for _, m := range metrics {
				names = append(names, m.name)
				if m.name != "total" {
					sum += durUS(t, m.params["dur"])
				}
			}
			want := strings.Join(append(tc.steps, "total"), ",")
			if strings.Join(names, ",") != want {
				t.Fatalf("metrics %v, want %s", names, want)
			}
			total := durUS(t, metrics[len(metrics)-1].params["dur"])
			if sum > total {
				t.Errorf("steps add up to %d µs, more than the total %d µs: %s", sum, total, st[0])
			}
			if x := resp.Header.Get("X-Timing-MS"); x != metrics[len(metrics)-1].params["dur"] {
				t.Errorf("X-Timing-MS %q differs from Server-Timing's total in %s", x, st[0])
			}
			if tc.status == 200 {
				for _, m := range metrics {
					if m.name == "fraud-check" && durUS(t, m.params["dur"]) < 2000 {
						t.Errorf("fraud-check took at least 2 ms, header says %s µs", m.params["dur"])
					}
				}
			}
		})
	}
}

func TestAppendMS(t *testing.T) {
	for _, tc := range []struct {
		d        time.Duration
		up, down string
	}{
		{0, "0.000", "0.000"},
		{412 * time.Microsecond, "0.412", "0.412"},
		{412*time.Microsecond + 1, "0.413", "0.412"},
		{50*time.Millisecond + 999*time.Nanosecond, "50.001", "50.000"},
		{12*time.Second + 5*time.Microsecond, "12000.005", "12000.005"},
	} {
		if got := string(appendMS(nil, tc.d, true)); got != tc.up {
			t.Errorf("appendMS(%v, up) = %s, want %s", tc.d, got, tc.up)
		}
		if got := string(appendMS(nil, tc.d, false)); got != tc.down {
			t.Errorf("appendMS(%v, down) = %s, want %s", tc.d, got, tc.down)
		}
	}
}
