#!/bin/sh
# Runs the whole suite: the C test binaries, a bounded libFuzzer run of
# the C request and header handling (when clang is there; LS_NO_FUZZ=1
# leaves it out), then every busted spec (BUSTED_ENV: variables for
# busted, e.g. the sanitizer runtimes). The last line is the total,
# "N passed, N failed"; the exit status is non-zero when anything failed.
set -u
passed=0
failed=0

count() { # $1 = passed, $2 = failed
  passed=$((passed + $1))
  failed=$((failed + $2))
}

fuzz_http() { make -s build/fuzz/fuzz_http && sh tools/fuzz.sh http; }
fuzz_json() { make -s build/fuzz/fuzz_json && FUZZ_SECONDS=${FUZZ_SECONDS:-15} sh tools/fuzz.sh json; }

tests="./test_core ./test_embed ./test_server"
if [ -z "${LS_NO_FUZZ:-}" ] && command -v clang >/dev/null 2>&1; then tests="$tests fuzz_http fuzz_json"; fi
for t in $tests; do
  out=$($t 2>&1)
  echo "$out"
  line=$(printf '%s\n' "$out" | grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  if [ -n "$line" ]; then
    count "$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')" \
          "$(echo "$line" | sed 's/.*passed, \([0-9]*\) failed/\1/')"
  else
    echo "$t: did not finish"
    count 0 1
  fi
done

# A private PostgreSQL for the specs of the shared store: a cluster in a
# temporary folder, a Unix socket, no system service; stopped on exit.
pgbase=$(mktemp -d)
chmod 711 "$pgbase"
trap 'sh tools/pg_server.sh stop "$pgbase/pg" >/dev/null 2>&1; rm -rf "$pgbase"' EXIT
# and should this shell be killed outright, a watcher stops it all the same
(while kill -0 $$ 2>/dev/null; do sleep 2; done
 sh tools/pg_server.sh stop "$pgbase/pg"; rm -rf "$pgbase") >/dev/null 2>&1 &
if pgurl=$(sh tools/pg_server.sh start "$pgbase/pg"); then
  export LIVESTATION_TEST_PG="$pgurl" LIVESTATION_TEST_PGDIR="$pgbase/pg"
else
  echo "the test PostgreSQL did not start; its specs will fail"
fi

# the specs keep their state files to themselves: none may journal into a
# user's ./livestation-state.db in the checkout
had_state=no
[ -e livestation-state.db ] && had_state=yes

log=$(mktemp)
env ${BUSTED_ENV:-} lua5.4 /usr/bin/busted "$@" 2>&1 | tee "$log"
summary=$(grep -E '^[0-9]+ success' "$log" | tail -n 1)
if [ -n "$summary" ]; then
  s=$(echo "$summary" | sed 's/^\([0-9]*\) success.*/\1/')
  f=$(echo "$summary" | sed 's/.* \([0-9]*\) failure.*/\1/')
  e=$(echo "$summary" | sed 's/.* \([0-9]*\) error.*/\1/')
  count "$s" $((f + e))
else
  echo "busted: did not finish"
  count 0 1
fi
rm -f "$log"
if [ "$had_state" = no ] && [ -e livestation-state.db ]; then
  echo "specs: a spec wrote ./livestation-state.db in the checkout (give it --state in a temporary folder)"
  rm -f livestation-state.db livestation-state.db-wal livestation-state.db-shm
  count 0 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
