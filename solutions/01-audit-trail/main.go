// Command audit-trail serves the users service with an audit trail: every
// answered request leaves one JSON line (time, method, path, status, user
// id, duration, a pseudonym of the client's address) in an append-only
// file, for the compliance team.
//
//	go run ./exercises/01-audit-trail -audit-log audit.log
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
	auditPath := flag.String("audit-log", "audit.log", "append-only audit `file`: one JSON line per answered request")
	flag.Parse()
	if err := setup(&cfg, *auditPath); err != nil {
		fmt.Fprintln(os.Stderr, "audit-trail:", err)
		os.Exit(1)
	}
	if err := server.Run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "audit-trail:", err)
		os.Exit(1)
	}
}

// setup opens the audit log at path and plugs it into cfg: its middleware
// records every request the app answers, and a close hook closes it at
// shutdown, once the requests in flight have been answered.
func setup(cfg *server.Config, path string) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	audit, err := OpenAuditLog(path, cfg.Logger)
	if err != nil {
		return err
	}
	cfg.Middleware = append(cfg.Middleware, audit.Middleware)
	cfg.Closers = append(cfg.Closers, audit.Close)
	return nil
}
