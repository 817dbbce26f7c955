// Command audit-trail serves the users service with an audit trail: every
// answered request leaves one JSON line (time, method, path, status, user
// id, duration, a pseudonym of the client's address) in an append-only
// file, for the compliance team.
//
//	go run ./exercises/01-audit-trail -audit-log audit.log
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
)

func main() {
	path := flag.String("audit-log", "audit.log", "append-only audit `file`: one JSON line per answered request")
	server.Main("audit-trail", func(cfg *server.Config) error { return setup(cfg, *path) })
}
