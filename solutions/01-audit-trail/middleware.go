package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/slowpath/slowpath/server"
)

// setup opens the audit log at path and plugs it into cfg.
func setup(cfg *server.Config, path string) error {
	audit, err := OpenAuditLog(path, cfg.Logger)
	if err != nil {
		return err
	}
	audit.plug(cfg)
	return nil
}

// plug puts the audit log into cfg: its middleware records every request
// the app answers, and a close hook closes it at shutdown, once the
// requests in flight have been answered.
func (l *AuditLog) plug(cfg *server.Config) {
	cfg.Middleware = append(cfg.Middleware, l.Middleware)
	cfg.Closers = append(cfg.Closers, l.Close)
}

// Middleware records every request that next answers, before the answer
// leaves: it holds next's answer (server.ResponseBuffer), records the
// request's line, and sends the answer only once Record has returned,
// when the line is on disk. A request whose line cannot be recorded is
// answered 503 with a JSON error instead, and none of what next answered:
// an answer the auditors cannot find must not leave. Refusals are logged
// at most once a second, with their count.
func (l *AuditLog) Middleware(next http.Handler) http.Handler {
	refused := &server.RateLog{Log: l.log, Msg: "audit: requests refused with 503, their lines cannot be recorded"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var answer server.ResponseBuffer
		next.ServeHTTP(&answer, r)
		e := Entry{
			Time:       start.UTC(),
			Method:     r.Method,
			Path:       r.URL.Path,
			Status:     answer.Status(),
			User:       userID(r.URL.Path),
			DurationMS: float64(time.Since(start).Microseconds()) / 1000,
			Client:     l.pseudonym(r.RemoteAddr),
		}
		if err := l.Record(e); err != nil {
			refused.Add(r.Context(), "method", e.Method, "path", e.Path, "status", e.Status, "err", err)
			server.WriteError(w, http.StatusServiceUnavailable, "the audit trail cannot record this request; try again later")
			return
		}
		refused.Resolved(r.Context(), "audit: recording again")
		answer.Send(w)
	})
}

// userID returns the {id} of a /users/{id} path, or nil when the path names
// no user.
func userID(path string) *int64 {
	s, ok := strings.CutPrefix(path, "/users/")
	if !ok {
		return nil
	}
	id, err := server.ParseID(s)
	if err != nil {
		return nil
	}
	return &id
}

// pseudonym stands for the client's address in the log: the first 8 bytes
// of its HMAC-SHA-256 under the log's key, in hex. The lines of one client
// share a pseudonym, and nobody without the key can recover the address.
func (l *AuditLog) pseudonym(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	mac := hmac.New(sha256.New, l.key)
	mac.Write([]byte(host))
	return hex.EncodeToString(mac.Sum(nil)[:8])
}
