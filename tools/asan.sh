#!/bin/sh
# Builds a copy of the working tree with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the C tests, the demo (leak checks
# on, in lsrun) and the specs (inside lua5.4, with the sanitizer runtimes
# preloaded; leak checks off there since the interpreter is not ours).
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
./test_core
./test_embed
./test_server
./lsrun --emulator --speed 20 scripts/channel_day.lua >/dev/null
echo "demo: clean"
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
  ASAN_OPTIONS=detect_leaks=0 lua5.4 /usr/bin/busted --exclude-tags=foreign "$@"
