// Package flagfile is the feature-flags file of the users service: its
// format, its checks, the evaluation of its flags for one user, and the
// file that ships with the service. Exercise 2 reads such a file, which
// ops edit while the service runs, and shows each user's flags on their
// page.
//
// # The file
//
// A flags file is one JSON object (see Flags): a version, raised by every
// edit, a page theme, the segments of users that rules target, and the
// flags themselves:
//
//	{
//	  "version": 1873,
//	  "theme": {"default": "light", "salt": "theme-2026", "variants": [{"name": "dark", "weight": 30}]},
//	  "segments": [{"key": "eu", "countries": ["DE", "FR"], "plans": ["pro"]}],
//	  "flags": [{"key": "checkout.redesign", "client": true, "enabled": true, "rollout": 10,
//	             "allow": [42], "rules": [{"segment": "eu", "rollout": 50}]}]
//	}
//
// Parse decodes a file and checks it: the theme has a default and its
// variants weigh at most 100% together, segment and flag keys are unique
// and not empty, every rollout is a percentage from 0 to 100, and every
// rule names a known segment. A file that fails a check is an error, never
// a partial Flags.
//
// # Evaluation
//
// Flags.Evaluate gives what a user's page shows: the file's version, the
// user's theme, and the keys of the client flags (Flag.Client) that are on
// for the user, in file order. A flag is on when it is enabled and the user
// is on its allow-list, or falls within its rollout: the rollout of the
// first rule whose segment holds the user, else the flag's own.
//
// Which users fall within a percentage is decided by Bucket, a hash of a
// salt and the user's id into 100 buckets: a rollout of n% is on for the
// users in buckets 0 to n-1. A flag's salt is its Salt, or its Key when
// Salt is empty, so a user keeps the same answer from one request to the
// next, and two flags at 10% do not go to the same 10% of users. The theme
// draws its variants from the buckets of its own salt, by weight.
//
// Evaluate only reads the Flags that Parse returned, so goroutines may
// share one *Flags; to follow edits of the file, parse it again and swap
// the pointer.
//
// # The shipped file
//
// WriteDefaults writes the file that ships with the service where none
// exists: the flags of a product a few years old (480 flags, 43 segments,
// about half a megabyte of JSON), the same bytes at every start:
//
//	if err := flagfile.WriteDefaults("flags.json", log); err != nil {
//		return err
//	}
//	data, err := os.ReadFile("flags.json")
//	...
//	flags, err := flagfile.Parse(data)
//	...
//	page := flags.Evaluate(user)
package flagfile
