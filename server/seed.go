package server

import (
	"fmt"
	"strings"
	"time"
)

// User is one row of the users table, and the JSON body of GET /users/{id}.
type User struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Country   string `json:"country"`
	Plan      string `json:"plan"`
	CreatedAt string `json:"created_at"`
}

var (
	firstNames = []string{
		"Ada", "Alan", "Barbara", "Claude", "Dennis", "Donald", "Edsger", "Frances",
		"Grace", "Hedy", "Ivan", "John", "Ken", "Leslie", "Linus", "Margaret",
		"Niklaus", "Radia", "Rob", "Robert", "Shafi", "Sophie", "Tim", "Whitfield",
		"Barbara", "Yukihiro", "Guido", "Bjarne", "Anita", "Katherine", "Mary", "Jean",
	}
	lastNames = []string{
		"Lovelace", "Turing", "Liskov", "Shannon", "Ritchie", "Knuth", "Dijkstra", "Allen",
		"Hopper", "Lamarr", "Sutherland", "McCarthy", "Thompson", "Lamport", "Torvalds", "Hamilton",
		"Wirth", "Perlman", "Pike", "Griesemer", "Goldwasser", "Wilson", "Berners-Lee", "Diffie",
		"Matsumoto", "van Rossum", "Stroustrup", "Borg", "Johnson", "Jackson", "Bartik", "Sammet",
	}
	countries = []string{"AR", "BR", "CA", "DE", "ES", "FR", "GB", "IN", "JP", "KE", "MX", "NG", "NL", "SE", "US", "VN"}
	plans     = []string{"free", "free", "free", "pro", "pro", "team", "enterprise"}
	seedEpoch = time.Date(2019, time.March, 1, 9, 0, 0, 0, time.UTC)
)

// SeedUser returns the user that the store seeds under id. It is a pure
// function of id, so a load generator can check every body it receives
// without asking the server: a 200 whose body differs from SeedUser(id) is a
// wrong answer, however fast it came.
func SeedUser(id int64) User {
	// Multipliers coprime with the list lengths spread neighbouring ids.
	first := firstNames[(id*7)%int64(len(firstNames))]
	last := lastNames[(id*13+id/32)%int64(len(lastNames))]
	email := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(first+"."+last)) +
		fmt.Sprintf("%d@example.com", id)
	return User{
		ID:        id,
		Name:      first + " " + last,
		Email:     email,
		Country:   countries[(id*5)%int64(len(countries))],
		Plan:      plans[(id*3)%int64(len(plans))],
		CreatedAt: seedEpoch.Add(time.Duration(id) * 37 * time.Minute).Format(time.RFC3339),
	}
}
