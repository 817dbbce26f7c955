#!/usr/bin/env bash
# check.sh N: make check-N, the self-check of your fix of exercise N. It
# builds scripts/check and runs it: the folder's tests, then your program
# and the solution under the same load, judged on right answers, the
# bottleneck's share of the handler's wall clock, and throughput or
# latency against the solution. See scripts/check/main.go.
#
# Settings: CHECK_DIR (the folder to check, default exercises/NN-slug).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

n=${1:?usage: check.sh N}
TARGET="check-$n"
[[ $n =~ ^[0-9]+$ ]] || die "exercise number '$n' is not a number: try make help"
slug=$(catalog_slug "$n") || die "no exercise $n in exercises/catalog.tsv: try make help"
[ "$n" != 0 ] || die "exercise 0 has nothing to fix: make check-1 checks the first exercise"
name=$(printf '%02d-%s' "$n" "$slug")
need go "install Go 1.26 or later (https://go.dev/dl/)"
need gcc "install gcc: SQLite is compiled with cgo (apt-get install gcc)"
out=profiles/local/check/$name
lock_folder "$out"
trap 'echo; say "interrupted"; exit 130' INT TERM

[ "$(go list -f '{{.Stale}}' github.com/mattn/go-sqlite3 2>/dev/null)" = false ] ||
  say "(this first build compiles SQLite's C code for the go-sqlite3 driver: it takes a minute or two, once)"
run go build -o "$out/bin/" ./scripts/check
args=(-n "$n")
[ -z "${CHECK_DIR:-}" ] || args+=(-dir "$CHECK_DIR")
run "$out/bin/check" "${args[@]}"
