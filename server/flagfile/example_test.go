package flagfile_test

import (
	"fmt"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/flagfile"
)

func ExampleParse() {
	flags, err := flagfile.Parse([]byte(`{
	  "version": 1873,
	  "theme": {"default": "light", "salt": "theme-2026", "variants": [{"name": "dark", "weight": 30}]},
	  "segments": [{"key": "eu", "countries": ["DE", "FR"], "plans": ["pro"]}],
	  "flags": [{"key": "checkout.redesign", "client": true, "enabled": true, "rollout": 10,
	             "allow": [42], "rules": [{"segment": "eu", "rollout": 50}]}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	// User 42 is on the allow-list. User 55, in Germany on the pro plan, is
	// in the segment eu: the rule's 50% takes them in (bucket 38), where the
	// flag's own 10% would not; their theme bucket, 5, is a dark one. User 2
	// falls outside the flag's own 10% (bucket 22).
	for _, id := range []int64{42, 55, 2} {
		u := server.SeedUser(id)
		fmt.Printf("user %d (%s, %s): %+v\n", id, u.Country, u.Plan, flags.Evaluate(u))
	}
	_, err = flagfile.Parse([]byte(`{"theme": {"default": "light"}, "flags": [{"key": "a", "rollout": 200}]}`))
	fmt.Println(err)
	// Output:
	// user 42 (CA, free): {Version:1873 Theme:light On:[checkout.redesign]}
	// user 55 (DE, pro): {Version:1873 Theme:dark On:[checkout.redesign]}
	// user 2 (MX, enterprise): {Version:1873 Theme:light On:[]}
	// flag "a": rollout 200 is not a percentage
}
