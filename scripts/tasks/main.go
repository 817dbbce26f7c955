// Command tasks prints the user-defined tasks of an execution trace as
// text: the slowest requests, each with its regions (the handler's steps)
// as a time line, and the longest waits of its goroutines with the
// goroutine that woke each and where. go tool trace shows tasks only in
// its web page; this is the same for a terminal.
//
//	go run ./scripts/tasks trace.out
//	go run ./scripts/tasks -n 3 flight-20261201T120000.000Z.trace
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/slowpath/slowpath/scripts/internal/captures"
)

func main() {
	n := flag.Int("n", 5, "how many of the slowest `tasks` to show")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: tasks [-n N] TRACE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	v, err := captures.ReadTasks(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "tasks:", err)
		os.Exit(1)
	}
	fmt.Printf("Tasks of %s\n", flag.Arg(0))
	v.Print(os.Stdout, *n)
}
