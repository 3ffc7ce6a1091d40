#!/bin/sh
# Builds a copy of the working tree with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the demo (leak checks on, in lsrun),
# the C tests and the specs (inside lua5.4, with the sanitizer runtimes
# preloaded; leak checks off there since the interpreter is not ours).
# The last line is "N passed, N failed", as for make test.
# Specs tagged #foreign run programs that are not ours (curl, openssl),
# which must not get the sanitizer runtimes preloaded: they are left out.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$top"
{ git ls-files; git ls-files --others --exclude-standard; } | tar cf - -T - | tar xf - -C "$dir"
cd "$dir"
make -s SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  CFLAGS="-O1 -g" all test_core test_embed test_server build/notify_sink
# the C tests and the specs through the same runner as make test, the
# specs with the sanitizer runtimes preloaded into lua5.4; the last line
# counts the demo too: "N passed, N failed"
if ./lsrun --emulator --speed 20 scripts/channel_day.lua >/dev/null; then
  echo "demo: clean"
  demo_passed=1 demo_failed=0
else
  echo "demo: failed"
  demo_passed=0 demo_failed=1
fi
log="$dir/asan.log"
BUSTED_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so) ASAN_OPTIONS=detect_leaks=0" \
  LS_NO_FUZZ=1 sh tools/run_tests.sh --exclude-tags=foreign "$@" | tee "$log"
last=$(tail -n 1 "$log")
if echo "$last" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
  p=$(echo "$last" | sed 's/ passed.*//')
  f=$(echo "$last" | sed 's/.*passed, \([0-9]*\) failed/\1/')
else
  p=0 f=1
fi
echo "$((p + demo_passed)) passed, $((f + demo_failed)) failed"
[ "$((f + demo_failed))" -eq 0 ]
