// Command baseline serves the users service with nothing added: the
// reference every exercise is measured against.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/slowpath/slowpath/server"
)

func main() {
	cfg := server.DefaultConfig()
	cfg.RegisterFlags(flag.CommandLine)
	flag.Parse()
	if err := server.Run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}
