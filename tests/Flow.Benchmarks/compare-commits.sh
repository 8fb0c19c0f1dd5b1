#!/usr/bin/env bash
# Before/after figures for a change: builds Flow.Benchmarks at two commits (in temporary git
# worktrees) once and runs each scenario alternately at each (A B A B ...), one round per run,
# under the CPU lock, then prints every numeric JSON field per commit (median, min–max) and the
# per-round B/A ratio. Same machine, same minutes: the noise of a shared VM falls on both.
# Several scenarios (comma-separated) share the two builds and interleave round by round; they all
# get the same scenario args (each reads the options it knows).
#
#   bash tests/Flow.Benchmarks/compare-commits.sh <commit-a> <commit-b> <scenario[,scenario...]> [rounds] [-- scenario args]
#   e.g. compare-commits.sh 2d57126 HEAD memif 5 -- --seconds 2
set -euo pipefail
cd "$(dirname "$0")/../.."

a=$(git rev-parse --short "$1"); b=$(git rev-parse --short "$2"); IFS=, read -ra scenarios <<< "$3"; rounds=${4:-5}
shift $(( $# >= 4 ? 4 : 3 ))
[[ "${1:-}" == "--" ]] && shift
args=("$@")
work=$(mktemp -d /tmp/flow-compare.XXXXXX)
cleanup() {
    git worktree remove --force "$work/$a" 2>/dev/null || true
    git worktree remove --force "$work/$b" 2>/dev/null || true
}
trap cleanup EXIT

for c in "$a" "$b"; do
    git worktree add --detach "$work/$c" "$c" >/dev/null
    dotnet build "$work/$c/tests/Flow.Benchmarks" -c Release -nologo -clp:ErrorsOnly >/dev/null
done

for ((r = 1; r <= rounds; r++)); do
    for scenario in "${scenarios[@]}"; do
        for c in "$a" "$b"; do
            echo "round $r/$rounds: $scenario at $c" >&2
            (cd "$work/$c" && flock /tmp/flow-cpu.lock dotnet tests/Flow.Benchmarks/bin/Release/net10.0/Flow.Benchmarks.dll \
                "$scenario" --rounds 1 "${args[@]}" | tee "$work/$scenario.$c.$r.log" | tail -n 1 > "$work/$scenario.$c.$r.json") ||
                echo "round $r: $scenario at $c failed (its log: $work/$scenario.$c.$r.log); the pair is left out" >&2
        done
    done
done

for scenario in "${scenarios[@]}"; do
echo "== $scenario"
python3 - "$work" "$a" "$b" "$rounds" "$scenario" <<'EOF'
import json, statistics, sys
work, a, b, rounds, scenario = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def load(c, r):
    try:
        return json.load(open(f"{work}/{scenario}.{c}.{r}.json"))
    except (OSError, ValueError):
        return None
pairs = [(load(a, r), load(b, r)) for r in range(1, rounds + 1)]
pairs = [p for p in pairs if p[0] is not None and p[1] is not None]
print(f"{len(pairs)} of {rounds} rounds with a JSON line from both")
if not pairs:
    sys.exit(0)
runs = {a: [p[0] for p in pairs], b: [p[1] for p in pairs]}
keys = [k for k, v in runs[a][0].items() if (v is None or isinstance(v, (int, float))) and k in runs[b][0]]
print(f"{'field':32} {a + ' median (min-max)':>28} {b + ' median (min-max)':>28} {b + '/' + a + ' per round':>24}")
def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
def summary(values):
    values = [v for v in values if number(v)]  # a field a round could not measure is null
    return f"{statistics.median(values):.4g} ({min(values):.4g}-{max(values):.4g})" if values else "-"
for k in keys:
    va = [run.get(k) for run in runs[a]]; vb = [run.get(k) for run in runs[b]]
    ratios = [y / x for x, y in zip(va, vb) if number(x) and number(y) and x]
    print(f"{k:32} {summary(va):>28} {summary(vb):>28} {summary(ratios):>24}")
for k in [k for k, v in runs[b][0].items() if number(v) and k not in runs[a][0]]:
    print(f"{k:32} {'-':>28} {summary([run.get(k) for run in runs[b]]):>28} {'(only at ' + b + ')':>24}")
EOF
done
