package flagfile

import (
	"slices"
	"strconv"

	"github.com/slowpath/slowpath/server"
)

// Evaluate says which client flags are on for u, and u's theme. f must
// come from Parse, which lists the client flags and points the rules at
// their segments: on a Flags built otherwise, no flag is on. Evaluate only
// reads f, so goroutines may share one *Flags.
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
	return Bucket(salt, e.u.ID) < rollout
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
	b, upTo := Bucket(t.Salt, id), 0
	for _, v := range t.Variants {
		upTo += v.Weight
		if b < upTo {
			return v.Name
		}
	}
	return t.Default
}

// Bucket places a user in one of 100 buckets, 0 to 99, for a salt: the
// 32-bit FNV-1a hash of "salt:id" (the id in decimal) modulo 100. A
// rollout of n% is on for the buckets below n; each salt shuffles the
// users anew, so two 10% flags do not go to the same 10% of users.
func Bucket(salt string, id int64) int {
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
