package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/felixge/fgprof"
)

// DebugHandler returns the handler of the debug listener, on a mux of its
// own (never http.DefaultServeMux):
//
//	/debug/pprof/          index of the runtime profiles
//	/debug/pprof/profile   CPU profile (?seconds=N)
//	/debug/pprof/trace     execution trace (?seconds=N), for go tool trace
//	/debug/pprof/{name}    heap, goroutine, block, mutex, allocs, threadcreate
//	                       (?seconds=N gives the change over N seconds)
//	/debug/pprof/cmdline   the command line
//	/debug/pprof/symbol    symbol lookup for go tool pprof
//	/debug/fgprof          wall-clock profile of every goroutine (?seconds=N)
//	/debug/flight          the flight recorder's window now, for go tool trace
//	                       (a 404 when it is off: see FlightConfig)
//	/debug/vars            the program's numbers now, as JSON in expvar's
//	                       format (a variable a line): the runtime's
//	                       (goroutines, allocations, GC CPU), and the app's
//	                       and the exercise's (see Metric)
//
// A program built by Go 1.27, or by Go 1.26 with
// GOEXPERIMENT=goroutineleakprofile, also serves
// /debug/pprof/goroutineleak: the goroutines blocked forever, on a
// channel or a lock that nothing running can reach.
func DebugHandler() http.Handler { return debugHandler(nil, newVars(nil)) }

// debugHandler is DebugHandler, with the app's flight recorder (nil when
// off) behind /debug/flight and its metrics behind /debug/vars.
func debugHandler(f *flight, v *vars) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/debug/flight", f)
	mux.Handle("/debug/vars", v)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/fgprof", fgprof.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, "/debug/pprof/", http.StatusFound)
	})
	return mux
}
