package server

import (
	"encoding/json"
	"math"
	"net/http"
	"runtime/metrics"
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
	Name  string         // lower case, words joined by _, e.g. shop_queries_total
	Help  string         // one line: what it counts, and in what unit
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
}

// vars serves /debug/vars: one JSON object, each metric's name mapped to
// {"value": number, "help": text}, names in order (as encoding/json
// writes a map). Reading the runtime's
// metrics takes microseconds and stops nothing.
type vars struct {
	mu      sync.Mutex // guards samples
	samples []metrics.Sample
	extra   []Metric
}

func newVars(extra []Metric) *vars {
	v := &vars{extra: extra}
	for _, m := range runtimeMetrics {
		v.samples = append(v.samples, metrics.Sample{Name: m.key})
	}
	return v
}

// VarsValue is one metric as /debug/vars reports it.
type VarsValue struct {
	Value float64 `json:"value"`
	Help  string  `json:"help"`
}

// read returns every metric's value now.
func (v *vars) read() map[string]VarsValue {
	out := make(map[string]VarsValue, len(v.samples)+len(v.extra))
	v.mu.Lock()
	metrics.Read(v.samples)
	for i, m := range runtimeMetrics {
		var f float64
		switch s := v.samples[i].Value; s.Kind() {
		case metrics.KindUint64:
			f = float64(s.Uint64())
		case metrics.KindFloat64:
			f = s.Float64()
		}
		out[m.name] = VarsValue{Value: f, Help: m.help}
	}
	v.mu.Unlock()
	for _, m := range v.extra {
		out[m.Name] = VarsValue{Value: m.Value(), Help: m.Help}
	}
	return out
}

func (v *vars) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vals := v.read()
	for name, val := range vals {
		if math.IsNaN(val.Value) || math.IsInf(val.Value, 0) { // JSON has no such number
			vals[name] = VarsValue{Help: val.Help + " (no number now)"}
		}
	}
	b, _ := json.MarshalIndent(vals, "", "  ") // finite numbers and strings, keys in order
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(append(b, '\n'))
}

// Vars is what /debug/vars answered: each metric by its name.
type Vars map[string]VarsValue

// Get is the value of the named metric, 0 when the program has none.
func (v Vars) Get(name string) float64 { return v[name].Value }

// Has reports whether the program reports the named metric.
func (v Vars) Has(name string) bool { _, ok := v[name]; return ok }
