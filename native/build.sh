#!/usr/bin/env bash
# Builds libflowdpdk.so from flow_dpdk.c against the system's DPDK (Debian: dpdk-dev,
# libdpdk-dev), with pkg-config's flags so the baseline is DPDK's (-march=corei7), not the
# build machine's. Usage: build.sh <output.so>. Called by src/Flow.Backends.Dpdk's build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/libflowdpdk.so}"
if ! pkg-config --exists libdpdk; then
    echo "native/build.sh: libdpdk not found by pkg-config; install Debian's dpdk-dev and libdpdk-dev" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -g -fPIC -shared -Wall -Wextra -Werror -Wno-unused-parameter \
    $(pkg-config --cflags libdpdk) \
    -o "$out" "$here/flow_dpdk.c" \
    $(pkg-config --libs libdpdk) -lpthread
