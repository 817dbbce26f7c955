// Command delivery-estimate serves the users service with a delivery
// estimate on every page: an "estimate" step asks the replicas of the
// delivery-estimate service at once and shows the first estimate that
// comes back, so that a slow replica never slows a page.
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	var ec estimateConfig
	ec.registerFlags(flag.CommandLine)
	server.Main("delivery-estimate", func(cfg *server.Config) error {
		_, err := setup(cfg, ec)
		return err
	})
}
