// Command activity-calendar serves the users service with the user's
// year of activity on every page: an "activity" step writes one line per
// day, the day and the user's contributions on it, and the page carries
// them under "extras", for the calendar and the export.
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	end := flag.String("activity-end", "2026-11-30", "the last `day` of the calendar (YYYY-MM-DD); it covers the year up to it")
	server.Main("activity-calendar", func(cfg *server.Config) error {
		_, err := setup(cfg, *end)
		return err
	})
}
