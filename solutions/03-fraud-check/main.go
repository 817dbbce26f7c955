// Command fraud-check serves the users service with the user's risk score
// on every page: a "fraud" step asks the fraud team's service how risky the
// user is, and the page shows the answer under "extras".
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	var fc fraudConfig
	fc.registerFlags(flag.CommandLine)
	server.Main("fraud-check", func(cfg *server.Config) error {
		_, err := setup(cfg, fc)
		return err
	})
}
