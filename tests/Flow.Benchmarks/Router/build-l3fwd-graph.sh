#!/bin/sh
# Builds DPDK's l3fwd-graph example from Debian's dpdk-doc (/usr/share/dpdk/examples/l3fwd-graph)
# against the installed libdpdk-dev, in a copy under a build directory, and caches the binary there.
# One change to the copy, at its top: the graph walk's per-node statistics are compiled out
# (RTE_LIBRTE_GRAPH_STATS 0; Debian's rte_config.h turns them on, which costs two rdtsc per node
# visit in rte_graph_walk, inlined into the example), so DPDK runs at its best; without them the
# example prints no stats and its main lcore only waits for the worker.
# Usage: build-l3fwd-graph.sh [build-dir]   (default: $FLOW_L3FWD_GRAPH_DIR or /tmp/flow-l3fwd-graph)
# Prints the binary's path. Needs: dpdk-doc libdpdk-dev pkg-config make gcc.
set -eu
dir="${1:-${FLOW_L3FWD_GRAPH_DIR:-/tmp/flow-l3fwd-graph}}"
src=/usr/share/dpdk/examples/l3fwd-graph
[ -f "$src/main.c" ] || { echo "build-l3fwd-graph: $src/main.c missing (apt-get install -y dpdk-doc)" >&2; exit 1; }
pkg-config --exists libdpdk || { echo "build-l3fwd-graph: pkg-config finds no libdpdk (apt-get install -y libdpdk-dev pkg-config)" >&2; exit 1; }
bin="$dir/build/l3fwd-graph-shared"
stamp="$dir/source.sha256"
sum="$( (cat "$0" "$src/main.c" "$src/Makefile"; pkg-config --modversion libdpdk) | sha256sum | cut -d' ' -f1)"
if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    echo "$bin"
    exit 0
fi
mkdir -p "$dir"
{
    printf '#include <rte_config.h>\n#undef RTE_LIBRTE_GRAPH_STATS\n#define RTE_LIBRTE_GRAPH_STATS 0\n'
    cat "$src/main.c"
} > "$dir/main.c"
cp "$src/Makefile" "$dir/"
make -s -C "$dir" shared >&2
echo "$sum" > "$stamp"
echo "$bin"
