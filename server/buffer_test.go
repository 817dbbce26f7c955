package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestResponseBufferHoldsTheAnswer(t *testing.T) {
	big := strings.Repeat("x", 64<<10) // past net/http's 4 KiB
	var b ResponseBuffer
	b.Header().Set("X-Test", "kept")
	b.WriteHeader(http.StatusTeapot)
	b.WriteHeader(http.StatusOK) // a second status is ignored, as net/http ignores it
	b.Write([]byte(big))
	if b.Status() != http.StatusTeapot || b.Len() != len(big) {
		t.Fatalf("status %d, %d bytes; want 418 and %d", b.Status(), b.Len(), len(big))
	}
	rec := httptest.NewRecorder()
	if err := b.Send(rec); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusTeapot || rec.Body.String() != big || rec.Header().Get("X-Test") != "kept" {
		t.Errorf("sent %d, %d bytes, X-Test %q", rec.Code, rec.Body.Len(), rec.Header().Get("X-Test"))
	}
	var empty ResponseBuffer
	if empty.Status() != http.StatusOK {
		t.Errorf("an answer with nothing written is %d, want 200", empty.Status())
	}
	var body ResponseBuffer
	body.Write([]byte("a"))
	if body.Status() != http.StatusOK {
		t.Errorf("a body written without a status is %d, want 200", body.Status())
	}
}
