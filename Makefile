# slowpath: `make` lists the targets. Settings for the loop: CONCURRENCY,
# DURATION, PORT, DEBUG_PORT, USERS, RATE, FLIGHT, OUT_ROOT, TRACE_SECONDS
# (see go doc ./scripts/loop). The recipes are POSIX sh, for any make from
# 3.81 on (macOS's included).
.DEFAULT_GOAL := help
.PHONY: help test bench fuzz clean profiles docs prepare

# The kit's Go commands are built here once and rerun from here.
BIN := profiles/local/bin
# note_sqlite says, before a build that will compile SQLite's C code, that
# it takes a minute or two, once.
note_sqlite = [ "$$(go list -f '{{.Stale}}' github.com/mattn/go-sqlite3 2>/dev/null)" = false ] || \
  echo "(this first build compiles SQLite's C code for the go-sqlite3 driver: it takes a minute or two, once)"

help: ## list the targets
	@printf 'slowpath, a Go profiling workshop. Targets:\n'
	@go run ./scripts/lookup help
	@printf '  %-16s the same loop on the solution of exercise N\n' 'solution-N'
	@printf '  %-16s exercise N and its solution, loaded side by side, with the ratio\n' 'compare-N'
	@printf '  %-16s your fix of exercise N, judged against the solution: PASS or FAIL\n' 'check-N'
	@awk -F':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@printf 'Settings: make exercise-0 CONCURRENCY=50 DURATION=15s PORT=9090 DEBUG_PORT=7070 USERS=10000 RATE=2000 FLIGHT=100ms OUT_ROOT=profiles/local/mine\n'
	@printf '          make bench ROUNDS=3 ROUND=2s CONCURRENCY=50 CLIENT=wrk;  make check-1 CHECK_DIR=path/to/your/copy;  make check-1 EXPLAIN=1 (names the watched function: a spoiler)\n'

exercise-%:
	@go build -o $(BIN)/ ./scripts/loop && $(BIN)/loop exercises $*

solution-%:
	@go build -o $(BIN)/ ./scripts/loop && $(BIN)/loop solutions $*

compare-%:
	@$(note_sqlite)
	@go build -o $(BIN)/ ./scripts/bench && $(BIN)/bench -n $* $(BENCH_FLAGS)

check-%:
	@$(note_sqlite)
	@go build -o $(BIN)/ ./scripts/check && $(BIN)/check -n $* $(if $(CHECK_DIR),-dir $(CHECK_DIR)) $(if $(EXPLAIN),-explain)

# The bench's settings, for make bench and make compare-N.
BENCH_FLAGS = $(if $(ROUNDS),-rounds $(ROUNDS)) $(if $(ROUND),-round $(ROUND)) $(if $(CONCURRENCY),-c $(CONCURRENCY)) $(if $(CLIENT),-client $(CLIENT))

# The scripts' tests load real servers and compare their speeds: they run
# after the other packages' tests, not beside them, so that only their own
# load shares the machine.
test: ## check formatting, go.mod and vet, run every test with the race detector
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go mod tidy -diff
	go vet ./...
	go test -race -count=1 $$(go list ./... | grep -v '/scripts$$')
	go test -race -count=1 ./scripts

bench: ## the service against a ceiling, and each exercise against its solution, side by side, with the ratios and their goals
	@$(note_sqlite)
	@go build -o $(BIN)/ ./scripts/bench && $(BIN)/bench $(BENCH_FLAGS)

profiles: ## regenerate the reference captures, flame graphs, check and bench runs in profiles/ (tens of minutes), then make docs
	@$(note_sqlite)
	@go build -o $(BIN)/ ./scripts/profiles && $(BIN)/profiles
	@$(MAKE) --no-print-directory docs

prepare: ## build ahead what the day needs: the kit's commands, every program, go tool hey, and the race-enabled tests that the first make check-N runs (a few minutes, once)
	@$(note_sqlite)
	go mod download
	go build -o $(BIN)/ ./scripts/loop ./scripts/bench ./scripts/check ./scripts/profiles ./scripts/lookup
	go build ./...
	go tool -n hey >/dev/null
	@# an exercise built with an environment of its own (GOEXPERIMENT=...) compiles the runtime and SQLite once more
	@$(BIN)/lookup builds | while read -r line; do set -- $$line; envs=""; \
	  while [ $$# -gt 0 ] && [ "$${1#*=}" != "$$1" ]; do envs="$$envs $$1"; shift; done; \
	  echo "env$$envs go build $$*"; env $$envs go build "$$@" || exit 1; done
	go test -race -count=1 -run '^$$' ./server/... ./exercises/... ./solutions/... >/dev/null
	@echo "ready: make exercise-0 to begin"

docs: ## rewrite the tables of the READMEs and the walkthrough from the committed files in profiles/
	@go run ./scripts/docs

fuzz: ## fuzz the /users/{id} path for 30 s (FUZZTIME=2m for longer)
	go test -run='^$$' -fuzz=FuzzUsersPath -fuzztime=$(or $(FUZZTIME),30s) ./server

clean: ## remove the local captures (profiles/local)
	rm -rf profiles/local
