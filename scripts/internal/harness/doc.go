// Package harness is the kit's one measurement loop and its one capture
// step. Loop.Run is the loop of make exercise-N, make solution-N and make
// profiles: it builds a program, starts it, shows one answer's headers,
// loads it with go tool hey while it captures the profiles, the execution
// trace and the program's own numbers, loads it again at a constant rate
// if asked, stops it gracefully and summarizes, printing each step as the
// command a learner would type. Measure is the load of make check-N:
// every answer checked, with the CPU, wall-clock and allocation profiles
// and, if asked, a trace. Both capture through one step (captureWindow),
// so a new capture is added there, once, for all of them. (make bench
// captures nothing: it only loads, through package load.)
//
// It runs programs through proc, loads them through load, reads what they
// leave through captures and report; nothing below it imports it.
package harness
