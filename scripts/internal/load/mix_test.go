package load

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestMixDrawsItsParts(t *testing.T) {
	m := Mix{Users: 10000, Hot: 100, Unknown: 0.1}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100000
	unknown := 0
	seen := map[int64]int{}
	for range n {
		id, known := m.Pick(rng)
		if !known {
			unknown++
			if id <= m.Users {
				t.Fatalf("unknown id %d is inside the table", id)
			}
			continue
		}
		if id < 1 || id > m.Users || (id-1)%100 != 0 {
			t.Fatalf("known id %d is not one of the hot set 1, 101, 201, ... 9901", id)
		}
		seen[id]++
	}
	if got := float64(unknown) / n; math.Abs(got-0.1) > 0.01 {
		t.Errorf("%.3f of the requests for unknown ids, want 0.1", got)
	}
	if len(seen) != 100 || seen[1] == 0 || seen[9901] == 0 {
		t.Errorf("%d hot ids asked for (1: %d, 9901: %d times), want all 100 spread over the table", len(seen), seen[1], seen[9901])
	}
	all := Mix{Users: 50}
	for range 1000 {
		if id, known := all.Pick(rng); !known || id < 1 || id > 50 {
			t.Fatalf("a mix with no hot set and no unknown ids drew %d (%v)", id, known)
		}
	}
	if s := StandardMix(); s.Valid() != nil || s.Users != 10000 || !strings.Contains(s.String(), "hot set of 100 ids spread over 1..10000 (1, 101, 201, ...)") {
		t.Errorf("StandardMix %+v (%s): %v", s, s, s.Valid())
	}
	if (Mix{Users: 10, Unknown: 1.5}).Valid() == nil {
		t.Error("a mix with more than all of its requests unknown is valid")
	}
}
