package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRecord records lines from 1 goroutine, then from 50 at once
// (the requests a load keeps in flight), into a real file on the test's
// disk, each Record returning once its line is durable. Its time per
// line is what an answer of the audited service pays for its line, apart
// from the rest of the request.
//
//	go test -run '^$' -bench Record .   # in the folder
func BenchmarkRecord(b *testing.B) {
	for _, inFlight := range []int{1, 50} {
		b.Run("in-flight="+strconv.Itoa(inFlight), func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "audit.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
			if err != nil {
				b.Fatal(err)
			}
			l := newAuditLog(f, slog.New(slog.DiscardHandler))
			id := int64(42)
			e := Entry{Time: time.Now().UTC(), Method: "GET", Path: "/users/42", Status: 200, User: &id, DurationMS: 0.3, Client: "0123456789abcdef"}
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.ResetTimer()
			for range inFlight {
				wg.Go(func() {
					for left.Add(-1) >= 0 {
						if err := l.Record(e); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if err := l.Close(b.Context()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
