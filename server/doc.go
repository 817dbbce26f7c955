// Package server is the users service that every slowpath exercise starts
// from: GET /users/{id} on SQLite, timed, traced and labelled, beside a
// debug listener that serves the profiles.
//
// # The endpoint
//
// GET /users/{id} answers the user as JSON in three timed steps, parse, db
// and render, and sets two headers before the body:
//
//	X-Timing-MS: 0.412
//	Server-Timing: parse;dur=0.003, db;dur=0.380, render;dur=0.021, total;dur=0.412
//
// A bad id is a 400, an unknown one a 404, another method a 405, a failing
// store or step a 500 (or the status of an *HTTPError) with the cause
// logged; every error body is {"error": "..."}. A panic is logged and
// answered with 500.
//
// Each request is a runtime/trace task named by Route and each step a
// region, so go tool trace lists them under its user-defined tasks and
// regions. Each step runs under the pprof labels route and step, so
//
//	go tool pprof -tagfocus=step=db cpu.pprof
//
// keeps only the samples taken during database lookups.
//
// # The debug listener
//
// Profiles are served by their own http.Server on their own mux (see
// DebugHandler), bound to localhost:6060 by default. An address that other
// machines can reach needs Config.DebugPublic (-debug-public) and logs a
// warning. Block and mutex profiling are on at the rates in Config.
//
// # The flight recorder
//
// With -flight-slow set (Config.Flight), the server keeps the last moments
// of its execution trace in memory (runtime/trace.FlightRecorder), and a
// request slower than the threshold writes them to
// flight-<time>.trace in the working folder (or -flight-dir), at most one
// per -flight-cooldown, and logs the file's path with the command that
// opens it:
//
//	go tool trace flight-20261201T120000.000Z.trace
//
// Each request's task logs its method and path under the category
// request, so the slow request is found among the user-defined tasks.
// The debug listener serves the same window on demand:
//
//	curl -o flight.trace http://localhost:6060/debug/flight
//
// The recorder runs beside a trace that /debug/pprof/trace takes; only one
// snapshot is written at a time, and /debug/flight answers 503 while
// another is.
//
// # The seam
//
// An exercise or a solution is a main package of a few lines around Main.
// Main defines the server's flags beside the program's own, parses them,
// hands DefaultConfig, as the flags changed it, to the program's setup,
// then serves until SIGINT or SIGTERM:
//
//	func main() {
//		latency := flag.Duration("geo-latency", 5*time.Millisecond, "how long the geo service takes")
//		server.Main("geo", func(cfg *server.Config) error {
//			cfg.Steps = append(cfg.Steps, server.Step{Name: "geo", Run: func(ctx context.Context, p *server.Page) error {
//				time.Sleep(*latency) // a slow dependency
//				return nil
//			}})
//			return nil
//		})
//	}
//
// Config.Middleware wraps every request, Config.Steps adds timed steps
// between db and render, and Config.Closers run at shutdown once in-flight
// requests are done. Setup logs to cfg.Logger, which DefaultConfig sets
// (New rejects a Config without one). Config.ReadyFile (-ready-file) is
// where Serve writes the listeners' addresses once they serve (see Ready):
// the kit's scripts wait for it. HandlerFrames matches the frames of a
// goroutine that handles a request, which the kit's shares count.
//
// What the exercises lean on and their fixes never touch lives in
// packages beside this one: flagfile (the feature-flags file), shop (a
// database whose queries take real time) and shipping (a downstream HTTP
// service on loopback); servertest starts the real server in tests.
package server
