// Command feature-flags serves the users service with feature flags: every
// page carries the flags that apply to its user (percentage rollouts,
// allow-lists, rules on segments of users, and a theme), read from a JSON
// file that ops edit while the service runs. The file is -flags, flags.json
// in the working directory by default; when it does not exist, the shipped
// defaults are written there at start. The file's format and the
// evaluation of its flags are in server/flagfile.
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	path := flag.String("flags", "flags.json", "feature flags `file` (JSON) that ops edit live; the shipped defaults are written there if it does not exist")
	server.Main("feature-flags", func(cfg *server.Config) error { return setupFlags(cfg, *path) })
}
