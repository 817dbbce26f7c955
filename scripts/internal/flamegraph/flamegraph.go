package flamegraph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FlameGraph says what RenderFlameGraph draws and where.
type FlameGraph struct {
	Profile string // the profile file, e.g. profiles/01-audit-trail/exercise/fgprof.pprof
	Focus   string // regexp of frames to focus on (pprof's -focus), e.g. request handling; empty for none
	Out     string // the PNG to write

	// Width and Height are the browser window's size in pixels, and so the
	// PNG's; zero means FlameGraphWidth or FlameGraphHeight, which read
	// well in a README at half width.
	Width, Height int

	Chromium string // the browser binary; empty means FindChromium()
}

const (
	// FlameGraphWidth and FlameGraphHeight are the default window size:
	// wide enough that the frames under request handling keep their names,
	// tall enough for about thirty frames of stack, and small enough that a
	// flame graph stays well under MaxFlameGraphPNG.
	FlameGraphWidth  = 1200
	FlameGraphHeight = 700

	// MaxFlameGraphPNG is the most bytes a PNG of RenderFlameGraph may
	// have: the kit commits them.
	MaxFlameGraphPNG = 300 << 10

	flameServeTimeout  = 90 * time.Second // go tool pprof builds itself the first time
	flameChromeTimeout = 60 * time.Second
	flameStopTimeout   = 5 * time.Second
)

// ErrNoChromium is FindChromium's error when no browser is in PATH.
var ErrNoChromium = errors.New("no Chromium in PATH (looked for chromium, chromium-browser, google-chrome; on Debian: apt-get install chromium)")

// FindChromium returns the path of a headless-capable Chromium (chromium,
// chromium-browser, google-chrome in PATH), or ErrNoChromium.
func FindChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// RenderFlameGraph draws opt.Profile's flame graph into the PNG opt.Out
// exactly as pprof's own web UI shows it, printing to w each command it
// runs. It starts
//
//	go tool pprof -no_browser -http=127.0.0.1:PORT PROFILE
//
// on a free loopback port, polls the flame graph page until pprof serves
// it (failing with pprof's output if pprof exits first, or after 90 s:
// the first run builds pprof), and checks that page: an answer other than 200 or a
// page with pprof's errors on it (a focus that matches no samples) fails
// here rather than ending up as a picture. The focus goes in the page's URL
// as the web UI's own parameter f (what its REFINE > Focus menu sets:
// internal/driver/config.go maps the focus field to urlparam "f"), so the
// picture is what a learner sees at
//
//	http://127.0.0.1:PORT/ui/flamegraph?f=FOCUS
//
// Then headless Chromium (given 60 s) loads that URL in a window of opt.Width by
// opt.Height with a fresh, empty profile folder, and writes the screenshot
// once the page's JavaScript has drawn the graph (a virtual time budget
// lets the page's scripts and timers run to quiet first). At last the PNG
// is checked: it decodes, has the window's size, is not blank, and has at
// most MaxFlameGraphPNG bytes; if any check fails, opt.Out is removed and
// the error says why (for the size, how many bytes it had).
//
// pprof and Chromium run in process groups of their own, which are ended
// by their id however RenderFlameGraph returns, ctx's cancellation
// included; every wait is bounded.
func RenderFlameGraph(ctx context.Context, w io.Writer, opt FlameGraph) (err error) {
	width, height := opt.Width, opt.Height
	if width == 0 {
		width = FlameGraphWidth
	}
	if height == 0 {
		height = FlameGraphHeight
	}
	if width < 0 || height < 0 {
		return fmt.Errorf("flame graph window size %dx%d: negative", opt.Width, opt.Height)
	}
	if opt.Out == "" {
		return errors.New("flame graph: no Out file given")
	}
	if _, err := os.Stat(opt.Profile); err != nil {
		return fmt.Errorf("flame graph: %w", err)
	}
	if opt.Focus != "" {
		if _, err := regexp.Compile(opt.Focus); err != nil {
			return fmt.Errorf("flame graph focus: %w", err)
		}
	}
	chrome := opt.Chromium
	if chrome == "" {
		if chrome, err = FindChromium(); err != nil {
			return err
		}
	}
	out, err := filepath.Abs(opt.Out) // Chromium's working folder is ours, but say it plainly
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "slowpath-flamegraph-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	port, err := flameFreePort()
	if err != nil {
		return err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	pprof, err := flameStartPprof(w, addr, opt.Profile)
	if err != nil {
		return err
	}
	defer pprof.stop()

	page := "http://" + addr + "/ui/flamegraph"
	if opt.Focus != "" {
		page += "?f=" + flameQueryEscape(opt.Focus)
	}
	if err := pprof.waitServing(ctx, page); err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err // a stale picture must not pass for the new one
	}
	defer func() {
		if err != nil {
			os.Remove(out)
		}
	}()
	if err := flameScreenshot(ctx, w, chrome, page, out, filepath.Join(tmp, "chromium-profile"), width, height); err != nil {
		return err
	}
	return flameCheckPNG(out, width, height)
}

// flameFreePort asks the kernel for a free loopback TCP port.
func flameFreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// flamePprof is a running go tool pprof -http.
type flamePprof struct {
	cmd    *exec.Cmd
	output *flameTail
	done   chan struct{}
	err    error // how it ended, once done is closed
}

func flameStartPprof(w io.Writer, addr, profile string) (*flamePprof, error) {
	cmd := exec.Command("go", "tool", "pprof", "-no_browser", "-http="+addr, profile)
	p := &flamePprof{cmd: cmd, output: &flameTail{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	proc.OwnGroup(cmd) // go tool runs pprof as its child: end both
	cmd.WaitDelay = flameStopTimeout
	fmt.Fprintf(w, "$ %s\n", flameCommandLine(cmd.Args))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop ends pprof's process group: SIGTERM, then SIGKILL if it is still
// there after flameStopTimeout.
func (p *flamePprof) stop() {
	pgid := p.cmd.Process.Pid
	proc.TermGroup(pgid)
	select {
	case <-p.done:
	case <-time.After(flameStopTimeout):
	}
	proc.KillGroup(pgid) // whatever of the group is left
	select {
	case <-p.done:
	case <-time.After(flameStopTimeout):
	}
}

// waitServing polls page until pprof answers it, and fails if pprof exits
// first, answers with an error, or shows errors on the page.
func (p *flamePprof) waitServing(ctx context.Context, page string) error {
	deadline := time.NewTimer(flameServeTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		body, status, err := flameGet(ctx, client, page)
		if err == nil {
			if status != http.StatusOK {
				return fmt.Errorf("pprof answered %s with %d: %s", page, status, strings.TrimSpace(string(body)))
			}
			if m := flameErrors.FindSubmatch(body); m != nil {
				msg := strings.NewReplacer("<div>", "", "</div>", "; ").Replace(string(m[1]))
				return fmt.Errorf("pprof's page %s shows errors: %s", page, strings.TrimSuffix(msg, "; "))
			}
			if !bytes.Contains(body, []byte("stackViewer(")) {
				return fmt.Errorf("pprof's page %s is not its flame graph", page)
			}
			return nil
		}
		select {
		case <-poll.C:
		case <-p.done:
			return fmt.Errorf("go tool pprof exited before serving (%v); its output:\n%s", p.err, p.output)
		case <-deadline.C:
			return fmt.Errorf("go tool pprof did not serve %s within %s (%v); its output:\n%s", page, flameServeTimeout, err, p.output)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// flameErrors finds the errors pprof puts on a page (see its header.html).
var flameErrors = regexp.MustCompile(`<div id="errors">((?:<div>[^<]*</div>)+)</div>`)

func flameGet(ctx context.Context, client *http.Client, page string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return body, resp.StatusCode, err
}

// flameScreenshot has headless Chromium write page's screenshot to out.
func flameScreenshot(ctx context.Context, w io.Writer, chrome, page, out, profileDir string, width, height int) error {
	if err := os.Mkdir(profileDir, 0o700); err != nil {
		return err
	}
	args := []string{
		"--headless",
		"--screenshot=" + out,
		fmt.Sprintf("--window-size=%d,%d", width, height),
		"--virtual-time-budget=5000", // run the page's scripts to quiet before the shot
		"--run-all-compositor-stages-before-draw",
		"--hide-scrollbars",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox") // Chromium refuses to sandbox as root
	}
	args = append(args,
		"--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profileDir,
		page,
	)
	ctx, cancel := context.WithTimeout(ctx, flameChromeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chrome, args...)
	output := &flameTail{}
	cmd.Stdout, cmd.Stderr = output, output
	proc.OwnGroup(cmd)
	cmd.Cancel = func() error { return proc.KillGroup(cmd.Process.Pid) }
	cmd.WaitDelay = flameStopTimeout
	fmt.Fprintf(w, "$ %s\n", flameCommandLine(cmd.Args))
	if err := cmd.Start(); err != nil {
		return err
	}
	err := cmd.Wait()
	proc.KillGroup(cmd.Process.Pid) // helpers it may have left behind
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s took more than %s; its output:\n%s", chrome, flameChromeTimeout, output)
		}
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("%s: %v; its output:\n%s", chrome, err, output)
	}
	if _, err := os.Stat(out); err != nil {
		return fmt.Errorf("%s wrote no screenshot (%v); its output:\n%s", chrome, err, output)
	}
	return nil
}

// flameCheckPNG fails unless out is a PNG of width by height pixels, of at
// most MaxFlameGraphPNG bytes, with more than a few colours on it.
func flameCheckPNG(out string, width, height int) error {
	data, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	if len(data) > MaxFlameGraphPNG {
		return fmt.Errorf("flame graph %s is %d bytes (%.0f KiB), over the %d KiB limit: render it smaller",
			out, len(data), float64(len(data))/1024, MaxFlameGraphPNG>>10)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("flame graph %s: %w", out, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		return fmt.Errorf("flame graph %s is %dx%d, not the window's %dx%d", out, b.Dx(), b.Dy(), width, height)
	}
	if n := flameColours(img, 16); n < 16 {
		return fmt.Errorf("flame graph %s looks blank: %d colours", out, n)
	}
	return nil
}

// flameColours counts the distinct colours of img, stopping at max.
func flameColours(img image.Image, max int) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
			if len(seen) >= max {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// flameQueryEscape escapes s for a URL's query like url.QueryEscape, but
// leaves alone the characters a query may hold as they are (RFC 3986
// section 3.4) that regexps of Go frames use, so the printed URL reads
// like the regexp.
func flameQueryEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~/()*:,@", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// flameCommandLine writes args as a shell would read them back.
func flameCommandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") == "" {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// flameTail keeps the last 16 KiB written to it, for error messages.
type flameTail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *flameTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 16<<10; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *flameTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
