package flagfile_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"testing"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/flagfile"
)

// wantBucket is the documented bucket of a user for a salt, computed
// apart from the package: FNV-1a (32 bits) of "salt:id", modulo 100.
func wantBucket(salt string, id int64) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s:%d", salt, id)
	return int(h.Sum32() % 100)
}

func TestBucket(t *testing.T) {
	seen := map[int]bool{}
	for _, salt := range []string{"", "half", "theme-2026", "checkout.redesign-2024"} {
		for id := int64(-3); id <= 2000; id++ {
			got := flagfile.Bucket(salt, id)
			if want := wantBucket(salt, id); got != want {
				t.Fatalf("Bucket(%q, %d) = %d, want %d", salt, id, got, want)
			}
			seen[got] = true
		}
	}
	if len(seen) != 100 {
		t.Errorf("Bucket used %d of the 100 buckets", len(seen))
	}
}

// parse marshals f and parses it, as a file on disk would be.
func parse(t *testing.T, f *flagfile.Flags) *flagfile.Flags {
	t.Helper()
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := flagfile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

func TestEvaluate(t *testing.T) {
	// Two users in different countries: 42, and the first after it.
	a := server.SeedUser(42)
	b := a
	for id := int64(43); b.Country == a.Country; id++ {
		b = server.SeedUser(id)
	}
	flags := parse(t, &flagfile.Flags{
		Version: 7,
		Theme:   flagfile.Theme{Default: "light", Salt: "theme-test", Variants: []flagfile.Variant{{Name: "dark", Weight: 30}, {Name: "contrast", Weight: 20}}},
		Segments: []flagfile.Segment{
			{Key: "country-of-a", Countries: []string{a.Country}},
			{Key: "b-by-id", Users: []int64{b.ID}},
			{Key: "nobody-paying", Countries: []string{a.Country}, Plans: []string{"no-such-plan"}},
		},
		Flags: []flagfile.Flag{
			{Key: "everyone", Client: true, Enabled: true, Rollout: 100},
			{Key: "nobody", Client: true, Enabled: true, Rollout: 0},
			{Key: "server-side", Client: false, Enabled: true, Rollout: 100},
			{Key: "killed", Client: true, Enabled: false, Rollout: 100, Allow: []int64{a.ID, b.ID}},
			{Key: "allow-a", Client: true, Enabled: true, Rollout: 0, Allow: []int64{a.ID}},
			{Key: "country-rule", Client: true, Enabled: true, Rollout: 0, Rules: []flagfile.Rule{{Segment: "country-of-a", Rollout: 100}}},
			{Key: "first-rule-wins", Client: true, Enabled: true, Rollout: 100, Rules: []flagfile.Rule{
				{Segment: "b-by-id", Rollout: 0}, {Segment: "country-of-a", Rollout: 100}}},
			{Key: "both-lists", Client: true, Enabled: true, Rollout: 0, Rules: []flagfile.Rule{{Segment: "nobody-paying", Rollout: 100}}},
			{Key: "half", Client: true, Enabled: true, Rollout: 50},
			{Key: "salted", Client: true, Enabled: true, Rollout: 50, Salt: "another-salt"},
		},
	})

	themes := map[string]bool{}
	for _, u := range []server.User{a, b, server.SeedUser(1), server.SeedUser(2), server.SeedUser(3), server.SeedUser(999)} {
		want := flagfile.PageFlags{Version: 7, Theme: "light", On: []string{"everyone"}}
		switch th := wantBucket("theme-test", u.ID); {
		case th < 30:
			want.Theme = "dark"
		case th < 50:
			want.Theme = "contrast"
		}
		if u.ID == a.ID {
			want.On = append(want.On, "allow-a")
		}
		if u.Country == a.Country {
			want.On = append(want.On, "country-rule")
		}
		if u.ID != b.ID {
			want.On = append(want.On, "first-rule-wins")
		}
		if wantBucket("half", u.ID) < 50 {
			want.On = append(want.On, "half")
		}
		if wantBucket("another-salt", u.ID) < 50 {
			want.On = append(want.On, "salted")
		}
		got := flags.Evaluate(u)
		if got.Version != want.Version || got.Theme != want.Theme || !slices.Equal(got.On, want.On) {
			t.Errorf("user %d (%s, %s): %+v, want %+v", u.ID, u.Country, u.Plan, got, want)
		}
		themes[got.Theme] = true
	}
	if len(themes) < 2 {
		t.Errorf("six users all got the theme %v: the theme's variants were not drawn", themes)
	}
}

// TestEvaluateNoFlagOn: a page with no flag on lists none, as an empty
// list rather than null, so that a client can always range over it.
func TestEvaluateNoFlagOn(t *testing.T) {
	flags := parse(t, &flagfile.Flags{Version: 3, Theme: flagfile.Theme{Default: "light"},
		Flags: []flagfile.Flag{{Key: "off", Client: true, Enabled: false, Rollout: 100}}})
	got, err := json.Marshal(flags.Evaluate(server.SeedUser(42)))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"version":3,"theme":"light","on":[]}`; string(got) != want {
		t.Errorf("Evaluate gave %s, want %s", got, want)
	}
}

// TestEvaluateShared evaluates one *Flags from many goroutines at once,
// as the handlers do: under -race, any write to the shared flags fails
// the test.
func TestEvaluateShared(t *testing.T) {
	flags := parse(t, &flagfile.Flags{Theme: flagfile.Theme{Default: "light", Salt: "t", Variants: []flagfile.Variant{{Name: "dark", Weight: 50}}},
		Segments: []flagfile.Segment{{Key: "pro", Plans: []string{"pro"}}},
		Flags:    []flagfile.Flag{{Key: "a", Client: true, Enabled: true, Rollout: 30, Rules: []flagfile.Rule{{Segment: "pro", Rollout: 100}}}}})
	want := make([]flagfile.PageFlags, 200)
	for id := range want {
		want[id] = flags.Evaluate(server.SeedUser(int64(id)))
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range want {
				if got := flags.Evaluate(server.SeedUser(int64(id))); got.Theme != want[id].Theme || !slices.Equal(got.On, want[id].On) {
					t.Errorf("user %d: %+v, then %+v", id, want[id], got)
				}
			}
		})
	}
	wg.Wait()
}
