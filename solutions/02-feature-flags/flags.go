package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/flagfile"
)

// loadFlags reads the flags file at path and parses it. flagfile.Parse
// checks it too: unique keys, percentages from 0 to 100, rules that name
// a known segment.
func loadFlags(path string) (*flagfile.Flags, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("feature flags: %w", err)
	}
	f, err := flagfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("feature flags %s: %w", path, err)
	}
	return f, nil
}

// reloadEvery is how often the watcher looks at the flags file.
const reloadEvery = time.Second

// setupFlags makes the pages follow the flags file at path: it writes the
// shipped defaults there if no file exists, loads the file (a bad file is
// an error: the service does not start without its flags), starts the
// watcher that reloads it when it changes and stops it at shutdown, then
// adds the step "flags", which puts the user's flags on the page under
// "flags".
func setupFlags(cfg *server.Config, path string) error {
	if err := flagfile.WriteDefaults(path, cfg.Logger); err != nil {
		return err
	}
	live, err := watchFlags(path, reloadEvery, cfg.Logger)
	if err != nil {
		return err
	}
	cfg.Closers = append(cfg.Closers, live.Close)
	cfg.Steps = append(cfg.Steps, server.Step{Name: "flags", Run: func(ctx context.Context, p *server.Page) error {
		p.Set("flags", live.Load().Evaluate(p.User))
		return nil
	}})
	return nil
}

// liveFlags holds the flags the pages follow. They are loaded once at
// start; then a goroutine looks at the file every interval and loads it
// again when its modification time or size changed. A file that fails to
// load is logged, and the last good flags stay in place.
type liveFlags struct {
	path  string
	log   *slog.Logger
	flags atomic.Pointer[flagfile.Flags]
	stop  chan struct{}
	done  chan struct{}
}

// stamp is what the watcher compares to notice an edit.
type stamp struct {
	mod  time.Time
	size int64
}

func (s stamp) same(o stamp) bool { return s.mod.Equal(o.mod) && s.size == o.size }

func statFlags(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	return stamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

// watchFlags loads the flags file at path and starts a goroutine that
// reloads it when it changes, checking every interval, until Close.
func watchFlags(path string, every time.Duration, log *slog.Logger) (*liveFlags, error) {
	st, err := statFlags(path)
	if err != nil {
		return nil, fmt.Errorf("feature flags: %w", err)
	}
	flags, err := loadFlags(path)
	if err != nil {
		return nil, err
	}
	l := &liveFlags{path: path, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	l.flags.Store(flags)
	log.Info("feature flags loaded", "path", path, "version", flags.Version, "flags", len(flags.Flags))
	go l.watch(st, every)
	return l, nil
}

// Load returns the flags in force: the last file that loaded.
func (l *liveFlags) Load() *flagfile.Flags { return l.flags.Load() }

func (l *liveFlags) watch(last stamp, every time.Duration) {
	defer close(l.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	missing := false // the file could not be found last time: logged once, not at every tick
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		st, err := statFlags(l.path)
		if err != nil {
			if !missing {
				l.log.Error("feature flags: cannot read the file; keeping the last good flags",
					"path", l.path, "version", l.Load().Version, "err", err)
			}
			missing, last = true, stamp{}
			continue
		}
		missing = false
		if st.same(last) {
			continue
		}
		last = st
		flags, err := loadFlags(l.path)
		if err != nil {
			l.log.Error("feature flags: reload failed; keeping the last good flags",
				"path", l.path, "version", l.Load().Version, "err", err)
			continue
		}
		l.flags.Store(flags)
		l.log.Info("feature flags reloaded", "path", l.path, "version", flags.Version, "flags", len(flags.Flags))
	}
}

// Close stops the watcher and waits for it, at most until ctx ends.
func (l *liveFlags) Close(ctx context.Context) error {
	close(l.stop)
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("feature flags watcher: %w", ctx.Err())
	}
}
