#!/bin/sh
# Installs the Debian packages livestation needs, only those missing, so a
# warm machine pays nothing. Safe to run any number of times. The last
# line is what the install and packaging specs drive: readelf, pkg-config,
# luarocks, groff and man (the man page), systemd-analyze (the example
# unit) and bash-completion (its loader finds the installed completion);
# python3-requests and nodejs run the README's Python and Node.js clients
# of the emulator. clang and libclang-rt-14-dev build the libFuzzer
# targets (test/fuzz_*.c). lua-cjson is the specs' second opinion on
# our JSON.
set -e
PKGS="gcc make libc6-dev liblua5.4-dev lua5.4 libcurl4-openssl-dev libevent-dev \
libssl-dev openssl lua-cjson lua-busted libsqlite3-dev libpq-dev postgresql curl ca-certificates tzdata \
binutils pkgconf luarocks groff-base systemd man-db bash-completion chromium \
python3-requests nodejs clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
