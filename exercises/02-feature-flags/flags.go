package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"

	"github.com/slowpath/slowpath/server"
)

// Flags is the feature-flags file: the theme, the segments of users that
// rules target, and every flag. Ops edit it while the service runs.
type Flags struct {
	Version   int       `json:"version"`    // raised by every edit; pages show it
	UpdatedAt string    `json:"updated_at"` // when and by whom, for humans
	UpdatedBy string    `json:"updated_by"`
	Theme     Theme     `json:"theme"`
	Segments  []Segment `json:"segments"`
	Flags     []Flag    `json:"flags"`

	client []int // indexes in Flags of the client flags, set by loadFlags
}

// Theme picks each user's page theme: one of Variants, drawn by weight
// from the user's bucket, or Default for the users past their weights.
type Theme struct {
	Default  string    `json:"default"`
	Salt     string    `json:"salt"`
	Variants []Variant `json:"variants"`
}

// Variant is one theme and the percentage of users who get it.
type Variant struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"`
}

// Segment is a named group of users that rules target: the users listed
// by id, and the users whose country and plan are in its lists (an empty
// list does not restrict; a segment with neither list matches by id only).
type Segment struct {
	Key         string   `json:"key"`
	Description string   `json:"description"`
	Users       []int64  `json:"users,omitempty"`
	Countries   []string `json:"countries,omitempty"`
	Plans       []string `json:"plans,omitempty"`
}

// Flag is one feature switch. A disabled flag is off for everyone; else
// it is on for the users in Allow, and for a percentage of the others:
// the Rollout of the first rule whose segment holds the user, or the
// flag's own Rollout when none does. Only the flags marked Client are
// shown on pages, for the browser; the others are read by the backends.
type Flag struct {
	Key         string   `json:"key"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`
	Ticket      string   `json:"ticket"`
	CreatedAt   string   `json:"created_at"`
	Tags        []string `json:"tags"`
	Client      bool     `json:"client"`
	Enabled     bool     `json:"enabled"`
	Allow       []int64  `json:"allow,omitempty"`
	Rules       []Rule   `json:"rules,omitempty"`
	Rollout     int      `json:"rollout"`        // percentage, 0 to 100
	Salt        string   `json:"salt,omitempty"` // seeds the user's bucket; Key when empty
	History     []Change `json:"history,omitempty"`
}

// Change is one edit of a flag, newest first in Flag.History, kept for
// the humans who read the file.
type Change struct {
	At     string `json:"at"`
	By     string `json:"by"`
	Change string `json:"change"`
}

// Rule gives the users of a segment their own rollout percentage.
type Rule struct {
	Segment string `json:"segment"`
	Rollout int    `json:"rollout"`

	segment int // index of Segment in Flags.Segments, set by loadFlags
}

// PageFlags is what a page shows of the flags: the file's version, the
// user's theme, and the keys of the client flags on for the user, in file
// order.
type PageFlags struct {
	Version int      `json:"version"`
	Theme   string   `json:"theme"`
	On      []string `json:"on"`
}

// loadFlags reads the flags file at path and checks it: unique keys,
// percentages from 0 to 100, rules that name a known segment.
func loadFlags(path string) (*Flags, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("feature flags: %w", err)
	}
	var f Flags
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("feature flags %s: %w", path, err)
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("feature flags %s: %w", path, err)
	}
	return &f, nil
}

// check checks a parsed file, lists its client flags and points each rule
// at its segment.
func (f *Flags) check() error {
	if f.Theme.Default == "" {
		return fmt.Errorf("theme has no default")
	}
	total := 0
	for _, v := range f.Theme.Variants {
		if v.Name == "" || v.Weight < 0 {
			return fmt.Errorf("theme variant %q: needs a name and a weight of 0 or more", v.Name)
		}
		total += v.Weight
	}
	if total > 100 {
		return fmt.Errorf("theme variants weigh %d%% in all, more than 100%%", total)
	}
	segments := make(map[string]int, len(f.Segments))
	for i, s := range f.Segments {
		if _, dup := segments[s.Key]; s.Key == "" || dup {
			return fmt.Errorf("segment %q: empty or repeated key", s.Key)
		}
		segments[s.Key] = i
	}
	keys := make(map[string]bool, len(f.Flags))
	for i := range f.Flags {
		fl := &f.Flags[i]
		if fl.Key == "" || keys[fl.Key] {
			return fmt.Errorf("flag %q: empty or repeated key", fl.Key)
		}
		keys[fl.Key] = true
		if fl.Client {
			f.client = append(f.client, i)
		}
		if !isPercent(fl.Rollout) {
			return fmt.Errorf("flag %q: rollout %d is not a percentage", fl.Key, fl.Rollout)
		}
		for j := range fl.Rules {
			r := &fl.Rules[j]
			var ok bool
			if r.segment, ok = segments[r.Segment]; !ok {
				return fmt.Errorf("flag %q: rule on unknown segment %q", fl.Key, r.Segment)
			}
			if !isPercent(r.Rollout) {
				return fmt.Errorf("flag %q: rule on %q: rollout %d is not a percentage", fl.Key, r.Segment, r.Rollout)
			}
		}
	}
	return nil
}

func isPercent(n int) bool { return n >= 0 && n <= 100 }

// Evaluate says which client flags are on for u, and u's theme. f must
// come from loadFlags. Evaluate only reads f, so goroutines may share one
// *Flags.
func (f *Flags) Evaluate(u server.User) PageFlags {
	e := evaluation{f: f, u: u, in: make([]int8, len(f.Segments))}
	page := PageFlags{Version: f.Version, Theme: f.Theme.pick(u.ID), On: []string{}}
	for _, i := range f.client {
		if fl := &f.Flags[i]; e.on(fl) {
			page.On = append(page.On, fl.Key)
		}
	}
	return page
}

// evaluation is one user's evaluation of the flags. in remembers which
// segments hold the user, as they are asked: 0 not asked yet, 1 in, -1 out.
type evaluation struct {
	f  *Flags
	u  server.User
	in []int8
}

func (e *evaluation) on(fl *Flag) bool {
	if !fl.Enabled {
		return false
	}
	if slices.Contains(fl.Allow, e.u.ID) {
		return true
	}
	rollout := fl.Rollout
	for _, r := range fl.Rules {
		if e.holds(r.segment) {
			rollout = r.Rollout
			break
		}
	}
	salt := fl.Salt
	if salt == "" {
		salt = fl.Key
	}
	return bucket(salt, e.u.ID) < rollout
}

func (e *evaluation) holds(i int) bool {
	if e.in[i] == 0 {
		e.in[i] = -1
		if e.f.Segments[i].holds(e.u) {
			e.in[i] = 1
		}
	}
	return e.in[i] == 1
}

func (s *Segment) holds(u server.User) bool {
	if slices.Contains(s.Users, u.ID) {
		return true
	}
	if len(s.Countries) == 0 && len(s.Plans) == 0 {
		return false
	}
	return (len(s.Countries) == 0 || slices.Contains(s.Countries, u.Country)) &&
		(len(s.Plans) == 0 || slices.Contains(s.Plans, u.Plan))
}

func (t *Theme) pick(id int64) string {
	b, upTo := bucket(t.Salt, id), 0
	for _, v := range t.Variants {
		upTo += v.Weight
		if b < upTo {
			return v.Name
		}
	}
	return t.Default
}

// bucket places a user in one of 100 buckets, 0 to 99, for a salt: the
// 32-bit FNV-1a hash of "salt:id" (the id in decimal) modulo 100. A
// rollout of n% is on for the buckets below n; each salt shuffles the
// users anew, so two 10% flags do not go to the same 10% of users.
func bucket(salt string, id int64) int {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for i := 0; i < len(salt); i++ {
		h = (h ^ uint32(salt[i])) * prime
	}
	h = (h ^ ':') * prime
	var buf [20]byte
	for _, c := range strconv.AppendInt(buf[:0], id, 10) {
		h = (h ^ uint32(c)) * prime
	}
	return int(h % 100)
}

// setupFlags makes the pages follow the flags file at path: it writes the
// shipped defaults there if no file exists, adds withFlags to the
// middleware, and adds the step "flags", which puts the user's flags on
// the page under "flags".
func setupFlags(cfg *server.Config, path string) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := writeDefaultFlags(path, log); err != nil {
		return err
	}
	cfg.Middleware = append(cfg.Middleware, withFlags(path))
	cfg.Steps = append(cfg.Steps, server.Step{Name: "flags", Run: func(ctx context.Context, p *server.Page) error {
		req, ok := ctx.Value(flagsKey{}).(requestFlags)
		if !ok {
			return errors.New("feature flags: the request did not pass through withFlags")
		}
		if req.err != nil {
			return &server.HTTPError{Status: http.StatusServiceUnavailable, Message: "feature flags are unavailable", Err: req.err}
		}
		p.Set("flags", req.flags.Evaluate(p.User))
		return nil
	}})
	return nil
}

// withFlags gives every request the flags of the file at path, in its
// context, for the handlers to evaluate once they know the user. The file
// is read for every request, so an edit applies to the next one, with no
// cache to go stale.
func withFlags(path string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			flags, err := loadFlags(path)
			ctx := context.WithValue(r.Context(), flagsKey{}, requestFlags{flags: flags, err: err})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// flagsKey is the context key of a request's requestFlags.
type flagsKey struct{}

// requestFlags is what withFlags leaves in a request's context: the
// flags, or why they could not be loaded.
type requestFlags struct {
	flags *Flags
	err   error
}
