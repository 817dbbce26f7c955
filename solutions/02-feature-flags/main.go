// Command feature-flags serves the users service with feature flags: every
// page carries the flags that apply to its user (percentage rollouts,
// allow-lists, rules on segments of users, and a theme), read from a JSON
// file that ops edit while the service runs. The file is -flags, flags.json
// in the working directory by default; when it does not exist, the shipped
// defaults are written there at start.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/slowpath/slowpath/server"
)

func main() {
	cfg := server.DefaultConfig()
	cfg.RegisterFlags(flag.CommandLine)
	flagsPath := flag.String("flags", "flags.json", "feature flags `file` (JSON) that ops edit live; the shipped defaults are written there if it does not exist")
	flag.Parse()
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := setupFlags(&cfg, *flagsPath); err != nil {
		fmt.Fprintln(os.Stderr, "feature-flags:", err)
		os.Exit(1)
	}
	if err := server.Run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "feature-flags:", err)
		os.Exit(1)
	}
}
