package flamegraph

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const flameTestProfile = "../../../profiles/01-audit-trail/exercise/fgprof.pprof"

func TestRenderFlameGraph(t *testing.T) {
	chrome, err := FindChromium()
	if err != nil {
		t.Skipf("no Chromium to screenshot with: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "flame.png")
	const width, height = 1000, 600 // not the default: the size asked must be the size drawn
	var log bytes.Buffer
	start := time.Now()
	err = RenderFlameGraph(ctx, &log, FlameGraph{
		Profile:  flameTestProfile,
		Focus:    `github.com/slowpath/slowpath/server\.\(\*App\)\.ServeHTTP`,
		Out:      out,
		Width:    width,
		Height:   height,
		Chromium: chrome,
	})
	t.Logf("rendered in %s; it printed:\n%s", time.Since(start).Round(time.Millisecond), log.String())
	if err != nil {
		t.Fatal(err)
	}

	flameCheckStopped(t, log.String())
	printed := log.String()
	for _, want := range []string{
		"$ go tool pprof -no_browser -http=127.0.0.1:",
		" " + flameTestProfile + "\n",
		"$ " + chrome + " --headless --screenshot=",
		" --window-size=1000,600 ",
		"/ui/flamegraph?f=github.com",
	} {
		if !strings.Contains(printed, want) {
			t.Errorf("the commands printed lack %q", want)
		}
	}
	if i, j := strings.Index(printed, "go tool pprof"), strings.Index(printed, chrome); i < 0 || j < i {
		t.Errorf("go tool pprof is not printed before Chromium")
	}

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxFlameGraphPNG {
		t.Errorf("%d bytes, over %d", len(data), MaxFlameGraphPNG)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	t.Logf("%dx%d PNG of %d bytes", img.Bounds().Dx(), img.Bounds().Dy(), len(data))
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("the PNG is %dx%d, not %dx%d", b.Dx(), b.Dy(), width, height)
	}
	if n := flameColours(img, 1000); n < 50 {
		t.Errorf("only %d distinct colours: a blank or nearly blank page", n)
	}
	// A flame graph focused on ServeHTTP has every frame from root down to
	// the handler's (root, goexit, conn.serve, serverHandler.ServeHTTP,
	// App.ServeHTTP, HandlerFunc.ServeHTTP, the middleware, Record) as a
	// box across the whole width; unfocused, the profile's goroutines that
	// wait for the next request split the graph below goexit, and a blank
	// page, an error page or the top table have no such boxes at all.
	if n := flameFullWidthBoxes(img); n < 8 {
		t.Errorf("%d boxes span the width, want 8 or more (root down to Record) for the focused graph", n)
	}
}

// flameFullWidthBoxes counts the boxes of the picture that span nine
// tenths of its width: the frames that all samples go through. A box is a
// run of pixel rows between two of the dark lines that top pprof's boxes,
// in which some rows (those above and below its label) are mostly of one
// colour other than the page's background.
func flameFullWidthBoxes(img image.Image) int {
	b := img.Bounds()
	background := color.RGBAModel.Convert(img.At(b.Max.X-1, b.Max.Y-1)).(color.RGBA)
	boxes := 0
	var last color.RGBA // the colour of the box counted since the last line, if any
	for y := b.Min.Y; y < b.Max.Y; y++ {
		count := map[color.RGBA]int{}
		var top color.RGBA
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			count[c]++
			if count[c] > count[top] {
				top = c
			}
		}
		switch {
		case top == background || int(top.R)+int(top.G)+int(top.B) < 3*64: // no box, or a line
			last = color.RGBA{}
		case count[top]*10 >= b.Dx()*9 && top != last:
			boxes++
			last = top
		}
	}
	return boxes
}

func TestRenderFlameGraphFailsEarly(t *testing.T) {
	notAProfile := filepath.Join(t.TempDir(), "garbage.pprof")
	if err := os.WriteFile(notAProfile, []byte("this is not a profile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, profile, focus, want string
	}{
		{"missing profile", "no-such.pprof", "", "no-such.pprof"},
		{"bad focus regexp", flameTestProfile, `(`, "missing closing )"},
		{"not a profile", notAProfile, "", "exited before serving"},
		{"focus matching nothing", flameTestProfile, "NoSuchFrameAnywhere", "Focus expression matched no samples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out := filepath.Join(t.TempDir(), "flame.png")
			var log bytes.Buffer
			err := RenderFlameGraph(ctx, &log, FlameGraph{
				Profile:  tc.profile,
				Focus:    tc.focus,
				Out:      out,
				Chromium: "/nonexistent/chromium", // never reached
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one saying %q", err, tc.want)
			}
			if strings.Contains(log.String(), "/nonexistent/chromium") {
				t.Errorf("Chromium was started after pprof failed:\n%s", log.String())
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists after a failure (%v)", out, err)
			}
			if strings.Contains(log.String(), "go tool pprof") {
				flameCheckStopped(t, log.String())
			}
		})
	}
}

func TestRenderFlameGraphCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled the moment pprof's command is printed: while pprof starts,
	// before it can serve, whatever the machine's speed.
	var log bytes.Buffer
	w := cancelOn{w: &log, text: "$ go tool pprof", cancel: cancel}
	start := time.Now()
	err := RenderFlameGraph(ctx, &w, FlameGraph{
		Profile:  flameTestProfile,
		Out:      filepath.Join(t.TempDir(), "flame.png"),
		Chromium: "/nonexistent/chromium",
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned %s after the cancel", d)
	}
	flameCheckStopped(t, log.String())
}

// cancelOn writes to w, and calls cancel once a write holds text.
type cancelOn struct {
	w      io.Writer
	text   string
	cancel func()
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(c.text)) {
		c.cancel()
	}
	return c.w.Write(p)
}

// flameCheckStopped fails if a process of the go tool pprof printed in log
// is still running: it looks for its -http flag in /proc/*/cmdline.
func flameCheckStopped(t *testing.T, log string) {
	t.Helper()
	m := regexp.MustCompile(`go tool pprof -no_browser (-http=127\.0\.0\.1:[0-9]+) `).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no go tool pprof printed:\n%s", log)
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err == nil && slices.Contains(strings.Split(string(b), "\x00"), m[1]) {
			t.Errorf("%s (%s) still runs after RenderFlameGraph returned", f, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}

func TestFlameCheckPNGTooBig(t *testing.T) {
	// Noise does not compress: 400x400 RGB pixels make a PNG of about 470 KiB.
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	err := flameCheckPNG(out, 400, 400)
	if err == nil || !strings.Contains(err.Error(), " bytes (") || !strings.Contains(err.Error(), "KiB") {
		t.Fatalf("a %d-byte PNG: got %v, want an error naming its size", buf.Len(), err)
	}
	// The same check passes a small, busy picture of the right size only.
	small := image.NewRGBA(image.Rect(0, 0, 40, 40))
	copy(small.Pix, img.Pix)
	buf.Reset()
	png.Encode(&buf, small)
	os.WriteFile(out, buf.Bytes(), 0o644)
	if err := flameCheckPNG(out, 40, 40); err != nil {
		t.Errorf("a fine PNG: %v", err)
	}
	if err := flameCheckPNG(out, 41, 40); err == nil {
		t.Errorf("a 40x40 PNG passed for 41x40")
	}
	blank := image.NewRGBA(image.Rect(0, 0, 40, 40))
	buf.Reset()
	png.Encode(&buf, blank)
	os.WriteFile(out, buf.Bytes(), 0o644)
	if err := flameCheckPNG(out, 40, 40); err == nil || !strings.Contains(err.Error(), "blank") {
		t.Errorf("a blank PNG: got %v, want an error saying it is blank", err)
	}
}

func TestFindChromiumEmptyPATH(t *testing.T) {
	t.Setenv("PATH", "")
	path, err := FindChromium()
	if !errors.Is(err, ErrNoChromium) || path != "" {
		t.Fatalf("FindChromium() = %q, %v; want \"\", ErrNoChromium", path, err)
	}
}
