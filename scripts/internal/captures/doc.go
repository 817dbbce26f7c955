// Package captures reads what a measurement leaves behind: the profiles
// (ReadProfile; the share of the request handlers' samples that a
// function holds, on CPU and on the wall clock: Shares, CumShare,
// LabelShares; the goroutines a profile counts), the execution trace (the
// user-defined tasks as text: ReadTasks; its system calls as a profile:
// SyscallProfile), and the program's own numbers at /debug/vars before
// and after a load (VarsChange).
package captures
