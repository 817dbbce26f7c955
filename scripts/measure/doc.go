// Package measure reads what a slowpath measurement leaves behind: the
// report of go tool hey, the CPU and wall-clock profiles, and the check of
// response bodies made during the load. The loop's summary, the benchmark
// and the kit's tests all read their numbers through it.
package measure
