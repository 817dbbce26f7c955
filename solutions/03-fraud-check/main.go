// Command fraud-check serves the users service with the user's risk score
// on every page: a "fraud" step asks the fraud team's service how risky the
// user is, and the page shows the answer under "extras".
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
	var fc fraudConfig
	fc.registerFlags(flag.CommandLine)
	flag.Parse()
	if _, err := setup(&cfg, fc); err != nil {
		fmt.Fprintln(os.Stderr, "fraud-check:", err)
		os.Exit(1)
	}
	if err := server.Run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fraud-check:", err)
		os.Exit(1)
	}
}
