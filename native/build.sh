#!/usr/bin/env bash
# Builds libflowdpdk.so from flow_dpdk.c against the system's DPDK (Debian: dpdk-dev,
# libdpdk-dev), with pkg-config's flags so the baseline is DPDK's (-march=corei7), not the
# build machine's. Usage: build.sh <output.so>. Called by src/Flow.Backends.Dpdk's build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/libflowdpdk.so}"
mkdir -p "$(dirname "$out")"
# Without DPDK's development files or a C compiler the rest of Flow still builds: the library is
# left empty (dated 1970, so the next build tries again) and a DPDK port says what is missing
# when it is used (DpdkEal.NotSupportedReason). .ci/run installs both.
missing=""
command -v cc >/dev/null 2>&1 || missing="a C compiler (gcc)"
pkg-config --exists libdpdk 2>/dev/null || missing="${missing:+$missing and }Debian's dpdk-dev and libdpdk-dev (found by pkg-config)"
if [[ -n "$missing" ]]; then
    echo "native/build.sh: the DPDK backend's shim is not built, it needs $missing; DPDK ports will say so when used" >&2
    : > "$out"
    touch -d @0 "$out"
    exit 0
fi
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -g -fPIC -shared -Wall -Wextra -Werror -Wno-unused-parameter \
    $(pkg-config --cflags libdpdk) \
    -o "$out" "$here/flow_dpdk.c" \
    $(pkg-config --libs libdpdk) -lpthread
