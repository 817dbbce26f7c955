package flagfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"
)

// WriteDefaults writes the shipped flags file at path if no file is
// there, and logs on log that it did, with the file's size. An existing
// file, whatever it holds, is left alone. A file that cannot be written
// whole is removed.
func WriteDefaults(path string, log *slog.Logger) error {
	defaults := shipped()
	data, err := json.MarshalIndent(defaults, "", "  ")
	if err != nil {
		return fmt.Errorf("default feature flags: %w", err)
	}
	data = append(data, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing the default feature flags: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing the default feature flags: %w", err)
	}
	log.Info("wrote the default feature flags", "path", path, "version", defaults.Version,
		"flags", len(defaults.Flags), "segments", len(defaults.Segments), "bytes", len(data))
	return nil
}

// shipped is the flags file that ships with the service: the flags of a
// product a few years old, the same at every start.
func shipped() *Flags {
	r := rand.New(rand.NewPCG(2, 26))
	f := &Flags{
		Version:   1873,
		UpdatedAt: "2026-03-02T16:41:09Z",
		UpdatedBy: "ops@example.com",
		Theme: Theme{Default: "light", Salt: "theme-2026", Variants: []Variant{
			{Name: "dark", Weight: 30}, {Name: "high-contrast", Weight: 5}, {Name: "solarized", Weight: 5},
		}},
	}

	regions := []struct {
		key, desc string
		countries []string
	}{
		{"europe", "Users in Europe", []string{"DE", "ES", "FR", "GB", "NL", "SE"}},
		{"eu", "Users in the European Union (GDPR banners, EU invoices)", []string{"DE", "ES", "FR", "NL", "SE"}},
		{"latam", "Users in Latin America", []string{"AR", "BR", "MX"}},
		{"apac", "Users in Asia-Pacific", []string{"IN", "JP", "VN"}},
		{"africa", "Users in Africa", []string{"KE", "NG"}},
		{"north-america", "Users in North America", []string{"CA", "MX", "US"}},
		{"english", "Countries where the site defaults to English", []string{"CA", "GB", "IN", "KE", "NG", "US"}},
	}
	countries := []string{"AR", "BR", "CA", "DE", "ES", "FR", "GB", "IN", "JP", "KE", "MX", "NG", "NL", "SE", "US", "VN"}
	plans := []string{"free", "pro", "team", "enterprise"}
	for _, c := range countries {
		f.Segments = append(f.Segments, Segment{Key: "country-" + strings.ToLower(c), Description: "Users in " + c, Countries: []string{c}})
	}
	for _, p := range plans {
		f.Segments = append(f.Segments, Segment{Key: "plan-" + p, Description: "Users on the " + p + " plan", Plans: []string{p}})
	}
	for _, g := range regions {
		f.Segments = append(f.Segments, Segment{Key: g.key, Description: g.desc, Countries: g.countries})
		f.Segments = append(f.Segments, Segment{Key: g.key + "-paying", Description: g.desc + " on a paid plan",
			Countries: g.countries, Plans: []string{"pro", "team", "enterprise"}})
	}
	f.Segments = append(f.Segments, Segment{Key: "paying", Description: "Users on a paid plan", Plans: []string{"pro", "team", "enterprise"}})
	lists := []struct {
		key, desc string
		n         int
	}{
		{"staff", "Employees, who get everything first", 60},
		{"beta-testers", "Users who joined the beta program", 400},
		{"design-partners", "Customers who review designs before launch", 40},
		{"churn-risk", "Users the retention model flagged this quarter", 300},
		{"vip", "Accounts with a named account manager", 90},
		{"support-escalations", "Users with an open escalation", 120},
		{"early-adopters", "Users who signed up in the first year", 250},
		{"accessibility-panel", "Users who test accessibility changes", 50},
	}
	for _, l := range lists {
		f.Segments = append(f.Segments, Segment{Key: l.key, Description: l.desc, Users: userIDs(r, l.n)})
	}

	areas := []string{"checkout", "search", "profile", "billing", "onboarding", "notifications", "dashboard",
		"settings", "invoices", "reports", "sharing", "mobile-web", "api", "admin", "support", "referrals",
		"catalog", "cart", "reviews", "messaging"}
	features := []string{"redesign", "new-flow", "v2-endpoint", "dark-launch", "inline-edit", "bulk-export",
		"smart-defaults", "quick-actions", "lazy-load", "prefetch", "cache-warmup", "ai-summary", "tooltips",
		"banner", "survey", "keyboard-shortcuts", "undo", "live-updates", "pagination", "sticky-header",
		"empty-states", "rate-limit-notice", "autosave", "compact-mode"}
	owners := []string{"team-growth", "team-payments", "team-search", "team-platform", "team-mobile",
		"team-identity", "team-data", "team-support-tools", "team-design-system", "team-retention"}
	tags := []string{"experiment", "release", "ops", "kill-switch", "permission", "migration", "temporary",
		"long-lived", "ui", "backend", "performance", "compliance"}
	verbs := []string{"Rolls out", "Tries", "Turns on", "Gates", "Shows", "Ships", "Tests", "Enables"}
	whys := []string{
		"while we watch conversion on the weekly dashboard",
		"behind the kill switch until the incident review is done",
		"for the users who asked for it in the last survey",
		"to compare latency against the old code path",
		"as agreed with legal for the affected countries",
		"before the marketing launch; remove once at 100% for two weeks",
		"in small steps: support has a macro ready if tickets spike",
		"so that the mobile team can test against production data",
	}
	people := []string{"ana@example.com", "bo@example.com", "chidi@example.com", "dana@example.com",
		"eli@example.com", "fatima@example.com", "gus@example.com", "hiro@example.com", "ops-bot@example.com"}
	rollouts := []int{0, 0, 1, 5, 10, 10, 25, 25, 50, 50, 75, 100, 100, 100, 100}

	var names []string
	for _, a := range areas {
		for _, ft := range features {
			names = append(names, a+"."+ft)
		}
	}
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	epoch := time.Date(2021, time.June, 1, 10, 0, 0, 0, time.UTC)
	for i, key := range names[:480] {
		area, feature, _ := strings.Cut(key, ".")
		fl := Flag{
			Key: key,
			Description: fmt.Sprintf("%s the %s %s %s.", verbs[r.IntN(len(verbs))],
				strings.ReplaceAll(feature, "-", " "), strings.ReplaceAll(area, "-", " "), whys[r.IntN(len(whys))]),
			Owner:     owners[r.IntN(len(owners))],
			Ticket:    fmt.Sprintf("PROD-%d", 1000+r.IntN(9000)),
			CreatedAt: epoch.Add(time.Duration(i)*61*time.Hour + time.Duration(r.IntN(3600))*time.Second).Format(time.RFC3339),
			Client:    r.IntN(100) < 10,
			Enabled:   r.IntN(100) < 92,
			Rollout:   rollouts[r.IntN(len(rollouts))],
		}
		for range 1 + r.IntN(3) {
			if t := tags[r.IntN(len(tags))]; !slices.Contains(fl.Tags, t) {
				fl.Tags = append(fl.Tags, t)
			}
		}
		if r.IntN(100) < 35 {
			fl.Allow = userIDs(r, 1+r.IntN(12))
		}
		for range r.IntN(5) {
			fl.Rules = append(fl.Rules, Rule{Segment: f.Segments[r.IntN(len(f.Segments))].Key, Rollout: rollouts[r.IntN(len(rollouts))]})
		}
		if r.IntN(100) < 20 {
			fl.Salt = fmt.Sprintf("%s-%d", key, 2022+r.IntN(5))
		}
		at, from := epoch.Add(time.Duration(i)*61*time.Hour), 0
		for range 1 + r.IntN(5) {
			at = at.Add(time.Duration(1+r.IntN(30*24)) * time.Hour)
			to := rollouts[r.IntN(len(rollouts))]
			fl.History = append([]Change{{At: at.Format(time.RFC3339), By: people[r.IntN(len(people))],
				Change: fmt.Sprintf("rollout %d%% -> %d%%", from, to)}}, fl.History...)
			from = to
		}
		f.Flags = append(f.Flags, fl)
	}
	return f
}

// userIDs returns n distinct user ids from 1 to 10,000, in order.
func userIDs(r *rand.Rand, n int) []int64 {
	seen := make(map[int64]bool, n)
	ids := make([]int64, 0, n)
	for len(ids) < n {
		id := 1 + r.Int64N(10000)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
