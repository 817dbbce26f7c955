package scripts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// TestDocCommands holds the kit to its promise that every command a README
// shows, and every "Open the captures" line the loop prints, works as
// printed. It reads the shell commands of the Markdown files (docFiles):
// each line of a ```sh block (continuations joined, comments dropped),
// each "$ " line of a plain ``` block, and each inline `code` span that
// starts with a command; and the loop's "Open the captures" lines, as
// report.Summarize prints them now for each exercise's reference
// captures.
// (The check's Next: lines are scripts/check's TestNextCommands.)
//
// It runs them in temporary folders laid out like the repository's top
// (docEnv): the code's folders are links to the real ones, and profiles/
// holds the committed reference captures where a learner's runs put
// theirs: profiles/local/exercises/NN-slug/ is profiles/NN-slug/exercise/,
// profiles/local/solutions/NN-slug/ is profiles/NN-slug/solution/ (the
// same under any OUT_ROOT the READMEs use, profiles/local/c10/... and so
// on), profiles/local/check/NN-slug/{yours,solution}/ is the exercise's
// and the solution's reference with the trace-syscall.pprof the check
// derives. A bare capture name (cpu.pprof, trace.out) is the README's own
// exercise's reference capture (a walkthrough section's exercise's): the
// folder a file's commands run in holds them. A file's commands run in
// order, as a reader would run them, so that one finds what the one
// before it wrote.
//
//   - A command that reads a capture (go tool pprof, go tool trace
//     -pprof=..., go run ./scripts/tasks, cat or grep of a file ...) runs
//     there, and must exit 0 with an answer: its output, or the file it
//     redirects to, not empty, and no filter that matches nothing
//     (pprof's "matched no samples").
//   - go tool pprof -http=... and go tool trace (a server) start on a free
//     loopback port (pprof with -no_browser; go tool trace has no such
//     flag, so BROWSER=true stands in for the browser it starts), and must
//     answer 200 at / (redirects followed) within serverTimeout.
//   - curl of the app (localhost:8080) or of the debug listener
//     (localhost:6060) runs against the README's exercise, built and
//     started once by the test (docProgram), its ports put in the command;
//     after a short load (go tool hey -n 200 -c 4) when the text asks for
//     one. A curl of /debug/vars piped to grep must print lines that each
//     hold a number.
//
// What it does not run, docSkipRules lists, each with its reason; it
// fails if fewer than minRun commands ran, so that the list cannot
// swallow everything unnoticed.
func TestDocCommands(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	exs, err := catalog.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	env := newDocEnv(t, root, exs)

	files, err := docFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	// A reader runs a file's commands in order, from one terminal: each
	// file is a sequence of groups, which run one after the other.
	var docs [][]*docGroup
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if groups := docGroups(f, string(b)); len(groups) > 0 {
			docs = append(docs, groups)
		}
	}
	summaries, err := env.summaryGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range summaries {
		docs = append(docs, []*docGroup{g})
	}

	counts := map[string]int{}
	ran, varsGreps := 0, map[int]int{}
	var skipped []string
	for _, groups := range docs {
		written := map[string]string{} // file a skipped command writes: where
		for _, g := range groups {
			for i := range g.cmds {
				c := &g.cmds[i]
				c.kind, c.why = classify(c.text)
				if c.kind == kindSkip {
					if m := redirect.FindStringSubmatch(c.text); m != nil {
						written[m[1]] = fmt.Sprintf("%s:%d", c.file, c.line)
					}
					continue
				}
				for _, w := range shellWords(c.text) {
					if at, ok := written[w]; ok {
						c.kind, c.why = kindSkip, fmt.Sprintf("reads %s, which a skipped command writes (%s)", w, at)
					}
				}
				g.program = g.program || c.kind == kindApp
			}
			if g.program && testing.Short() {
				g.program = false
				for i := range g.cmds {
					if c := &g.cmds[i]; c.kind != kindSkip {
						c.kind, c.why = kindSkip, "-short: its block asks a running program, which the test builds and starts only without -short"
					}
				}
			}
			for _, c := range g.cmds {
				counts[c.kind]++
				switch c.kind {
				case kindSkip:
					skipped = append(skipped, fmt.Sprintf("%s:%d: %s  (%s)", c.file, c.line, c.text, c.why))
				case kindDefine:
				default:
					ran++
					env.note(c.text)
					if c.kind == kindApp && varsGrep.MatchString(c.text) && strings.HasPrefix(g.file, "exercises/") {
						varsGreps[g.ex]++
					}
				}
			}
		}
	}
	t.Logf("%d commands: %d run (%d read captures or files, %d serve a capture over HTTP, %d ask a running program), %d skipped:\n  %s",
		ran+counts[kindSkip], ran, counts[kindShell], counts[kindServer], counts[kindApp], counts[kindSkip], strings.Join(skipped, "\n  "))
	if ran < minRun {
		t.Errorf("only %d commands ran (want at least %d): do the skip rules (docSkipRules) or the extraction swallow them?", ran, minRun)
	}
	if counts[kindServer] < 20 {
		t.Errorf("only %d go tool pprof -http or go tool trace servers ran, want at least 20", counts[kindServer])
	}
	if !testing.Short() {
		for _, n := range []int{6, 7, 8, 9} { // their READMEs read /debug/vars with grep
			if varsGreps[n] == 0 {
				t.Errorf("exercise %d's README has no curl of /debug/vars piped to grep that this test runs", n)
			}
		}
	}
	if err := env.derive(); err != nil {
		t.Fatal(err)
	}

	// The programs build and start meanwhile; the files that ask none run
	// first. A file's subtest runs in a goroutine of its own, filesAtOnce
	// at a time: go test's -parallel (GOMAXPROCS) would let a file that
	// waits for a program's first build hold one of two places.
	var first, last [][]*docGroup
	for _, groups := range docs {
		switch {
		case !slices.ContainsFunc(groups, (*docGroup).runs):
		case slices.ContainsFunc(groups, func(g *docGroup) bool { return g.program }):
			last = append(last, groups)
			for _, g := range groups {
				if g.program {
					go env.program(g.ex).start(env)
				}
			}
		default:
			first = append(first, groups)
		}
	}
	t.Run("commands", func(t *testing.T) {
		queue := make(chan []*docGroup)
		var wg sync.WaitGroup
		for range filesAtOnce {
			wg.Go(func() {
				for groups := range queue {
					t.Run(groups[0].file, func(t *testing.T) { env.runFile(t, groups) })
				}
			})
		}
		for _, groups := range append(first, last...) {
			queue <- groups
		}
		close(queue)
		wg.Wait()
	})
}

// minRun is the fewest commands the test must run: about three in four of
// the 276 it ran when it was written (243 with -short), so that a change
// of the skip rules or of the extraction that drops many fails.
const minRun = 200

// Timeouts, generous for a busy machine: no command's time is asserted,
// only that it ends.
const (
	commandTimeout = 2 * time.Minute  // one command
	buildTimeout   = 10 * time.Minute // one program's build (a first build compiles SQLite) and start
	serverTimeout  = 2 * time.Minute  // a pprof or trace server's first 200
	loadRequests   = 200              // the load before a command that asks for one
	filesAtOnce    = 4                // files whose commands run at once; commandsAtOnce of their commands
	commandsAtOnce = 3
)

// docFiles are the Markdown files whose commands the test runs, relative
// to the repository's top.
func docFiles(root string) ([]string, error) {
	files := []string{"README.md"}
	for _, pat := range []string{"exercises/*/README.md", "solutions/*/README.md", "solutions/WALKTHROUGH.md", "scripts/README.md"} {
		m, err := filepath.Glob(filepath.Join(root, pat))
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		for _, f := range m {
			rel, _ := filepath.Rel(root, f)
			files = append(files, filepath.ToSlash(rel))
		}
	}
	return files, nil
}

// docGroup is a fenced block, or a paragraph with inline commands: its
// commands run in order, in one folder, so that one may read what the one
// before it wrote (go tool trace -pprof=syscall trace.out > s.pprof, then
// go tool pprof -top s.pprof).
type docGroup struct {
	file    string // the Markdown file, or the summary the lines come from
	line    int    // its first line
	ex      int    // the exercise it is about, whose captures and program it uses
	context string // its text, and a block's paragraph before it: where a README asks for a load
	cmds    []docCommand
	program bool // it asks the exercise's program: it runs in the program's folder
}

// docCommand is one command, as a reader would type it.
type docCommand struct {
	file string
	line int
	text string
	kind string // kindShell, kindServer, kindApp, kindDefine or kindSkip
	why  string // for kindSkip, the rule's reason
}

const (
	kindShell  = "shell"  // runs to its end: reads a capture, a file or the go command's docs
	kindServer = "server" // go tool pprof -http, go tool trace: serves until stopped
	kindApp    = "app"    // curl of a running program
	kindDefine = "define" // a shell function the commands after it call
	kindSkip   = "skip"
)

func (g *docGroup) runs() bool {
	for _, c := range g.cmds {
		if c.kind != kindSkip && c.kind != kindDefine {
			return true
		}
	}
	return false
}

var (
	fence        = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z]*)")
	heading      = regexp.MustCompile(`^#{1,6}\s`)
	exHeading    = regexp.MustCompile(`(?i)^#{1,6}\s.*\bexercise (\d+)\b`)
	folderNumber = regexp.MustCompile(`^(?:exercises|solutions)/(\d\d)-`)
	codeSpan     = regexp.MustCompile("`([^`]+)`")
	envWord      = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)
	funcDef      = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{`)
	varsGrep     = regexp.MustCompile(`/debug/vars\S*\s*\|\s*grep\b`)
)

// inlineCommands are the words that make an inline code span a command
// (`go tool pprof -top cpu.pprof`), as opposed to a name (`headers.txt`).
var inlineCommands = map[string]bool{"go": true, "curl": true, "make": true, "cat": true, "head": true, "tail": true,
	"grep": true, "diff": true, "git": true, "ss": true, "sysctl": true, "wc": true, "mkdir": true, "cp": true, "ls": true}

// goCommands are the go command's subcommands.
var goCommands = map[string]bool{"bug": true, "build": true, "clean": true, "doc": true, "env": true, "fix": true, "fmt": true,
	"generate": true, "get": true, "install": true, "list": true, "mod": true, "work": true, "run": true, "telemetry": true,
	"test": true, "tool": true, "version": true, "vet": true}

// docGroups extracts the commands of one Markdown file.
func docGroups(file, text string) []*docGroup {
	ex := 0 // the top README is about the service, exercise 0
	if m := folderNumber.FindStringSubmatch(file); m != nil {
		ex, _ = strconv.Atoi(m[1])
	}
	walkthrough := strings.HasSuffix(file, "WALKTHROUGH.md")
	lines := strings.Split(text, "\n")
	var groups []*docGroup
	var para []int // line indexes of the paragraph being read
	lastPara := ""
	flush := func() {
		if len(para) == 0 {
			return
		}
		var b strings.Builder
		for _, i := range para {
			b.WriteString(lines[i] + "\n")
		}
		lastPara = b.String()
		if g := inlineGroup(file, para[0]+1, ex, lastPara); g != nil {
			groups = append(groups, g)
		}
		para = nil
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := fence.FindStringSubmatch(l); m != nil {
			flush()
			end := i + 1
			for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), m[1]) {
				end++
			}
			body := lines[i+1 : min(end, len(lines))]
			g := &docGroup{file: file, line: i + 2, ex: ex, context: lastPara + strings.Join(body, "\n")}
			switch m[2] {
			case "sh", "bash", "shell", "console":
				for _, sl := range shellLines(body) {
					g.cmds = append(g.cmds, docCommand{file: file, line: i + 2 + sl.line, text: sl.text})
				}
			case "":
				for j, bl := range body {
					if t := strings.TrimSpace(bl); strings.HasPrefix(t, "$ ") {
						g.cmds = append(g.cmds, docCommand{file: file, line: i + 2 + j, text: strings.TrimSpace(t[2:])})
					}
				}
			}
			if len(g.cmds) > 0 {
				groups = append(groups, g)
			}
			lastPara = ""
			i = end
			continue
		}
		if heading.MatchString(l) {
			flush()
			if walkthrough {
				ex = 0
				if m := exHeading.FindStringSubmatch(l); m != nil {
					ex, _ = strconv.Atoi(m[1])
				}
			}
			continue
		}
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		para = append(para, i)
	}
	flush()
	return groups
}

// inlineGroup returns the inline commands of a paragraph that starts on
// line first, or nil. A span may run over a line break.
func inlineGroup(file string, first, ex int, text string) *docGroup {
	g := &docGroup{file: file, line: first, ex: ex, context: text}
	for _, m := range codeSpan.FindAllStringSubmatchIndex(text, -1) {
		span := strings.Join(strings.Fields(text[m[2]:m[3]]), " ")
		words := strings.Fields(span)
		for len(words) > 0 && envWord.MatchString(words[0]) {
			words = words[1:]
		}
		if len(words) == 0 || !inlineCommands[words[0]] || words[0] == "go" && (len(words) < 2 || !goCommands[words[1]]) {
			continue // a name, or Go code (`go l.Record(e)`)
		}
		line := first + strings.Count(text[:m[0]], "\n")
		g.cmds = append(g.cmds, docCommand{file: file, line: line, text: span})
	}
	if len(g.cmds) == 0 {
		return nil
	}
	return g
}

// shellLine is one command of a shell block and its line in the block.
type shellLine struct {
	line int
	text string
}

// shellLines splits a shell block into its commands: a line continues
// while a quote or a brace is open, or after a trailing \, | or &&; a #
// that starts a word outside quotes starts a comment.
func shellLines(body []string) []shellLine {
	var out []shellLine
	var cur strings.Builder
	start := -1
	var quote rune
	depth := 0
	for i, raw := range body {
		if start < 0 {
			if strings.TrimSpace(raw) == "" {
				continue
			}
			start = i
		}
		prev := ' ' // a brace counts where it starts a word: { opens, } closes
		var line strings.Builder
	chars:
		for _, r := range raw {
			switch {
			case quote != 0:
				if r == quote {
					quote = 0
				}
			case r == '\'' || r == '"':
				quote = r
			case r == '#' && (prev == ' ' || prev == '\t'):
				break chars
			case r == '{' && (prev == ' ' || prev == '\t'):
				depth++
			case r == '}' && (prev == ' ' || prev == '\t' || prev == ';'):
				depth--
			}
			line.WriteRune(r)
			prev = r
		}
		l := strings.TrimRight(line.String(), " \t")
		cont := strings.HasSuffix(l, "\\")
		if cont {
			l = strings.TrimSuffix(l, "\\")
		}
		if cur.Len() > 0 {
			cur.WriteString("\n")
		}
		cur.WriteString(l)
		if quote != 0 || depth > 0 || cont || strings.HasSuffix(l, "|") || strings.HasSuffix(l, "&&") {
			continue
		}
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, shellLine{line: start, text: t})
		}
		cur.Reset()
		start = -1
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, shellLine{line: start, text: t})
	}
	return out
}

// docSkipRules are the commands this test does not run, and why: the
// first rule that matches a command's words (one rule's match in any of
// the commands of a pipeline or an && list skips the whole line).
var docSkipRules = []struct {
	match func(env, w []string) bool
	why   string
}{
	{func(env, w []string) bool {
		return slices.ContainsFunc(env, func(x string) bool { return strings.HasPrefix(x, "GODEBUG=") })
	},
		"a GODEBUG=... run: a program or the loop, traced for as long as the reader likes"},
	{func(env, w []string) bool { return len(w) > 0 && w[0] == "make" },
		"a make target: the loop, a check, the bench, the kit's tests or the docs, each minutes long; the kit's other tests run them"},
	{func(env, w []string) bool { return len(w) > 0 && w[0] == "git" },
		"git: reads or changes the work tree, not a capture"},
	{func(env, w []string) bool { return len(w) > 0 && w[0] == "diff" },
		"diff: compares folders of code, not captures"},
	{func(env, w []string) bool {
		return len(w) > 0 && slices.Contains([]string{"cp", "mv", "rm", "vi", "vim", "nano", "patch"}, w[0])
	},
		"an editing command: it changes files of the kit"},
	{func(env, w []string) bool { return len(w) > 0 && (w[0] == "ss" || w[0] == "sysctl") },
		"reads the machine's sockets or kernel settings, not the kit's files or programs"},
	{func(env, w []string) bool { return len(w) > 1 && w[0] == "go" && w[1] == "test" },
		"go test: the kit's own tests and benchmarks, which make test runs"},
	{func(env, w []string) bool { return len(w) > 2 && w[0] == "go" && w[1] == "tool" && w[2] == "hey" },
		"a load for as long as it says: the test loads its programs itself, briefly, where a README asks for a load"},
	{startsServer,
		"starts a program that serves until Ctrl-C: the test builds and starts each exercise's program itself, once, and sends it the README's requests"},
	{func(env, w []string) bool {
		return len(w) > 2 && w[0] == "go" && w[1] == "run" && (w[2] == "./scripts/profiles" || w[2] == "./scripts/docs")
	}, "rewrites the committed captures, pictures or docs"},
	{hasPlaceholder,
		"holds a placeholder the README marks as such (..., …, FILE, TRACE, FOLDER, FUNCTION, N, NN): the reader fills it in"},
	{isMention,
		"names a tool or a flag in the prose, with no capture or address to work on: nothing to run"},
}

// startsServer: go run of an exercise or a solution (without -h), or a
// program the loop built, started by hand.
func startsServer(env, w []string) bool {
	if len(w) > 2 && w[0] == "go" && w[1] == "run" && (strings.HasPrefix(w[2], "./exercises/") || strings.HasPrefix(w[2], "./solutions/")) {
		return !slices.Contains(w, "-h") && !slices.Contains(w, "-help")
	}
	return len(w) > 0 && strings.Contains(w[0], "/bin/")
}

var placeholder = regexp.MustCompile(`\.\.\.|…|\b(FILE|TRACE|FOLDER|FUNCTION|NN)\b|(^|[\s-])N\b`)

func hasPlaceholder(env, w []string) bool {
	for _, x := range slices.Concat(env, w) {
		if placeholder.MatchString(x) {
			return true
		}
	}
	return false
}

// captureArg is a word that names a capture; anyAddress one that names
// a listener.
var (
	captureArg = regexp.MustCompile(`\.(pprof|out|trace|prof|json|txt|log)$`)
	anyAddress = regexp.MustCompile(`localhost|127\.0\.0\.1|://`)
)

// isMention: a tool named without the capture or address it would work on.
func isMention(env, w []string) bool {
	has := func(re *regexp.Regexp) bool {
		return slices.ContainsFunc(w, func(x string) bool { return re.MatchString(x) })
	}
	switch {
	case len(w) >= 3 && w[0] == "go" && w[1] == "tool" && (w[2] == "pprof" || w[2] == "trace"):
		return !has(captureArg)
	case len(w) >= 3 && w[0] == "go" && w[1] == "run" && w[2] == "./scripts/tasks":
		return !has(captureArg)
	case len(w) >= 1 && w[0] == "curl":
		return !has(anyAddress)
	case len(w) <= 2 && len(w) >= 1 && w[0] == "go":
		return len(w) == 1 || w[1] != "version" && w[1] != "env" // `go vet`: the tool, named
	}
	return len(w) == 0
}

// classify gives a command's kind, or the skip rule's reason.
func classify(text string) (kind, why string) {
	if funcDef.MatchString(text) {
		return kindDefine, ""
	}
	segs := segments(text)
	for _, rule := range docSkipRules {
		for _, w := range segs {
			n := 0
			for n < len(w) && envWord.MatchString(w[n]) {
				n++
			}
			if rule.match(w[:n], w[n:]) {
				return kindSkip, rule.why
			}
		}
	}
	for _, w := range segs {
		for _, x := range w {
			if appAddress.MatchString(x) {
				return kindApp, ""
			}
		}
	}
	if w := segs[0]; len(w) >= 3 && w[0] == "go" && w[1] == "tool" {
		switch {
		case w[2] == "pprof" && slices.ContainsFunc(w, func(x string) bool { return x == "-http" || strings.HasPrefix(x, "-http=") }):
			return kindServer, ""
		case w[2] == "trace" && !slices.ContainsFunc(w, func(x string) bool { return strings.HasPrefix(x, "-pprof") || strings.HasPrefix(x, "-d") }):
			return kindServer, ""
		}
	}
	return kindShell, ""
}

// appAddress finds the app's and the debug listener's default addresses.
var appAddress = regexp.MustCompile(`(localhost|127\.0\.0\.1):(8080|6060)\b`)

// segments splits a command line into its simple commands (at |, ||, &&,
// ; and &, outside quotes), each as words with its quotes removed and its
// leading NAME=value words kept; a command never yields none.
func segments(text string) [][]string {
	var out [][]string
	var cur []rune
	var quote rune
	rs := []rune(text)
	flush := func() {
		if w := shellWords(string(cur)); len(w) > 0 {
			out = append(out, w)
		}
		cur = nil
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '|' || r == ';' || r == '\n' || r == '&' && (i == 0 || rs[i-1] != '>') && (i+1 >= len(rs) || rs[i+1] != '>'):
			flush()
			continue
		}
		cur = append(cur, r)
	}
	flush()
	if len(out) == 0 {
		out = append(out, nil)
	}
	return out
}

// shellWords splits a simple command into words as sh would, quotes
// removed; it knows no backslash escape and expands nothing (the
// READMEs' commands need neither).
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// docEnv is where the commands run: a tree laid out like the
// repository's top, with the reference captures where the commands look
// for a learner's, the programs the curls ask, and the go tools resolved
// once.
type docEnv struct {
	t      *testing.T
	root   string
	tmp    string
	tree   string // its profiles/ folder is the one every command folder links to
	exs    []catalog.Exercise
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}     // a place for one command
	builds chan struct{}     // a place for one program's build
	tools  map[string]string // go tool pprof and trace: the binaries go tool runs

	mu       sync.Mutex
	outRoots map[string]bool // profiles/local/X/{exercises,solutions} that commands name
	syscalls map[string]bool // check folders whose trace-syscall.pprof a command reads
	servers  map[string]*serverResult
	programs map[int]*docProgram
	folders  int
}

func newDocEnv(t *testing.T, root string, exs []catalog.Exercise) *docEnv {
	ctx, cancel := context.WithCancel(context.Background())
	e := &docEnv{t: t, root: root, tmp: t.TempDir(), exs: exs, ctx: ctx, cancel: cancel, sem: make(chan struct{}, commandsAtOnce), builds: make(chan struct{}, 2),
		tools: map[string]string{}, outRoots: map[string]bool{}, syscalls: map[string]bool{},
		servers: map[string]*serverResult{}, programs: map[int]*docProgram{}}
	e.tree = filepath.Join(e.tmp, "tree")
	t.Cleanup(e.stopPrograms)
	// The go command resolves (and on a first run builds) a tool at each
	// go tool: once here, so that the commands start from the same
	// binaries without paying for it each time.
	for _, tool := range []string{"pprof", "trace"} {
		out, err := exec.Command("go", "tool", "-n", tool).Output()
		if err != nil {
			t.Fatalf("go tool -n %s: %v", tool, err)
		}
		e.tools[tool] = strings.TrimSpace(string(out))
	}
	return e
}

var (
	outRootRE = regexp.MustCompile(`profiles/local/([A-Za-z0-9_.-]+)/(?:exercises|solutions)/`)
	syscallRE = regexp.MustCompile(`profiles/local/check/(\d\d-[a-z0-9-]+)/(yours|solution)/trace-syscall\.pprof`)
)

// note records what a command needs laid out.
func (e *docEnv) note(text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range outRootRE.FindAllStringSubmatch(text, -1) {
		if m[1] != "check" {
			e.outRoots[m[1]] = true
		}
	}
	for _, m := range syscallRE.FindAllStringSubmatch(text, -1) {
		e.syscalls[m[1]+"/"+m[2]] = true
	}
}

// ref is the reference capture folder of exercise n's exercise or
// solution side.
func (e *docEnv) ref(n int, side string) string {
	for _, ex := range e.exs {
		if ex.Number == n {
			return filepath.Join(e.root, "profiles", ex.Name(), side)
		}
	}
	return ""
}

// derive lays out the profiles tree that every command folder links to.
func (e *docEnv) derive() error {
	local := filepath.Join(e.tree, "profiles", "local")
	link := func(target, name string) error {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		return os.Symlink(target, name)
	}
	entries, err := os.ReadDir(filepath.Join(e.root, "profiles"))
	if err != nil {
		return err
	}
	for _, d := range entries {
		if d.Name() != "local" {
			if err := link(filepath.Join(e.root, "profiles", d.Name()), filepath.Join(e.tree, "profiles", d.Name())); err != nil {
				return err
			}
		}
	}
	roots := []string{""}
	for r := range e.outRoots {
		roots = append(roots, r)
	}
	var derive []string
	for _, ex := range e.exs {
		for _, side := range []string{"exercise", "solution"} {
			ref := filepath.Join(e.root, "profiles", ex.Name(), side)
			if _, err := os.Stat(ref); err != nil {
				continue
			}
			for _, r := range roots {
				if err := link(ref, filepath.Join(local, r, side+"s", ex.Name())); err != nil {
					return err
				}
			}
		}
		if !ex.HasSolution() {
			continue
		}
		// The check's captures: the shipped exercise's (yours) and the
		// solution's, with the syscall profile the check derives.
		for side, as := range map[string]string{"exercise": "yours", "solution": "solution"} {
			dir := filepath.Join(local, "check", ex.Name(), as)
			files, err := os.ReadDir(filepath.Join(e.root, "profiles", ex.Name(), side))
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := link(filepath.Join(e.root, "profiles", ex.Name(), side, f.Name()), filepath.Join(dir, f.Name())); err != nil {
					return err
				}
			}
			if e.syscalls[ex.Name()+"/"+as] {
				derive = append(derive, filepath.Join(dir, "trace.out"))
			}
		}
	}
	for _, tr := range derive {
		if _, err := captures.SyscallProfile(e.ctx, io.Discard, tr); err != nil {
			return err
		}
	}
	return nil
}

// folder makes a folder laid out like the repository's top, for the
// commands of one file about exercise ex: links to the code, go.mod, the
// profiles tree, and the exercise's reference captures under their bare
// names.
func (e *docEnv) folder(ex int) (string, error) {
	e.mu.Lock()
	e.folders++
	dir := filepath.Join(e.tmp, "run", strconv.Itoa(e.folders))
	e.mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"go.mod", "go.sum", "Makefile", "exercises", "solutions", "scripts", "server"} {
		if err := os.Symlink(filepath.Join(e.root, name), filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	if err := os.Symlink(filepath.Join(e.tree, "profiles"), filepath.Join(dir, "profiles")); err != nil {
		return "", err
	}
	ref := e.ref(ex, "exercise")
	files, err := os.ReadDir(ref)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		if err := os.Symlink(filepath.Join(ref, f.Name()), filepath.Join(dir, f.Name())); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// summaryGroups are the loop's "Open the captures" lines, as
// report.Summarize prints them now for each exercise's reference
// captures laid out where make exercise-N writes its own. (make
// solution-N prints the same lines for the solution's folder; the
// READMEs' commands open those.)
func (e *docEnv) summaryGroups() ([]*docGroup, error) {
	type job struct {
		ex   catalog.Exercise
		kind string
	}
	var jobs []job
	for _, ex := range e.exs {
		jobs = append(jobs, job{ex, "exercises"})
	}
	groups := make([]*docGroup, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			e.sem <- struct{}{}
			defer func() { <-e.sem }()
			// Summarize prints the paths it is given: a copy of the capture
			// folder under a top of its own, whose prefix comes off again,
			// prints them as the loop does (profiles/local/...).
			top := filepath.Join(e.tmp, "summaries", strconv.Itoa(i))
			rel := filepath.Join("profiles", "local", j.kind, j.ex.Name())
			dir := filepath.Join(top, rel)
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				errs[i] = err
				return
			}
			if err := os.Symlink(e.ref(j.ex.Number, strings.TrimSuffix(j.kind, "s")), dir); err != nil {
				errs[i] = err
				return
			}
			var out bytes.Buffer
			if _, err := report.Summarize(&out, dir, j.kind+"/"+j.ex.Name(), 100); err != nil {
				errs[i] = fmt.Errorf("report.Summarize %s: %w", rel, err)
				return
			}
			target := strings.TrimSuffix(j.kind, "s") + "-" + strconv.Itoa(j.ex.Number)
			g := &docGroup{file: fmt.Sprintf("the summary of make %s (report.Summarize on profiles/%s/%s)", target, j.ex.Name(), strings.TrimSuffix(j.kind, "s")), line: 1, ex: j.ex.Number}
			for n, l := range strings.Split(out.String(), "\n") {
				if s := strings.TrimSpace(l); strings.HasPrefix(s, "go tool pprof -http") || strings.HasPrefix(s, "go tool trace -http") {
					g.cmds = append(g.cmds, docCommand{file: g.file, line: n + 1, text: strings.ReplaceAll(s, top+string(filepath.Separator), "")})
				}
			}
			groups[i] = g
		})
	}
	wg.Wait()
	return groups, errors.Join(errs...)
}

// runFile runs the groups of one file in order: each in the folder of
// its exercise (the walkthrough's sections are about different ones), or
// in its program's when it asks one, so that a command finds what the
// commands before it wrote.
func (e *docEnv) runFile(t *testing.T, groups []*docGroup) {
	folders := map[int]string{}
	for _, g := range groups {
		if !g.runs() {
			continue
		}
		var prog *docProgram
		dir := folders[g.ex]
		if g.program {
			prog = e.program(g.ex)
			if err := prog.start(e); err != nil {
				t.Errorf("%s:%d: cannot start exercise %d's program for its commands: %v", g.file, g.line, g.ex, err)
				continue
			}
			dir = prog.top
		} else if dir == "" {
			var err error
			if dir, err = e.folder(g.ex); err != nil {
				t.Fatal(err)
			}
			folders[g.ex] = dir
		}
		var prelude []string
		loaded := false
		for _, c := range g.cmds {
			switch c.kind {
			case kindDefine:
				prelude = append(prelude, c.text)
			case kindShell:
				e.checkShell(t, c, dir, prelude, c.text)
			case kindServer:
				e.checkServer(t, c, dir)
			case kindApp:
				if !loaded && asksForLoad(g) {
					loaded = true
					if err := e.load(prog); err != nil {
						t.Errorf("%s:%d: the load before %s: %v", c.file, c.line, c.text, err)
					}
				}
				text := appAddress.ReplaceAllStringFunc(c.text, func(a string) string {
					if strings.HasSuffix(a, ":6060") {
						return prog.debug
					}
					return prog.app
				})
				e.checkShell(t, c, dir, prelude, text)
			}
		}
	}
}

// loadWords are what a README says when a command is to run during or
// after a load.
var loadWords = regexp.MustCompile(`(?i)\b(while|during|after|under)\s+(a|the)?\s*load\b|\bload\s+(it|runs)\b`)

func asksForLoad(g *docGroup) bool {
	if loadWords.MatchString(g.context) {
		return true
	}
	for _, c := range g.cmds {
		if strings.Contains(c.text, "go tool hey") {
			return true
		}
	}
	return false
}

// load sends a short load to a program, every request on loopback.
func (e *docEnv) load(p *docProgram) error {
	ctx, cancel := context.WithTimeout(e.ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "tool", "hey", "-n", strconv.Itoa(loadRequests), "-c", "4", "http://"+p.app+"/users/42")
	cmd.Dir = e.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

// redirect finds a command's last > FILE.
var redirect = regexp.MustCompile(`(?:^|[^0-9&])>\s*([^\s&|;>]+)\s*$`)

// checkShell runs one command with bash in dir and judges its answer.
func (e *docEnv) checkShell(t *testing.T, c docCommand, dir string, prelude []string, text string) {
	t.Helper()
	e.sem <- struct{}{}
	defer func() { <-e.sem }()
	// go tool pprof and go tool trace run the binaries the go command
	// resolved once (docEnv.tools), as go tool does; any other go command
	// is the go command.
	script := fmt.Sprintf(`go() { if [ "$1" = tool ] && [ "$2" = pprof ]; then shift 2; %q "$@"; elif [ "$1" = tool ] && [ "$2" = trace ]; then shift 2; %q "$@"; else command go "$@"; fi; }`,
		e.tools["pprof"], e.tools["trace"])
	script += "\n" + strings.Join(slices.Concat(prelude, []string{text}), "\n")
	ctx, cancel := context.WithTimeout(e.ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BROWSER=true", "PPROF_TMPDIR="+e.tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	fail := func(format string, args ...any) {
		t.Errorf("%s:%d: %s\n    %s\n    stderr: %s", c.file, c.line, c.text, fmt.Sprintf(format, args...), tailText(stderr.String()))
	}
	if err != nil {
		fail("failed: %v", err)
		return
	}
	answer := stdout.Bytes()
	if m := redirect.FindStringSubmatch(text); m != nil {
		b, err := os.ReadFile(filepath.Join(dir, m[1]))
		if err != nil {
			fail("wrote no %s: %v", m[1], err)
			return
		}
		answer = b
	}
	if w := shellWords(text); slices.Contains(w, "-h") {
		answer = append(answer, stderr.Bytes()...) // the flag package's usage
	}
	if len(bytes.TrimSpace(answer)) == 0 && !silent[shellWords(text)[0]] {
		fail("printed nothing")
		return
	}
	if s := stderr.String(); (strings.Contains(s, "matched no samples") || strings.Contains(s, "no matches found")) && matchesNothing[c.text] == "" {
		fail("its filter matches nothing in the capture: the reader sees no row")
		return
	}
	if varsGrep.MatchString(text) {
		for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			if !strings.ContainsAny(l, "0123456789") {
				fail("printed a line without a number: %q", l)
			}
		}
	}
}

// silent are the commands whose work is a change, not an answer: their
// exit status alone counts.
var silent = map[string]bool{"mkdir": true}

// matchesNothing are the commands whose pprof filter is meant to match
// nothing, by the reason their README gives; any other filter that
// matches nothing in its capture fails (pprof exits 0 then, with no row).
var matchesNothing = map[string]string{
	`go tool pprof -top -cum -focus='main\.' profiles/03-fraud-check/exercise/block.pprof`: "solutions/03-fraud-check/README.md: none of the block profile's delay is under the program's code",
}

// tailText is the end of a command's error output, on one line or a few.
func tailText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return strings.ReplaceAll(s, "\n", "\n      ")
}

// serverResult is the answer of one pprof or trace server, shared by
// every command that starts the same one on the same capture.
type serverResult struct {
	once sync.Once
	err  error
}

// checkServer starts a go tool pprof -http or go tool trace on a free
// loopback port and waits for a 200 at /.
func (e *docEnv) checkServer(t *testing.T, c docCommand, dir string) {
	t.Helper()
	w := shellWords(c.text)
	tool := w[2]
	var args []string
	for i := 3; i < len(w); i++ {
		switch {
		case w[i] == "-http":
			i++
		case strings.HasPrefix(w[i], "-http="), w[i] == "-no_browser":
		default:
			args = append(args, w[i])
		}
	}
	// The same server on the same file, whichever folder names it, is
	// started once.
	key := []string{tool}
	for _, a := range args {
		if p, err := filepath.EvalSymlinks(filepath.Join(dir, a)); err == nil && !strings.HasPrefix(a, "-") {
			a = p
		}
		key = append(key, a)
	}
	e.mu.Lock()
	r := e.servers[strings.Join(key, " ")]
	if r == nil {
		r = &serverResult{}
		e.servers[strings.Join(key, " ")] = r
	}
	e.mu.Unlock()
	r.once.Do(func() {
		e.sem <- struct{}{}
		defer func() { <-e.sem }()
		for try := 0; try < 3; try++ {
			var inUse bool
			if inUse, r.err = e.serve(t, dir, tool, args); !inUse {
				return
			}
		}
	})
	if r.err != nil {
		t.Errorf("%s:%d: %s\n    %v", c.file, c.line, c.text, r.err)
	}
}

// serve runs one server until it answers / with 200, or fails; inUse
// says that its port was taken meanwhile, and another try may do.
func (e *docEnv) serve(t *testing.T, dir, tool string, args []string) (inUse bool, err error) {
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	flags := []string{"-http=" + addr}
	if tool == "pprof" {
		flags = append(flags, "-no_browser")
	}
	cmd := exec.Command(e.tools[tool], append(flags, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BROWSER=true", "PPROF_TMPDIR="+e.tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return false, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}()
	client := &http.Client{Timeout: serverTimeout}
	deadline := time.Now().Add(serverTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			return strings.Contains(out.String(), "address already in use"), fmt.Errorf("go tool %s exited before it served (%v): %s", tool, err, tailText(out.String()))
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return false, nil
		}
		return false, fmt.Errorf("go tool %s answered %s at %s (after redirects)", tool, resp.Status, resp.Request.URL)
	}
	return false, fmt.Errorf("go tool %s did not serve / within %s: %s", tool, serverTimeout, tailText(out.String()))
}

// docProgram is one exercise's program, built and started once for the
// curls of every README that is about it, on loopback ports the kernel
// picks, in a folder laid out like the repository's top (so that a file
// it writes where its README says, profiles/local/audit.log, is where
// the README's next command reads it). It runs with the flags of the
// first go run line of its own README that has flags and no absolute
// path (exercise 1's -audit-log, exercise 2's -flags), else with none.
type docProgram struct {
	n    int
	once sync.Once
	top  string
	args []string
	p    *proc.Program
	app  string // host:port of the app listener
	// debug is the host:port of the debug listener.
	debug string
	err   error
}

// program returns exercise n's program, not yet started.
func (e *docEnv) program(n int) *docProgram {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.programs[n]; p != nil {
		return p
	}
	p := &docProgram{n: n}
	e.programs[n] = p
	return p
}

var goRunLine = regexp.MustCompile(`go run \./exercises/(\d\d)-[a-z0-9-]+((?: -[a-z-]+(?:[ =][^\s-][^\s]*)?)+)`)

func (p *docProgram) start(e *docEnv) error {
	p.once.Do(func() { p.err = p.run(e) })
	return p.err
}

func (p *docProgram) run(e *docEnv) error {
	var ex catalog.Exercise
	for _, x := range e.exs {
		if x.Number == p.n {
			ex = x
		}
	}
	if b, err := os.ReadFile(filepath.Join(e.root, ex.Folder("exercises"), "README.md")); err == nil {
		for _, m := range goRunLine.FindAllStringSubmatch(string(b), -1) {
			args := strings.Fields(m[2])
			if n, _ := strconv.Atoi(m[1]); n == p.n && !slices.Contains(args, "-h") && !strings.Contains(m[2], " /") {
				p.args = args
				break
			}
		}
	}
	var err error
	if p.top, err = e.folder(p.n); err != nil {
		return err
	}
	for _, a := range p.args { // the folders of the files it writes, as mkdir -p would
		if strings.Contains(a, "/") && !strings.HasPrefix(a, "-") {
			os.MkdirAll(filepath.Join(p.top, filepath.Dir(a)), 0o755)
		}
	}
	ctx, cancel := context.WithTimeout(e.ctx, buildTimeout)
	defer cancel()
	e.builds <- struct{}{}
	bin, err := proc.Build(ctx, io.Discard, e.root, "./"+ex.Folder("exercises"), filepath.Join(e.tmp, "bin", ex.Name()), ex.BuildEnv(catalog.GoVersion())...)
	<-e.builds
	if err != nil {
		return err
	}
	if p.p, err = proc.Start(ctx, io.Discard, bin, p.top, p.args...); err != nil {
		return err
	}
	p.app, p.debug = strings.TrimPrefix(p.p.App, "http://"), strings.TrimPrefix(p.p.Debug, "http://")
	return nil
}

// stopPrograms stops every program the test started, once its start
// (which a -run filter may have left building) has ended.
func (e *docEnv) stopPrograms() {
	e.cancel()
	e.mu.Lock()
	programs := slices.Collect(maps.Values(e.programs))
	e.mu.Unlock()
	for _, p := range programs {
		p.once.Do(func() { p.err = errors.New("not started") })
		if p.p != nil {
			if err := p.p.Stop(); err != nil {
				e.t.Logf("exercise %d's program: %v", p.n, err)
			}
		}
	}
}
