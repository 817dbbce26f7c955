package server

import (
	"flag"
	"fmt"
	"os"
)

// Main is the main function of every exercise and solution:
//
//	func main() {
//		path := flag.String("audit-log", "audit.log", "append-only audit `file`")
//		server.Main("audit-trail", func(cfg *server.Config) error { return setup(cfg, *path) })
//	}
//
// It defines the server's flags (Config.RegisterFlags) beside the ones
// the program defined on flag.CommandLine, parses the command line, and
// calls setup, when not nil, with DefaultConfig as the flags changed it
// (its Logger included), to plug the program's steps, middleware and close
// hooks in. Then it serves until SIGINT or SIGTERM (Run). An error from
// setup or Run is printed after name and ends the process with status 1.
func Main(name string, setup func(cfg *Config) error) {
	cfg := DefaultConfig()
	cfg.RegisterFlags(flag.CommandLine)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected argument %q (flags only; -h lists them)\n", name, flag.Arg(0))
		os.Exit(2)
	}
	if setup != nil {
		if err := setup(&cfg); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
	}
	if err := Run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
