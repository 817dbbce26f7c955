# slowpath: `make` lists the targets. Settings for the loop: CONCURRENCY,
# DURATION, PORT, DEBUG_PORT, USERS (see scripts/loop.sh).
SHELL := bash
.DEFAULT_GOAL := help
.PHONY: help test bench fuzz clean profiles

help: ## list the targets
	@printf 'slowpath, a Go profiling workshop. Targets:\n'
	@awk -F'\t' '!/^#/ && NF { printf "  %-16s run, load and profile exercise %s: %s\n", "exercise-" $$1, $$1, $$3 }' exercises/catalog.tsv
	@printf '  %-16s the same loop on the solution of exercise N\n' 'solution-N'
	@printf '  %-16s exercise N and its solution, loaded side by side, with the ratio\n' 'compare-N'
	@printf '  %-16s your fix of exercise N, judged against the solution: PASS or FAIL\n' 'check-N'
	@awk -F':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@printf 'Settings: make exercise-0 CONCURRENCY=50 DURATION=15s PORT=9090 DEBUG_PORT=7070 USERS=10000 OUT_ROOT=profiles/local/mine\n'

exercise-%:
	@scripts/loop.sh exercises $*

solution-%:
	@scripts/loop.sh solutions $*

compare-%:
	@scripts/bench.sh $*

check-%:
	@scripts/check.sh $*

# The scripts' tests load real servers and compare their speeds: they run
# after the other packages' tests, not beside them, so that only their own
# load shares the machine.
test: ## check formatting, go.mod, vet and scripts, run every test with the race detector
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go mod tidy -diff
	go vet ./...
	bash -n scripts/*.sh
	go test -race -count=1 $$(go list ./... | grep -v '/scripts$$')
	go test -race -count=1 ./scripts

bench: ## the server against a constant-body ceiling, side by side, with the ratio
	@scripts/bench.sh

profiles: ## regenerate the reference captures in profiles/NN-slug/ (every exercise and solution, about 2 min)
	@scripts/profiles.sh

fuzz: ## fuzz the /users/{id} path for 30 s (FUZZTIME=2m for longer)
	go test -run='^$$' -fuzz=FuzzUsersPath -fuzztime=$(or $(FUZZTIME),30s) ./server

clean: ## remove the local captures (profiles/local)
	rm -rf profiles/local
