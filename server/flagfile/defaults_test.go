package flagfile_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/flagfile"
)

// TestWriteDefaults: the shipped file is written where none is, logged,
// and is the one the exercise's README describes: version 1873, 480
// flags, 43 segments, 534,488 bytes, the same at every start.
func TestWriteDefaults(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	path := filepath.Join(dir, "flags.json")
	if err := flagfile.WriteDefaults(path, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := flagfile.Parse(data)
	if err != nil {
		t.Fatalf("the shipped flags file does not parse: %v", err)
	}
	if f.Version != 1873 || len(f.Flags) != 480 || len(f.Segments) != 43 || len(data) != 534488 {
		t.Errorf("the shipped file changed: version %d, %d flags, %d segments, %d bytes; want 1873, 480, 43, 534488",
			f.Version, len(f.Flags), len(f.Segments), len(data))
	}
	if want := `msg="wrote the default feature flags" path=` + path + " version=1873 flags=480 segments=43 bytes=534488"; !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, logs.String())
	}

	again := filepath.Join(dir, "again.json")
	if err := flagfile.WriteDefaults(again, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if data2, _ := os.ReadFile(again); !bytes.Equal(data2, data) {
		t.Error("two writes of the shipped file differ")
	}

	// Pages differ by user: some client flag is on for one user and off for
	// another.
	first := f.Evaluate(server.SeedUser(42))
	differ := false
	for id := int64(1); id <= 20 && !differ; id++ {
		differ = !slices.Equal(f.Evaluate(server.SeedUser(id)).On, first.On)
	}
	if !differ {
		t.Errorf("users 1 to 20 all have the flags of user 42 on: %v", first.On)
	}
}

func TestWriteDefaultsLeavesAFileAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flags.json")
	mine := []byte(`not even JSON`)
	if err := os.WriteFile(path, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if err := flagfile.WriteDefaults(path, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, mine) {
		t.Errorf("WriteDefaults overwrote an existing file:\n%.200s", data)
	}
	if logs.Len() > 0 {
		t.Errorf("WriteDefaults logged, having written nothing:\n%s", logs.String())
	}
}

func TestWriteDefaultsFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "flags.json")
	if err := flagfile.WriteDefaults(path, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Errorf("WriteDefaults(%s) wrote into a folder that does not exist", path)
	}
}
