package load

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
)

// startServer serves the users service on loopback for the test's length.
func startServer(t *testing.T) *server.App {
	return servertest.Start(t, servertest.Config())
}

// hey runs the real go tool hey and parses what it prints.
func hey(t *testing.T, args ...string) HeyReport {
	t.Helper()
	out, err := exec.Command("go", append([]string{"tool", "hey"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool hey %v: %v\n%s", args, err, out)
	}
	rep, err := ParseHey(strings.NewReader(string(out)))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rep
}

func TestParseHeyOfARealLoad(t *testing.T) {
	app := startServer(t)
	rep := hey(t, "-n", "300", "-c", "10", "http://"+app.Addr().String()+"/users/42")
	if rep.Status[200] != 300 || rep.Responses() != 300 || rep.Non2xx() != 0 || rep.TransportErrors() != 0 {
		t.Fatalf("status %v, errors %v; want 300 × 200", rep.Status, rep.Errors)
	}
	if rep.RPS <= 0 || rep.Average <= 0 || rep.Total <= 0 {
		t.Errorf("RPS %v, Average %v, Total %v: want all positive", rep.RPS, rep.Average, rep.Total)
	}
	prev := 0.0
	for _, p := range []int{10, 25, 50, 75, 90, 95, 99} {
		v, ok := rep.Percentiles[p]
		if !ok || v < prev {
			t.Fatalf("percentiles %v: want 10..99, non-decreasing", rep.Percentiles)
		}
		prev = v
	}
	rep = hey(t, "-n", "40", "-c", "4", "http://"+app.Addr().String()+"/users/999999")
	if rep.Status[404] != 40 || rep.Non2xx() != 40 {
		t.Errorf("unknown ids: status %v, want 40 × 404 counted as non-2xx", rep.Status)
	}
}

func TestParseHeyOfTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rep := hey(t, "-n", "20", "-c", "2", "http://"+addr+"/users/1")
	if rep.TransportErrors() != 20 || rep.Responses() != 0 {
		t.Fatalf("errors %v, status %v; want 20 transport errors", rep.Errors, rep.Status)
	}
}

func TestParseHeyPercentSigns(t *testing.T) {
	// hey v0.1.5 doubles the percent sign of its latency lines; a fixed
	// version would not. Both must parse.
	for _, line := range []string{"  50%% in 0.0102 secs", "  50% in 0.0102 secs"} {
		rep, err := ParseHey(strings.NewReader("\nSummary:\n  Total:\t1.0 secs\n\nLatency distribution:\n" + line + "\n"))
		if err != nil || rep.Percentiles[50] != 0.0102 {
			t.Errorf("%q: %v, %v; want p50 = 0.0102", line, rep.Percentiles, err)
		}
	}
	if _, err := ParseHey(strings.NewReader("flag provided but not defined: -q\n")); err == nil {
		t.Error("ParseHey accepted output with no summary")
	}
}
