package captures

import (
	"fmt"
	"github.com/slowpath/slowpath/scripts/internal/units"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	xtrace "golang.org/x/exp/trace"
)

// A TaskView is the text view of an execution trace's user-defined tasks:
// what go tool trace shows only in its web page (User-defined tasks, then
// a task's time line), for a terminal and for the kit's checks.
type TaskView struct {
	Tasks []Task // the tasks that began and ended inside the trace, slowest first
	// Cut counts the tasks whose begin or end falls outside the trace (a
	// flight recorder's window starts in the middle of some).
	Cut int
}

// Task is one runtime/trace task: a request of the users service.
type Task struct {
	ID       uint64
	Type     string        // e.g. GET /users/{id}
	Log      string        // what the task logged under the category request, e.g. GET /users/7
	Start    time.Duration // from the trace's first event
	Duration time.Duration
	Regions  []Region // the regions of the task, in the order they began
	Waits    []Wait   // the waits of the goroutine that began it and of those of its regions, longest first
}

// Region is one region of a task: a step of the handler.
type Region struct {
	Name      string
	Start     time.Duration // from the task's start
	Duration  time.Duration
	Goroutine uint64
}

// Wait is a time a task's goroutine spent blocked, and who woke it.
type Wait struct {
	Goroutine uint64
	Start     time.Duration // from the task's start
	Duration  time.Duration
	Reason    string // the runtime's reason, e.g. sync, chan receive, sleep, network, system goroutine wait
	Where     string // the innermost frames of the waiting goroutine's stack outside the runtime
	// WokenBy is the goroutine that made it runnable, and WokenAt the
	// frames it was running then (its Unlock, its channel send); 0 and ""
	// when the runtime itself woke it (a timer, the network poller).
	WokenBy uint64
	WokenAt string
}

// ReadTasks reads the trace at path into its task view.
func ReadTasks(path string) (TaskView, error) {
	f, err := os.Open(path)
	if err != nil {
		return TaskView{}, err
	}
	defer f.Close()
	return readTasks(f)
}

type openWait struct {
	since  xtrace.Time
	reason string
	where  string
}

func readTasks(r io.Reader) (TaskView, error) {
	tr, err := xtrace.NewReader(r)
	if err != nil {
		return TaskView{}, err
	}
	type taskRec struct {
		typ, log   string
		begin, end xtrace.Time
		hasB, hasE bool
		regions    []Region
		open       map[string][]xtrace.Time // region name → begin times, a stack per goroutine+name
		goroutines map[uint64]bool
	}
	tasks := map[xtrace.TaskID]*taskRec{}
	task := func(id xtrace.TaskID) *taskRec {
		t := tasks[id]
		if t == nil {
			t = &taskRec{open: map[string][]xtrace.Time{}, goroutines: map[uint64]bool{}}
			tasks[id] = t
		}
		return t
	}
	type waitRec struct {
		g                      uint64
		start                  xtrace.Time
		end                    xtrace.Time
		reason, where, wokenAt string
		wokenBy                uint64
	}
	var waits []waitRec
	waiting := map[uint64]openWait{}
	var first xtrace.Time
	seen := false
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return TaskView{}, err
		}
		if !seen {
			first, seen = ev.Time(), true
		}
		switch ev.Kind() {
		case xtrace.EventTaskBegin:
			t := task(ev.Task().ID)
			t.typ, t.begin, t.hasB = ev.Task().Type, ev.Time(), true
			t.goroutines[uint64(ev.Goroutine())] = true // the request's own, middleware included
		case xtrace.EventTaskEnd:
			t := task(ev.Task().ID)
			t.end, t.hasE = ev.Time(), true
			if t.typ == "" {
				t.typ = ev.Task().Type
			}
		case xtrace.EventLog:
			if l := ev.Log(); l.Category == "request" {
				task(l.Task).log = l.Message
			}
		case xtrace.EventRegionBegin:
			rg := ev.Region()
			t := task(rg.Task)
			key := fmt.Sprintf("%d/%s", ev.Goroutine(), rg.Type)
			t.open[key] = append(t.open[key], ev.Time())
			t.goroutines[uint64(ev.Goroutine())] = true
		case xtrace.EventRegionEnd:
			rg := ev.Region()
			t := task(rg.Task)
			key := fmt.Sprintf("%d/%s", ev.Goroutine(), rg.Type)
			if b := t.open[key]; len(b) > 0 {
				begin := b[len(b)-1]
				t.open[key] = b[:len(b)-1]
				t.regions = append(t.regions, Region{Name: rg.Type, Start: time.Duration(begin), Duration: ev.Time().Sub(begin), Goroutine: uint64(ev.Goroutine())})
			}
			t.goroutines[uint64(ev.Goroutine())] = true
		case xtrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != xtrace.ResourceGoroutine {
				continue
			}
			g := uint64(st.Resource.Goroutine())
			from, to := st.Goroutine()
			switch {
			case to == xtrace.GoWaiting:
				waiting[g] = openWait{since: ev.Time(), reason: st.Reason, where: stackFrames(st.Stack)}
			case from == xtrace.GoWaiting:
				w, ok := waiting[g]
				if !ok {
					continue
				}
				delete(waiting, g)
				rec := waitRec{g: g, start: w.since, end: ev.Time(), reason: w.reason, where: w.where}
				if by := ev.Goroutine(); by != xtrace.NoGoroutine && uint64(by) != g {
					rec.wokenBy, rec.wokenAt = uint64(by), stackFrames(ev.Stack())
				}
				waits = append(waits, rec)
			}
		}
	}
	var view TaskView
	for id, t := range tasks {
		if !t.hasB || !t.hasE {
			view.Cut++
			continue
		}
		out := Task{ID: uint64(id), Type: t.typ, Log: t.log, Start: t.begin.Sub(first), Duration: t.end.Sub(t.begin)}
		for _, rg := range t.regions {
			rg.Start = xtrace.Time(rg.Start).Sub(t.begin)
			out.Regions = append(out.Regions, rg)
		}
		sort.Slice(out.Regions, func(i, j int) bool { return out.Regions[i].Start < out.Regions[j].Start })
		for _, w := range waits {
			if !t.goroutines[w.g] || w.end < t.begin || w.start > t.end {
				continue
			}
			start, end := max(w.start, t.begin), min(w.end, t.end)
			out.Waits = append(out.Waits, Wait{Goroutine: w.g, Start: start.Sub(t.begin), Duration: end.Sub(start), Reason: w.reason, Where: w.where, WokenBy: w.wokenBy, WokenAt: w.wokenAt})
		}
		sort.Slice(out.Waits, func(i, j int) bool { return out.Waits[i].Duration > out.Waits[j].Duration })
		view.Tasks = append(view.Tasks, out)
	}
	sort.Slice(view.Tasks, func(i, j int) bool {
		if view.Tasks[i].Duration != view.Tasks[j].Duration {
			return view.Tasks[i].Duration > view.Tasks[j].Duration
		}
		return view.Tasks[i].ID < view.Tasks[j].ID
	})
	return view, nil
}

// stackFrames names the innermost frames of a stack outside the runtime, at
// most three, innermost first.
func stackFrames(s xtrace.Stack) string {
	var out []string
	for f := range s.Frames() {
		if strings.HasPrefix(f.Func, "runtime.") || strings.HasPrefix(f.Func, "internal/") {
			continue
		}
		out = append(out, f.Func)
		if len(out) == 3 {
			break
		}
	}
	return strings.Join(out, " ← ")
}

// Print writes the n slowest tasks with their regions as a time line and
// their goroutines' longest waits, with who woke each.
func (v TaskView) Print(w io.Writer, n int) {
	if len(v.Tasks) == 0 {
		fmt.Fprintf(w, "  no task began and ended inside this trace (%d cut by its edges)\n", v.Cut)
		return
	}
	var total time.Duration
	for _, t := range v.Tasks {
		total += t.Duration
	}
	fmt.Fprintf(w, "  %d tasks whole in the trace (%d cut by its edges), mean %s; the %d slowest:\n",
		len(v.Tasks), v.Cut, units.MSD(total/time.Duration(len(v.Tasks))), min(n, len(v.Tasks)))
	for i, t := range v.Tasks {
		if i == n {
			break
		}
		name := t.Type
		if t.Log != "" {
			name = t.Log
		}
		fmt.Fprintf(w, "  %d. %s  %s, at %s into the trace\n", i+1, name, units.MSD(t.Duration), units.MSD(t.Start))
		for _, rg := range t.Regions {
			fmt.Fprintf(w, "       +%-10s region %-16s %s\n", units.MSD(rg.Start), rg.Name, units.MSD(rg.Duration))
		}
		for j, wt := range t.Waits {
			if j == 3 || wt.Duration < t.Duration/20 {
				break
			}
			by := "woken by the runtime (a timer or the network poller)"
			if wt.WokenBy != 0 {
				by = fmt.Sprintf("woken by goroutine %d in %s", wt.WokenBy, orUnknown(wt.WokenAt))
			}
			fmt.Fprintf(w, "       +%-10s waited %s (%s) in %s; %s\n", units.MSD(wt.Start), units.MSD(wt.Duration), wt.Reason, orUnknown(wt.Where), by)
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(no stack)"
	}
	return s
}
