package server

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRateLogBoundsTheLinesAndCountsAll(t *testing.T) {
	var out bytes.Buffer
	r := &RateLog{Log: slog.New(slog.NewTextHandler(&out, nil)), Msg: "refused", Every: time.Hour}
	ctx := context.Background()
	r.Resolved(ctx, "back") // nothing failed: nothing to say
	for range 100 {
		r.Add(ctx, "path", "/users/1")
	}
	if n := strings.Count(out.String(), "msg=refused"); n != 1 {
		t.Fatalf("%d lines for 100 failures within Every, want 1:\n%s", n, out.String())
	}
	r.Resolved(ctx, "back")
	r.Resolved(ctx, "back") // said once
	total := 0
	for _, m := range regexp.MustCompile(`\bcount(_since_last_line)?=(\d+)`).FindAllStringSubmatch(out.String(), -1) {
		n, _ := strconv.Atoi(m[2])
		total += n
	}
	if total != 100 || strings.Count(out.String(), "msg=back") != 1 {
		t.Errorf("the lines count %d failures of 100, or the recovery was not said once:\n%s", total, out.String())
	}
}
