package captures

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/google/pprof/profile"
)

// SyscallProfile turns an execution trace into the profile of its system
// calls, as go tool trace -pprof=syscall does (printed to w first), saved
// beside the trace as syscall.pprof: one sample per stack, with how many
// calls it made (contentions/count) and how long they took.
func SyscallProfile(ctx context.Context, w io.Writer, trace string) (*profile.Profile, error) {
	out := strings.TrimSuffix(trace, ".out") + "-syscall.pprof"
	fmt.Fprintf(w, "$ go tool trace -pprof=syscall %s > %s\n", trace, out)
	cmd := exec.CommandContext(ctx, "go", "tool", "trace", "-pprof=syscall", trace)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go tool trace -pprof=syscall %s: %v: %s", trace, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return nil, err
	}
	p, err := profile.ParseData(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", out, err)
	}
	return p, nil
}

// CountCalls adds up the calls of the samples whose stack has a frame
// matching fn and one matching under: with a syscall profile, how many
// times the program's own code (under) reached a system call (fn).
func CountCalls(p *profile.Profile, fn, under *regexp.Regexp) int64 {
	ci := countIndex(p)
	var n int64
	for _, s := range p.Sample {
		if !hasFrame(s, fn) || !hasFrame(s, under) {
			continue
		}
		if ci >= 0 {
			n += s.Value[ci]
		} else {
			n++
		}
	}
	return n
}
