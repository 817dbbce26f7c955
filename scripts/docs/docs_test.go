package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/slowpath/slowpath/scripts/internal/judges"
)

// TestDocsAreGenerated regenerates every block of the kit's Markdown from
// the committed files and finds no difference: a number in a generated
// table is the number its source file gives, today.
func TestDocsAreGenerated(t *testing.T) {
	files, err := markdownFiles("../..")
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(context.Background(), "../..")
	blocks := 0
	for _, f := range files {
		old, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blocks += strings.Count(string(old), beginPrefix)
		out, changed, err := g.Rewrite(f, old)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(changed) > 0 || string(out) != string(old) {
			t.Errorf("%s: blocks %s differ from what make docs writes: run make docs (or make profiles, if the code changed)", f, strings.Join(changed, ", "))
		}
	}
	if blocks < 10 {
		t.Errorf("the kit's Markdown holds %d generated blocks; the walkthrough and the solutions' READMEs should hold more", blocks)
	}
}

// TestRewriteTouchesOnlyBlocks: the text around a block stays as it is,
// a stale block is rewritten and reported, a broken one is an error.
func TestRewriteTouchesOnlyBlocks(t *testing.T) {
	g := newGenerator(context.Background(), "../..")
	want, err := g.Block("bench")
	if err != nil {
		t.Fatal(err)
	}
	in := "# Title\n\nprose 1,234 req/s, by hand\n" + beginPrefix + "bench" + beginSuffix + "\nstale 9,999 req/s\n" + endLine + "\nafter\n"
	out, changed, err := g.Rewrite("t.md", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	wantOut := "# Title\n\nprose 1,234 req/s, by hand\n" + beginPrefix + "bench" + beginSuffix + "\n" + want + endLine + "\nafter\n"
	if string(out) != wantOut {
		t.Errorf("Rewrite =\n%s\nwant\n%s", out, wantOut)
	}
	if len(changed) != 1 || changed[0] != "bench" {
		t.Errorf("changed = %q, want [bench]", changed)
	}
	again, changed, err := g.Rewrite("t.md", out)
	if err != nil || string(again) != string(out) || len(changed) != 0 {
		t.Errorf("a second Rewrite changed %q (err %v)", changed, err)
	}
	for _, bad := range []string{
		beginPrefix + "bench" + beginSuffix + "\nno end\n",
		beginPrefix + "nonsense 3" + beginSuffix + "\n" + endLine + "\n",
		beginPrefix + "captures 99" + beginSuffix + "\n" + endLine + "\n",
	} {
		if _, _, err := g.Rewrite("t.md", []byte(bad)); err == nil {
			t.Errorf("Rewrite(%q): no error", bad)
		}
	}
}

// TestJudgesBoundsReachTheDocs changes one judge's bound and finds the new
// bound in the docs' check table and in their list of judges: the docs
// print the bounds that scripts/internal/judges defines, and no copy.
func TestJudgesBoundsReachTheDocs(t *testing.T) {
	old := judges.ReuseMax
	t.Cleanup(func() { judges.ReuseMax = old })
	g := newGenerator(context.Background(), "../..")
	for _, bound := range []float64{25, 40} {
		judges.ReuseMax = bound
		for spec, want := range map[string]string{
			"check 6": fmt.Sprintf("a fix stays under %.0f", bound),
			"judges":  fmt.Sprintf("at most %.0f new connections", bound),
		} {
			body, err := g.Block(spec)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(body, want) {
				t.Errorf("with judges.ReuseMax = %.0f, the block %q does not say %q:\n%s", bound, spec, want, body)
			}
		}
	}
}
