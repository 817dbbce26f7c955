package captures

import (
	"bytes"
	"context"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"
)

// holdLock is the goroutine that keeps the lock: its name must show as
// the waker of the task's wait.
func holdLock(mu *sync.Mutex, held chan<- struct{}, d time.Duration) {
	mu.Lock()
	close(held)
	time.Sleep(d)
	mu.Unlock()
}

// TestTaskView traces a task whose region waits for a lock that another
// goroutine holds for 200 ms, beside fast tasks: the view puts it first,
// with its region, its wait, and the holder as the goroutine that woke it.
func TestTaskView(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is already running")
	}
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ctx, task := trace.NewTask(context.Background(), "GET /users/{id}")
		trace.Log(ctx, "request", "GET /users/fast")
		trace.WithRegion(ctx, "db", func() { _ = i })
		task.End()
	}
	var mu sync.Mutex
	held := make(chan struct{})
	go holdLock(&mu, held, 200*time.Millisecond)
	<-held
	ctx, task := trace.NewTask(context.Background(), "GET /users/{id}")
	trace.Log(ctx, "request", "GET /users/7")
	trace.WithRegion(ctx, "prices", func() {
		mu.Lock()
		mu.Unlock()
	})
	task.End()
	trace.Stop()

	v, err := readTasks(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tasks) != 6 {
		t.Fatalf("%d tasks, want 6", len(v.Tasks))
	}
	slow := v.Tasks[0]
	if slow.Log != "GET /users/7" || slow.Duration < 150*time.Millisecond {
		t.Fatalf("slowest task %q took %s, want GET /users/7 near 200 ms", slow.Log, slow.Duration)
	}
	if len(slow.Regions) != 1 || slow.Regions[0].Name != "prices" || slow.Regions[0].Duration < 150*time.Millisecond {
		t.Errorf("regions %+v, want prices, near 200 ms", slow.Regions)
	}
	if len(slow.Waits) == 0 {
		t.Fatal("no wait recorded for the slow task")
	}
	w := slow.Waits[0]
	if w.Duration < 150*time.Millisecond || !strings.Contains(w.Where, "Mutex") || w.WokenBy == 0 || !strings.Contains(w.WokenAt, "holdLock") {
		t.Errorf("longest wait %+v: want ~200 ms in sync.(*Mutex).Lock, woken by the goroutine in holdLock", w)
	}
	var out strings.Builder
	v.Print(&out, 2)
	for _, want := range []string{"1. GET /users/7", "region prices", "woken by goroutine", "holdLock"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Print lacks %q:\n%s", want, out.String())
		}
	}
}
