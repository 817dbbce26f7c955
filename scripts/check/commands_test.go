package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/judges"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// TestNextCommands holds the check to the kit's promise that every
// command it prints works as printed: the commands after "Next:" in its
// reasons to fail and in its PASS line. It re-judges, with the current
// judge and verdict, the measurements that make profiles kept
// (profiles/NN-slug/check-exercise.json and check-solution.json: the
// check of each shipped exercise and of its solution), and the first of
// them once more with every judge of the exercise failing (nextWorst),
// so that every Next: the exercise's check can print is seen. Then it
// runs each command:
//
//   - go tool pprof reads the captures the command names,
//     profiles/local/check/NN-slug/{yours,solution}/..., laid out in a
//     temporary folder from the committed reference captures: yours is
//     the shipped exercise's (profiles/NN-slug/exercise/), solution the
//     solution's, with the trace-syscall.pprof that the check derives
//     from trace.out. It must exit 0 and print something, and its filter
//     (-focus=...) must match: pprof exits 0 on a filter that matches
//     nothing, which leaves the reader no row. With -http, it must serve
//     a 200 at / (redirects followed) on a free loopback port
//     (-no_browser).
//   - curl of the debug listener (localhost:6060) asks the exercise's
//     program, built and started by the test, after a short load when the
//     line says "while make exercise-N runs"; not with -short, which
//     builds no program.
//
// What it does not run, nextSkips says, with why; prose after Next: (a
// question, "read ...") is no command. It fails if fewer than 12 ran
// (17 when it was written), so that the skips cannot swallow them all.
func TestNextCommands(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	exs, err := catalog.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var cmds []nextCommand
	seen := map[string]bool{}
	for _, ex := range exs {
		if !ex.HasSolution() {
			continue
		}
		for _, run := range []struct {
			file  string
			worst bool
		}{{"check-exercise.json", false}, {"check-solution.json", false}, {"check-exercise.json", true}} {
			path := filepath.Join(root, "profiles", ex.Name(), run.file)
			var res report.CheckResult
			b, err := os.ReadFile(path)
			if err == nil {
				err = json.Unmarshal(b, &res)
			}
			if err != nil {
				t.Fatal(err)
			}
			res.Reasons, res.Failed, res.Pass, res.Ratio = nil, nil, false, 0
			source := "profiles/" + ex.Name() + "/" + run.file + ", re-judged"
			if run.worst {
				nextWorst(&res)
				source += " with every judge failing"
			}
			for _, c := range nextCommands(t, tmp, ex, res, source) {
				if !seen[c.text] {
					seen[c.text] = true
					cmds = append(cmds, c)
				}
			}
		}
	}

	top := filepath.Join(tmp, "top")
	if err := layCheckCaptures(t, root, top, exs, cmds); err != nil {
		t.Fatal(err)
	}
	ran := 0
	var skipped []string
	for i := range cmds {
		c := &cmds[i]
		c.why = nextSkip(c.text)
		if c.why == "" && testing.Short() && nextAddress.MatchString(c.text) {
			c.why = "-short: it asks a running program, which the test builds and starts only without -short"
		}
		if c.why != "" {
			skipped = append(skipped, fmt.Sprintf("%s  (%s; from %s)", c.text, c.why, c.source))
		} else {
			ran++
		}
	}
	t.Logf("%d Next: commands: %d run, %d skipped:\n  %s", len(cmds), ran, len(cmds)-ran, strings.Join(skipped, "\n  "))
	if ran < 12 {
		t.Errorf("only %d of the check's Next: commands ran, want at least 12: do the skips swallow them?", ran)
	}

	programs := map[int]*proc.Program{}
	t.Cleanup(func() {
		for _, p := range programs {
			p.Stop()
		}
	})
	for _, c := range cmds {
		if c.why != "" {
			continue
		}
		t.Run(c.text, func(t *testing.T) {
			text := c.text
			if nextAddress.MatchString(text) {
				p := programs[c.ex.Number]
				if p == nil {
					if p = startProgram(t, root, tmp, c.ex); p == nil {
						return
					}
					programs[c.ex.Number] = p
				}
				if c.load {
					loadProgram(t, root, p, c)
				}
				text = nextAddress.ReplaceAllStringFunc(text, func(a string) string {
					if strings.HasSuffix(a, ":6060") {
						return strings.TrimPrefix(p.Debug, "http://")
					}
					return strings.TrimPrefix(p.App, "http://")
				})
			}
			if w := strings.Fields(text); len(w) > 2 && w[0] == "go" && w[1] == "tool" && slices.ContainsFunc(w, func(x string) bool { return strings.HasPrefix(x, "-http") }) {
				checkNextServer(t, top, c, w)
				return
			}
			checkNextShell(t, top, c, text)
		})
	}
}

// nextCommand is one command of a Next: line.
type nextCommand struct {
	text   string // as printed
	ex     catalog.Exercise
	source string // the measurement it was judged from
	load   bool   // the line asks for it during the loop's load
	why    string // why it is not run, or ""
}

// nextWorst makes a measurement fail every judge: yours wrong, slow,
// waiting, unsynced, losing lines, stale, unbounded, reconnecting,
// querying, over quota, caching pages, keeping memory, allocating and
// leaking.
func nextWorst(res *report.CheckResult) {
	y, s := &res.Yours, &res.Solution
	y.Wrong = max(y.Wrong, 1)
	if y.Example == "" {
		y.Example = "GET /users/42: a wrong body"
	}
	y.Share, y.WaitWall = 1, 1
	y.Syncs = 0
	y.Answered = max(y.Answered, 10)
	y.Lines = y.Answered - 1
	y.Age, y.AgeMeasured = 60, true
	y.KeptUsers, y.KeptBytes = 1000, 1e9
	y.ReadPages, y.UnreadPages = 40, 40
	y.BrokenPages, y.BrokenErrors = 100, 100
	s.CycleP50 = max(s.CycleP50, 0.01)
	y.CycleP50 = 0
	y.ConnsPer1000, y.QueriesPerPage, y.PoolWaitMS, y.MaxOpen = 1000, 10, 100, 1000
	y.AllocBytes, y.AllocObjects, y.GCShare = 1e9, 1e9, 1
	y.GoroutinesAfter, y.Leaked = y.GoroutinesBefore+1e6, 1000
	y.RPS, y.P50, y.OpenP99 = s.RPS/100, s.P50*100+1, s.OpenP99*100+60
}

// nextCommands re-judges res and returns the commands of its Next: lines.
func nextCommands(t *testing.T, tmp string, ex catalog.Exercise, res report.CheckResult, source string) []nextCommand {
	t.Helper()
	f, err := os.CreateTemp(tmp, "verdict-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	js := judges.MustOf(ex.Answer)
	verdict(f, ex, js, judge(ex, js, res))
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	var out []nextCommand
	for _, line := range strings.Split(string(b), "\n") {
		_, next, ok := strings.Cut(line, "Next: ")
		if !ok {
			continue
		}
		for _, piece := range nextSplit.Split(next, -1) {
			piece = strings.TrimSpace(piece)
			load := false
			if i := strings.Index(piece, " while make exercise-"); i >= 0 {
				piece, load = piece[:i], true
			}
			if w := strings.Fields(piece); len(w) > 0 && (commandWords[w[0]] || strings.Contains(w[0], "=")) {
				out = append(out, nextCommand{text: piece, ex: ex, source: source, load: load})
			}
		}
	}
	if !bytes.Contains(b, []byte("Next: ")) {
		t.Errorf("%s: the verdict printed no Next: line:\n%s", source, b)
	}
	return out
}

// nextSplit cuts a Next: line into its clauses: "A, and B", "A, or B",
// "read X and compare your fix: B".
var nextSplit = regexp.MustCompile(`, and |, or |: |; `)

// commandWords start a clause that is a command; any other clause is
// prose ("read ...", "bound what it keeps").
var commandWords = map[string]bool{"go": true, "curl": true, "ss": true, "make": true, "diff": true, "git": true, "cat": true, "grep": true}

// nextSkips are the Next: commands this test does not run, and why.
var nextSkips = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`^make `), "a make target: the loop or a check, minutes long; the kit's other tests run them"},
	{regexp.MustCompile(`^(diff|git) `), "compares folders of code, not captures"},
	{regexp.MustCompile(`^ss `), "reads the machine's sockets while a load runs, not the kit's files"},
	{regexp.MustCompile(`^GODEBUG=`), "a GODEBUG=... run of a program, for as long as the reader likes"},
	{regexp.MustCompile(`^curl\b[^/]*$|^curl (\S+ )*the `), "names a request or a listener in words, not an address: nothing to run"},
}

func nextSkip(text string) string {
	for _, s := range nextSkips {
		if s.re.MatchString(text) {
			return s.why
		}
	}
	return ""
}

// nextAddress finds the app's and the debug listener's default addresses.
var nextAddress = regexp.MustCompile(`(localhost|127\.0\.0\.1):(8080|6060)\b`)

// layCheckCaptures lays out, under top, profiles/local/check/NN-slug/
// {yours,solution}/ with links to the reference captures of the shipped
// exercise and of the solution, and the trace-syscall.pprof the check
// derives, where a command reads it.
func layCheckCaptures(t *testing.T, root, top string, exs []catalog.Exercise, cmds []nextCommand) error {
	t.Helper()
	for _, ex := range exs {
		if !ex.HasSolution() {
			continue
		}
		for side, as := range map[string]string{"exercise": "yours", "solution": "solution"} {
			ref := filepath.Join(root, "profiles", ex.Name(), side)
			dir := filepath.Join(top, "profiles", "local", "check", ex.Name(), as)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			files, err := os.ReadDir(ref)
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := os.Symlink(filepath.Join(ref, f.Name()), filepath.Join(dir, f.Name())); err != nil {
					return err
				}
			}
			rel := filepath.ToSlash(filepath.Join("profiles", "local", "check", ex.Name(), as, "trace-syscall.pprof"))
			if slices.ContainsFunc(cmds, func(c nextCommand) bool { return strings.Contains(c.text, rel) }) {
				if _, err := captures.SyscallProfile(context.Background(), io.Discard, filepath.Join(dir, "trace.out")); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkNextShell runs a command with bash in top, and wants exit 0, an
// answer, and no filter that matches nothing.
func checkNextShell(t *testing.T, top string, c nextCommand, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", text)
	cmd.Dir = top
	cmd.Env = append(os.Environ(), "BROWSER=true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case err != nil:
		t.Errorf("the check's Next: %s (%s)\n    failed: %v\n    %s", c.text, c.source, err, strings.TrimSpace(stderr.String()))
	case len(bytes.TrimSpace(stdout.Bytes())) == 0:
		t.Errorf("the check's Next: %s (%s)\n    printed nothing\n    %s", c.text, c.source, strings.TrimSpace(stderr.String()))
	case strings.Contains(stderr.String(), "matched no samples"), strings.Contains(stderr.String(), "no matches found"):
		t.Errorf("the check's Next: %s (%s)\n    its filter matches nothing in the capture: %s", c.text, c.source, strings.TrimSpace(stderr.String()))
	}
}

// checkNextServer starts a go tool pprof -http on a free loopback port
// and waits for a 200 at / (redirects followed).
func checkNextServer(t *testing.T, top string, c nextCommand, w []string) {
	t.Helper()
	for try := 0; try < 3; try++ {
		inUse, err := serveNext(top, w)
		if err == nil {
			return
		}
		if !inUse || try == 2 {
			t.Errorf("the check's Next: %s (%s)\n    %v", c.text, c.source, err)
			return
		}
	}
}

// serveNext runs one server until it answers / with 200, or fails; inUse
// says that its port was taken meanwhile, and another try may do.
func serveNext(top string, w []string) (inUse bool, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"tool", w[2], "-http=" + addr}
	if w[2] == "pprof" {
		args = append(args, "-no_browser")
	}
	for _, x := range w[3:] {
		if !strings.HasPrefix(x, "-http") {
			args = append(args, x)
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = top
	cmd.Env = append(os.Environ(), "BROWSER=true")
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
	client := &http.Client{Timeout: time.Minute}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		select {
		case err := <-done:
			done <- err
			return strings.Contains(out.String(), "address already in use"), fmt.Errorf("exited before it served: %v\n    %s", err, strings.TrimSpace(out.String()))
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("answered %s at %s", resp.Status, resp.Request.URL)
		}
		return false, nil
	}
	return false, fmt.Errorf("did not serve / within 2 minutes: %s", strings.TrimSpace(out.String()))
}

// startProgram builds and starts the shipped exercise's program, as make
// exercise-N does, on loopback ports the kernel picks.
func startProgram(t *testing.T, root, tmp string, ex catalog.Exercise) *proc.Program {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := proc.Build(ctx, io.Discard, root, "./"+filepath.ToSlash(ex.Folder("exercises")), filepath.Join(tmp, "bin"), ex.BuildEnv(catalog.GoVersion())...)
	if err != nil {
		t.Errorf("build exercise %d for its Next: commands: %v", ex.Number, err)
		return nil
	}
	p, err := proc.Start(ctx, io.Discard, bin, filepath.Join(tmp, "run", ex.Name()))
	if err != nil {
		t.Errorf("start exercise %d for its Next: commands: %v", ex.Number, err)
		return nil
	}
	return p
}

// loadProgram sends a short load, as the loop's would be running.
func loadProgram(t *testing.T, root string, p *proc.Program, c nextCommand) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "tool", "hey", "-n", "200", "-c", "4", p.App+"/users/42")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the load before the check's Next: %s: %v\n%s", c.text, err, out)
	}
}
