package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// RunCommand runs a command, printed to w first as a shell would show it,
// and waits for it. Its standard output goes to stdout, or to the file
// the arguments name after ">" (the shell's redirection, which it then
// does itself), and its standard error to w. The command runs in a
// process group of its own, so that a Ctrl-C on the terminal reaches the
// caller alone, which stops it once (go tool hey runs hey as a child of
// the go command: the whole group is stopped) when ctx ends.
func RunCommand(ctx context.Context, w io.Writer, stdout io.Writer, name string, args ...string) error {
	line := append([]string{name}, args...)
	if i := slices.Index(args, ">"); i >= 0 && i+1 < len(args) {
		f, err := os.Create(args[i+1])
		if err != nil {
			return err
		}
		defer f.Close()
		stdout, args = f, args[:i]
	}
	fmt.Fprintf(w, "$ %s\n", strings.Join(line, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = stdout, w
	OwnGroup(cmd)
	cmd.Cancel = func() error { return TermGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(line, " "), err)
	}
	return nil
}

// SQLiteBuilt reports whether the go-sqlite3 driver is built already for
// a build with env and the go command's flags (-race): the first build
// compiles SQLite's C code, which takes a minute or two, and a learner
// should be told before it starts.
func SQLiteBuilt(ctx context.Context, env []string, flags ...string) bool {
	args := append(append([]string{"list"}, flags...), "-f", "{{.Stale}}", "github.com/mattn/go-sqlite3")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	return err == nil && strings.TrimSpace(string(out)) == "false"
}

// ErrLocked says that another run holds a folder's lock (LockFolder).
var ErrLocked = errors.New("another run holds the folder's lock")
