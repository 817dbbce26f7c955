package flagfile_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/flagfile"
)

// BenchmarkEvaluate evaluates the shipped flags file for one user, as a
// page does once its flags are loaded, and renders what the page shows:
// what a page pays for its flags when the file is not read for it.
func BenchmarkEvaluate(b *testing.B) {
	path := filepath.Join(b.TempDir(), "flags.json")
	if err := flagfile.WriteDefaults(path, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	f, err := flagfile.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	u := server.SeedUser(42)
	b.Run("evaluate", func(b *testing.B) {
		for b.Loop() {
			f.Evaluate(u)
		}
	})
	b.Run("evaluate-and-render", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(f.Evaluate(u)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
