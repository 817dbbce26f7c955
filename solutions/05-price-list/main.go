// Command price-list serves the users service with the price of the
// user's plan on every page: a "price" step reads it from the price list
// that the pricing team publishes through its pricing service, which the
// program keeps in memory and refreshes.
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	var pc priceConfig
	pc.registerFlags(flag.CommandLine)
	server.Main("price-list", func(cfg *server.Config) error {
		_, err := setup(cfg, pc)
		return err
	})
}
