package server

import (
	"encoding/json"
	"expvar"
	"fmt"
	"math"
	"net/http"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
)

// Metric is one number the program reports about itself at /debug/vars
// on the debug listener: what an exercise's bottleneck class needs
// counted from the inside (connections a downstream accepted, queries a
// page made, time spent waiting for a pooled connection), beside the
// runtime's own numbers.
//
// A Name that ends in _total is a counter, which only grows: what a load
// cost is its change over the load, which the kit's summary and checks
// divide by the change of requests_total. Any other name is a gauge, a
// level read at one moment (goroutines, connections in use).
type Metric struct {
	Name string // lower case, words joined by _, e.g. shop_queries_total
	// Help says in one line what it counts, and in what unit. expvar's
	// answer has no place for it: it is for the reader of the code.
	Help  string
	Value func() float64 // read at each request of /debug/vars; safe for concurrent use
}

// runtimeMetrics are the runtime/metrics samples every program reports,
// by the name /debug/vars gives each.
var runtimeMetrics = []struct{ name, key, help string }{
	{"goroutines", "/sched/goroutines:goroutines", "goroutines alive now"},
	{"heap_alloc_objects_total", "/gc/heap/allocs:objects", "heap objects allocated since the start"},
	{"heap_alloc_bytes_total", "/gc/heap/allocs:bytes", "bytes allocated on the heap since the start"},
	{"heap_live_bytes", "/gc/heap/live:bytes", "heap bytes marked live by the last GC"},
	{"gc_cycles_total", "/gc/cycles/total:gc-cycles", "GC cycles completed since the start"},
	{"gc_cpu_seconds_total", "/cpu/classes/gc/total:cpu-seconds", "CPU seconds the GC has used (estimated by the runtime), mark assists included"},
	{"gc_assist_cpu_seconds_total", "/cpu/classes/gc/mark/assist:cpu-seconds", "CPU seconds goroutines spent assisting the GC instead of running their own code"},
	{"cpu_seconds_total", "/cpu/classes/total:cpu-seconds", "CPU seconds available to the program since the start (GOMAXPROCS × wall time), busy or idle"},
	{"cpu_idle_seconds_total", "/cpu/classes/idle:cpu-seconds", "CPU seconds of that the program left idle"},
	{"gomaxprocs", "/sched/gomaxprocs:threads", "GOMAXPROCS now: how many goroutines can run Go code at once"},
}

// publishRuntime publishes the runtime's numbers to expvar, once for the
// process: they are the process's, whichever App serves them.
var publishRuntime = sync.OnceFunc(func() {
	for _, m := range runtimeMetrics {
		sample := []metrics.Sample{{Name: m.key}}
		var mu sync.Mutex // guards sample
		expvar.Publish(m.name, number(func() float64 {
			mu.Lock()
			defer mu.Unlock()
			metrics.Read(sample)
			switch v := sample[0].Value; v.Kind() {
			case metrics.KindUint64:
				return float64(v.Uint64())
			case metrics.KindFloat64:
				return v.Float64()
			}
			return math.NaN()
		}))
	}
})

// number is an expvar.Func of a float64, which writes null where JSON
// has no number (NaN, ±Inf) instead of the empty text that would spoil
// the whole answer.
func number(f func() float64) expvar.Func {
	return func() any {
		v := f()
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
}

// vars serves /debug/vars in expvar's format (expvar.Handler's): one JSON
// object, a variable a line, names in order. It holds every variable
// published to expvar in the process (expvar's cmdline and memstats, the
// runtime's numbers, anything a program publishes itself), and this
// App's own numbers, which are kept apart from expvar's process-wide
// registry so that two Apps in one process (the tests) each serve their
// own. Reading the runtime's metrics takes microseconds and stops
// nothing; expvar's memstats stops the world for a moment
// (runtime.ReadMemStats), once an answer.
type vars struct {
	own map[string]expvar.Var
}

func newVars(own []Metric) *vars {
	publishRuntime()
	v := &vars{own: map[string]expvar.Var{}}
	for _, m := range own {
		v.own[m.Name] = number(m.Value)
	}
	return v
}

func (v *vars) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	all := map[string]expvar.Var{}
	expvar.Do(func(kv expvar.KeyValue) { all[kv.Key] = kv.Value })
	for name, val := range v.own {
		all[name] = val
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("{\n")
	for i, name := range names {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "%q: %s", name, all[name].String())
	}
	b.WriteString("\n}\n")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write([]byte(b.String()))
}

// Vars is what /debug/vars answered: each variable that is a number, by
// its name (expvar's cmdline and memstats, which are not, are left out).
type Vars map[string]float64

// UnmarshalJSON reads a /debug/vars answer. It also reads the form the
// kit's earlier captures saved, where each number stood in an object,
// {"value": 12, "help": "..."}.
func (v *Vars) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Vars, len(raw))
	for name, r := range raw {
		var f float64
		if json.Unmarshal(r, &f) == nil && string(r) != "null" {
			out[name] = f
			continue
		}
		var old struct {
			Value *float64 `json:"value"`
		}
		if json.Unmarshal(r, &old) == nil && old.Value != nil {
			out[name] = *old.Value
		}
	}
	*v = out
	return nil
}

// Get is the value of the named metric, 0 when the program has none.
func (v Vars) Get(name string) float64 { return v[name] }

// Has reports whether the program reports the named metric as a number.
func (v Vars) Has(name string) bool { _, ok := v[name]; return ok }
