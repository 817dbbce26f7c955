// Package flamegraph draws a profile's flame graph as go tool pprof -http
// shows it, into a PNG with headless Chromium, for the reference
// captures and the READMEs (make profiles).
package flamegraph
