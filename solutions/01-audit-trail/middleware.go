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

// setup opens the audit log at path and plugs it into cfg: its middleware
// records every request the app answers, and a close hook closes it at
// shutdown, once the requests in flight have been answered.
func setup(cfg *server.Config, path string) error {
	audit, err := OpenAuditLog(path, cfg.Logger)
	if err != nil {
		return err
	}
	cfg.Middleware = append(cfg.Middleware, audit.Middleware)
	cfg.Closers = append(cfg.Closers, audit.Close)
	return nil
}

// Middleware records every request that next answers: it times the
// request, captures the status next answers with, and once next has
// returned, records the request's line in the audit log. A line that
// cannot be recorded is logged: the answer has been written by then.
func (l *AuditLog) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		e := Entry{
			Time:       start.UTC(),
			Method:     r.Method,
			Path:       r.URL.Path,
			Status:     rec.Status(),
			User:       userID(r.URL.Path),
			DurationMS: float64(time.Since(start).Microseconds()) / 1000,
			Client:     l.pseudonym(r.RemoteAddr),
		}
		if err := l.Record(e); err != nil {
			l.log.ErrorContext(r.Context(), "audit: request answered but not recorded",
				"method", e.Method, "path", e.Path, "status", e.Status, "err", err)
		}
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

// statusRecorder remembers the status of the answer written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader remembers the first final status (not a 1xx) and passes
// it on.
func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write passes the body on; a body written without a status is a 200.
func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Status is the status of the answer: 200 when nothing was written, as
// net/http then sends an empty 200.
func (w *statusRecorder) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
