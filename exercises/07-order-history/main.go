// Command order-history serves the users service with the user's recent
// orders on every page: a "history" step reads them from the shop's
// database, and the page lists them under "extras".
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	sc := shopConfig()
	sc.RegisterFlags(flag.CommandLine)
	server.Main("order-history", func(cfg *server.Config) error {
		_, err := setup(cfg, sc)
		return err
	})
}
