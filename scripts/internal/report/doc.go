// Package report turns a measurement into what people read: the loop's
// summary (Summarize: throughput and latency, the answers checked,
// Little's law, the program's own numbers, where the handlers spend their
// time on CPU and on the wall clock, the commands that open each capture,
// the slowest requests of the trace: WriteTasks), and the check's result
// as JSON (CheckResult), which make docs quotes.
package report
