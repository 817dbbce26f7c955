// Command lookup answers the Makefile's and the loop's questions about the
// exercises, from the kit's catalog (scripts/internal/catalog), so that no shell
// script reads the catalog itself:
//
//	go run ./scripts/lookup help                 # the exercises' lines of make help
//	go run ./scripts/lookup folder exercises 1   # exercises/01-audit-trail
//	go run ./scripts/lookup build 1              # the environment go build needs under this Go, NAME=value a line
//	go run ./scripts/lookup profiles 9           # the profiles the loop captures for the exercise beside every exercise's, a name a line
//	go run ./scripts/lookup loop 5               # the loop's own settings for the exercise, NAME=value a line
//	go run ./scripts/lookup builds               # a line per exercise with a build environment: it, then its folders
//
// Run it from the repository's top folder. It prints one line of error
// and exits 1 for an exercise that does not exist, with the hint to try.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: lookup help | folder exercises|solutions N | build N | builds | profiles N | loop N")
	}
	exs, err := catalog.Read(".")
	if err != nil {
		return fmt.Errorf("%v (run it from the repository's top folder)", err)
	}
	switch {
	case args[0] == "help" && len(args) == 1:
		for _, e := range exs {
			fmt.Printf("  %-16s run, load and profile exercise %d: %s\n", fmt.Sprintf("exercise-%d", e.Number), e.Number, e.Title)
		}
		return nil
	case args[0] == "folder" && len(args) == 3:
		kind := args[1]
		if kind != "exercises" && kind != "solutions" {
			return fmt.Errorf("kind %q: want exercises or solutions", kind)
		}
		e, err := catalog.Lookup(exs, args[2])
		if err != nil {
			return err
		}
		if kind == "solutions" && !e.HasSolution() {
			return fmt.Errorf("exercise %d has no solution: it is the service with nothing added; make exercise-%d runs it", e.Number, e.Number)
		}
		fmt.Println(e.Folder(kind))
		return nil
	case args[0] == "build" && len(args) == 2:
		e, err := catalog.Lookup(exs, args[1])
		if err != nil {
			return err
		}
		for _, kv := range e.BuildEnv(catalog.GoVersion()) {
			fmt.Println(kv)
		}
		return nil
	case args[0] == "profiles" && len(args) == 2:
		e, err := catalog.Lookup(exs, args[1])
		if err != nil {
			return err
		}
		if e.LeakProfile() {
			fmt.Println("goroutineleak")
		}
		return nil
	case args[0] == "builds" && len(args) == 1:
		for _, e := range exs {
			env := e.BuildEnv(catalog.GoVersion())
			if len(env) == 0 {
				continue
			}
			line := append(env, "./"+e.Folder("exercises"))
			if e.HasSolution() {
				line = append(line, "./"+e.Folder("solutions"))
			}
			fmt.Println(strings.Join(line, " "))
		}
		return nil
	case args[0] == "loop" && len(args) == 2:
		e, err := catalog.Lookup(exs, args[1])
		if err != nil {
			return err
		}
		for _, kv := range e.Loop {
			fmt.Println(kv)
		}
		return nil
	}
	return fmt.Errorf("usage: lookup help | folder exercises|solutions N | build N | builds | profiles N | loop N")
}
