package load

import (
	"fmt"
	"math/rand/v2"

	"github.com/slowpath/slowpath/server"
)

// Mix is a request mix: which ids of GET /users/{id} a load asks for.
// Real traffic has a hot set of users asked for again and again, spread
// over the whole table (not its first rows), and some ids that exist
// nowhere.
type Mix struct {
	Users int64 // the table holds ids 1..Users (the server's -users)
	// Hot is the size of the hot set: ids spread evenly over 1..Users
	// (1, 1+Users/Hot, 1+2·Users/Hot, ...), each asked for as often. Zero
	// (or at least Users) asks for every id of the table alike.
	Hot     int64
	Unknown float64 // the part of the requests for an id past Users (a 404)
	// Cycle asks for every id of 1..Users in turn, 1, 2, ... Users, 1, 2,
	// ..., shared by all of a load's clients, and for no unknown id: the
	// load that a cache smaller than Users cannot serve from memory.
	Cycle bool
}

// StandardMix is the one mix of the check, the compare and the bench, and
// of the loop's body check, so that their numbers compare: 9 requests in
// 10 for a hot set of 100 users spread over a server's default table, 1
// in 10 for an unknown id. A short load meets a hot set of 100 often
// enough for a cache to be warm within a second; a long tail of users
// seen once would measure cold misses, not a fix.
func StandardMix() Mix {
	return Mix{Users: int64(server.DefaultConfig().Users), Hot: 100, Unknown: 0.1}
}

// String describes the mix in a line, as the tools print it.
func (m Mix) String() string {
	if m.Cycle {
		return fmt.Sprintf("every id of 1..%d in turn, over and over", m.Users)
	}
	known := fmt.Sprintf("%.0f%% for every id of 1..%d alike", 100*(1-m.Unknown), m.Users)
	if m.Hot > 0 && m.Hot < m.Users {
		known = fmt.Sprintf("%.0f%% for a hot set of %d ids spread over 1..%d (1, %d, %d, ...)", 100*(1-m.Unknown), m.Hot, m.Users, 1+m.step(), 1+2*m.step())
	}
	return fmt.Sprintf("%s, %.0f%% for unknown ids (404)", known, 100*m.Unknown)
}

// Valid reports what is wrong with the mix, or nil.
func (m Mix) Valid() error {
	if m.Users < 1 || m.Hot < 0 || m.Unknown < 0 || m.Unknown > 1 {
		return fmt.Errorf("mix %+v: want Users ≥ 1, Hot ≥ 0 and Unknown from 0 to 1", m)
	}
	return nil
}

func (m Mix) step() int64 { return m.Users / m.Hot }

// Pick draws one id of the mix, and whether the table holds it.
func (m Mix) Pick(rng *rand.Rand) (id int64, known bool) {
	switch {
	case rng.Float64() < m.Unknown:
		return m.Users + 1 + rng.Int64N(1000), false
	case m.Hot > 0 && m.Hot < m.Users:
		return 1 + rng.Int64N(m.Hot)*m.step(), true
	default:
		return 1 + rng.Int64N(m.Users), true
	}
}
