package measure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCatalogOfTheKit reads the kit's own catalog: every exercise has its
// two folders with a main.go, numbers run from 0 without a gap, and the
// bottleneck of each exercise names a function its folder defines.
func TestCatalogOfTheKit(t *testing.T) {
	exs, err := ReadCatalog("../../exercises/catalog.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) < 2 || exs[0].Number != 0 || exs[0].Bottleneck != nil {
		t.Fatalf("catalog starts with %+v, want the baseline, then exercises", exs[0])
	}
	for i, e := range exs {
		if e.Number != i {
			t.Errorf("line %d is exercise %d, want %d: numbers run from 0 without a gap", i+1, e.Number, i)
		}
		kinds := []string{"exercises"}
		if e.Number > 0 {
			kinds = append(kinds, "solutions")
		}
		for _, kind := range kinds {
			if _, err := os.Stat(filepath.Join("../..", kind, e.Name(), "main.go")); err != nil {
				t.Errorf("exercise %d: %v", e.Number, err)
			}
		}
		if e.Number == 0 {
			continue
		}
		// The function the bottleneck names must be declared in the folder:
		// a rename would leave the kit measuring nothing.
		src := ""
		files, _ := filepath.Glob(filepath.Join("../../exercises", e.Name(), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, _ := os.ReadFile(f)
			src += string(b)
		}
		name := e.BottleneckName()
		method := name[strings.LastIndex(name, ".")+1:]
		for _, m := range strings.Split(strings.Trim(method, "()"), "|") {
			if !strings.Contains(src, " "+m+"(") {
				t.Errorf("exercise %d: bottleneck %s, but exercises/%s declares no function %s", e.Number, name, e.Name(), m)
			}
		}
	}
}

func TestParseExercise(t *testing.T) {
	good := []string{"5", "cache-warmup", "Title", `main\.warm$`, `^time\.Sleep$`, "0.2", "rps", "0.8", "-"}
	e, err := parseExercise(good)
	if err != nil {
		t.Fatal(err)
	}
	if e.Name() != "05-cache-warmup" || e.Wait == nil || e.Share != 0.2 || e.Ratio != 0.8 || e.BottleneckName() != "main.warm" {
		t.Errorf("parsed %+v", e)
	}
	p50 := []string{"6", "fan-out", "T", `main\.f$`, "-", "-", "p50", "1.25", "50ms"}
	if e, err := parseExercise(p50); err != nil || e.Share != -1 || e.Floor != 50*time.Millisecond {
		t.Errorf("p50 row: %+v, %v", e, err)
	}
	bad := map[string]func([]string){
		"eight columns":     func(c []string) { c[8] = c[8] + "\tx" },
		"number":            func(c []string) { c[0] = "x" },
		"slug":              func(c []string) { c[1] = "Cache Warmup" },
		"regexp":            func(c []string) { c[3] = "main.(" },
		"no bottleneck":     func(c []string) { c[3] = "-" },
		"wait regexp":       func(c []string) { c[4] = "time.(" },
		"share at 50%":      func(c []string) { c[5] = "0.5" },
		"metric":            func(c []string) { c[6] = "p99" },
		"rps ratio above 1": func(c []string) { c[7] = "1.2" },
		"p50 without floor": func(c []string) { c[6], c[7] = "p50", "1.2" },
		"floor on rps":      func(c []string) { c[8] = "50ms" },
		"p50 ratio below 1": func(c []string) { c[6], c[7], c[8] = "p50", "0.8", "50ms" },
	}
	for name, mutate := range bad {
		c := append([]string(nil), good...)
		mutate(c)
		if _, err := parseExercise(strings.Split(strings.Join(c, "\t"), "\t")); err == nil {
			t.Errorf("%s: %q parsed without error", name, c)
		}
	}
}
