package flagfile

import (
	"encoding/json"
	"fmt"
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

	client []int // indexes in Flags of the client flags, set by Parse
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

	segment int // index of Segment in Flags.Segments, set by Parse
}

// PageFlags is what a page shows of the flags: the file's version, the
// user's theme, and the keys of the client flags on for the user, in file
// order.
type PageFlags struct {
	Version int      `json:"version"`
	Theme   string   `json:"theme"`
	On      []string `json:"on"`
}

// Parse decodes a flags file and checks it (see the package doc). Its
// error says what is wrong, not in which file: the caller knows which
// file it read.
func Parse(data []byte) (*Flags, error) {
	var f Flags
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
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
