package server

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sleepStep is a step that waits off CPU, as the exercises' slow calls do.
func sleepStep(ctx context.Context, p *Page) error {
	time.Sleep(20 * time.Millisecond)
	return nil
}

// TestHandlerFramesMatchACapture holds HandlerFrames to a real fgprof
// capture under load: every sample of a goroutine inside a step carries a
// frame it matches, both the app's handler and the step runner are seen,
// and the goroutines that handle no request (idle connections, the
// runtime) carry none. A rename of a handler frame fails here, instead of
// driving every share the kit computes to zero.
func TestHandlerFramesMatchACapture(t *testing.T) {
	app := newTestApp(t, func(c *Config) { c.Steps = []Step{{Name: "sleep", Run: sleepStep}} })
	stop := make(chan struct{})
	wg := busy(t, app, stop)
	wall := capture(t, app, "/debug/fgprof?seconds=1")
	close(stop)
	wg.Wait()

	inStep := regexp.MustCompile(`^github\.com/slowpath/slowpath/server\.sleepStep$`)
	seen := map[string]bool{}
	var stepSamples, marked, unmarkedIdle int
	for _, s := range wall.Sample {
		var names []string
		for _, loc := range s.Location {
			for _, line := range loc.Line {
				names = append(names, line.Function.Name)
			}
		}
		step, handler := false, false
		for _, n := range names {
			step = step || inStep.MatchString(n)
			if HandlerFrames.MatchString(n) {
				handler = true
				seen[n[strings.LastIndex(n, "/")+1:]] = true
			}
		}
		if step {
			stepSamples++
			if !handler {
				t.Errorf("a goroutine inside a step has no frame that HandlerFrames matches: %v", names)
			}
		}
		if handler {
			marked++
		} else {
			unmarkedIdle++
		}
	}
	if stepSamples == 0 {
		t.Fatalf("no fgprof sample inside the step in a 1 s capture under load (%d samples)", len(wall.Sample))
	}
	for _, want := range []string{"server.(*App).ServeHTTP", "server.(*usersHandler).runStep"} {
		if !seen[want] {
			t.Errorf("no sample holds %s; frames matched: %v", want, seen)
		}
	}
	if unmarkedIdle == 0 {
		t.Errorf("every sample matched HandlerFrames (%d): it must leave out the goroutines that handle no request", marked)
	}
}
