#!/bin/sh
# A bounded libFuzzer run of the C request and header handling
# (test/fuzz_http.c): FUZZ_SECONDS (default 20) of mutations from the
# seeds in test/fuzz_corpus; new inputs go to a temporary directory, so
# the checkout is left as it was. Prints "fuzz_http: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/log"
./build/fuzz/fuzz_http -max_total_time="${FUZZ_SECONDS:-20}" -max_len=4096 -timeout=30 \
  -rss_limit_mb=2048 -print_final_stats=0 -artifact_prefix="$work/" "$work" test/fuzz_corpus \
  >"$log" 2>&1
rc=$?
grep -E '^Done [0-9]+ runs' "$log"
if [ "$rc" -eq 0 ]; then
  echo "fuzz_http: 1 passed, 0 failed"
else
  tail -n 40 "$log"
  for f in "$work"/crash-* "$work"/timeout-* "$work"/leak-*; do
    [ -f "$f" ] && echo "input: $(od -c "$f" | head -n 8)"
  done
  echo "fuzz_http: 0 passed, 1 failed"
fi
[ "$rc" -eq 0 ]
