package server

import (
	"bytes"
	"net/http"
)

// ResponseBuffer is an http.ResponseWriter that holds a whole answer (its
// headers, status and body) instead of sending it, for a middleware that
// must decide after the handler has answered whether the answer may
// leave: an audit trail sends it only once the request's line is on disk.
// net/http's own buffer is no such guarantee: it sends what a handler
// writes as soon as the body outgrows its 4 KiB. The zero ResponseBuffer
// is ready to use; it is for one request.
type ResponseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header returns the headers the answer will carry.
func (b *ResponseBuffer) Header() http.Header {
	if b.header == nil {
		b.header = make(http.Header)
	}
	return b.header
}

// WriteHeader keeps the first final status (not a 1xx).
func (b *ResponseBuffer) WriteHeader(code int) {
	if b.status == 0 && code >= 200 {
		b.status = code
	}
}

// Write adds p to the body; a body written without a status is a 200.
func (b *ResponseBuffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// Status is the answer's status: 200 when nothing was written, as net/http
// then sends an empty 200.
func (b *ResponseBuffer) Status() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// Len is the length of the body held.
func (b *ResponseBuffer) Len() int { return b.body.Len() }

// Send sends the answer held to w: its headers, its status, its body.
func (b *ResponseBuffer) Send(w http.ResponseWriter) error {
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	w.WriteHeader(b.Status())
	_, err := w.Write(b.body.Bytes())
	return err
}
