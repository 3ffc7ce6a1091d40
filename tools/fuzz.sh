#!/bin/sh
# A bounded libFuzzer run of one target: `tools/fuzz.sh http` (the C
# request and header handling, test/fuzz_http.c, seeds in
# test/fuzz_corpus) or `tools/fuzz.sh json` (json.decode,
# test/fuzz_json.c, seeds in test/fuzz_corpus_json). FUZZ_SECONDS
# (default 20) of mutations; new inputs go to a temporary directory, so
# the checkout is left as it was. Prints "fuzz_NAME: N passed, N failed".
set -u
name=${1:-http}
case "$name" in
  http) seeds=test/fuzz_corpus ;;
  json) seeds=test/fuzz_corpus_json ;;
  *) echo "tools/fuzz.sh: unknown target '$name' (http, json)" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/log"
"./build/fuzz/fuzz_$name" -max_total_time="${FUZZ_SECONDS:-20}" -max_len=4096 -timeout=30 \
  -rss_limit_mb=2048 -print_final_stats=0 -artifact_prefix="$work/" "$work" "$seeds" \
  >"$log" 2>&1
rc=$?
grep -E '^Done [0-9]+ runs' "$log"
if [ "$rc" -eq 0 ]; then
  echo "fuzz_$name: 1 passed, 0 failed"
else
  tail -n 40 "$log"
  for f in "$work"/crash-* "$work"/timeout-* "$work"/leak-*; do
    [ -f "$f" ] && echo "input: $(od -c "$f" | head -n 8)"
  done
  echo "fuzz_$name: 0 passed, 1 failed"
fi
[ "$rc" -eq 0 ]
