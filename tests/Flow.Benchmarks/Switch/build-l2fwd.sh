#!/bin/sh
# Builds DPDK's l2fwd example from Debian's dpdk-doc (/usr/share/dpdk/examples/l2fwd) against the
# installed libdpdk-dev, in a copy under a build directory, and caches the binary there.
# Usage: build-l2fwd.sh [build-dir]   (default: $FLOW_L2FWD_DIR or /tmp/flow-l2fwd)
# Prints the binary's path. Needs: dpdk-doc libdpdk-dev pkg-config make gcc.
set -eu
dir="${1:-${FLOW_L2FWD_DIR:-/tmp/flow-l2fwd}}"
src=/usr/share/dpdk/examples/l2fwd
[ -f "$src/main.c" ] || { echo "build-l2fwd: $src/main.c missing (apt-get install -y dpdk-doc)" >&2; exit 1; }
pkg-config --exists libdpdk || { echo "build-l2fwd: pkg-config finds no libdpdk (apt-get install -y libdpdk-dev pkg-config)" >&2; exit 1; }
bin="$dir/build/l2fwd-shared"
stamp="$dir/source.sha256"
sum="$( (cat "$src/main.c" "$src/Makefile"; pkg-config --modversion libdpdk) | sha256sum | cut -d' ' -f1)"
if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    echo "$bin"
    exit 0
fi
mkdir -p "$dir"
cp "$src/main.c" "$src/Makefile" "$dir/"
make -s -C "$dir" shared >&2
echo "$sum" > "$stamp"
echo "$bin"
