// Command loyalty-points serves the users service with the user's loyalty
// points on every page: a "points" step asks the loyalty service, over
// HTTPS, for the user's balance, and the page shows it under "extras".
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	var lc loyaltyConfig
	lc.registerFlags(flag.CommandLine)
	server.Main("loyalty-points", func(cfg *server.Config) error {
		_, err := setup(cfg, lc)
		return err
	})
}
