#!/usr/bin/env bash
# Runs Flow's whole test suite against the Release build we ship (production burst size, JIT
# optimisations on): every tests/*.Tests project, one after another (integration tests own
# network namespaces and pinned cores, so projects never run side by side). Then, again:
#  - Flow.Core.Tests and Flow.Stages.Tests in Debug, whose small burst (FLOW_SMALL_BURST, 8)
#    walks the partial- and multi-batch paths;
#  - Flow.Protocols.Tests (and Flow.Core's vectorised scatter tests) with AVX2 and then all
#    hardware intrinsics disabled, so every vector path and its scalar fallback are tested.
# A run that executes zero tests, or whose test host fails after its summary, fails the suite.
# Installs missing Debian packages first when run as root (tests/prerequisites.sh).
# Ends with one line: distinct tests (the Release run of every project), executions (all runs),
# passed, failed, skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

# On a fresh machine (as root) this installs the Debian packages the tests use; without root a
# missing package is named here and again by each test that needs it.
bash tests/prerequisites.sh || echo "!!! some prerequisites are missing; the tests that need them will fail"
dotnet build Flow.sln -c Release -nologo -clp:ErrorsOnly || exit 1
dotnet build tests/Flow.Core.Tests -c Debug -nologo -clp:ErrorsOnly || exit 1
dotnet build tests/Flow.Stages.Tests -c Debug -nologo -clp:ErrorsOnly || exit 1

distinct=0
executions=0
passed=0
failed=0
skipped=0
status=0
field() { sed -E "s/.*$1: +([0-9]+).*/\1/" <<<"$2"; }
# run <label> <counts-as-distinct:yes|no> <command...>
run() {
    local label="$1" distinct_run="$2"; shift 2
    local log
    log=$(mktemp)
    echo "=== $label"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E "(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+, Total: +[0-9]+" "$log" | tail -1)
    rm -f "$log"
    if [[ -z "$line" ]]; then
        echo "!!! $label: no test summary (the project ran no tests or its host failed)"
        failed=$((failed + 1)); status=1
        return
    fi
    local f p s t
    f=$(field Failed "$line"); p=$(field Passed "$line"); s=$(field Skipped "$line"); t=$(field Total "$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s)); executions=$((executions + t))
    [[ "$distinct_run" == yes ]] && distinct=$((distinct + t))
    if [[ "$t" -eq 0 ]]; then
        echo "!!! $label executed zero tests"
        failed=$((failed + 1)); status=1
    elif [[ $rc -ne 0 && "$f" -eq 0 ]]; then
        echo "!!! $label: the test host exited with $rc after reporting no failures"
        failed=$((failed + 1)); status=1
    elif [[ $rc -ne 0 ]]; then
        status=1
    fi
    [[ "$s" -gt 0 ]] && echo "!!! $label skipped $s tests"
}

for project in tests/*.Tests/*.Tests.csproj; do
    run "$(basename "$project" .csproj)" yes dotnet test "$project" -c Release --no-build -nologo
done
for project in Flow.Core.Tests Flow.Stages.Tests; do
    run "$project (Debug, burst 8)" no dotnet test "tests/$project" -c Debug --no-build -nologo
done
for mode in DOTNET_EnableAVX2 DOTNET_EnableHWIntrinsic; do
    run "Flow.Protocols.Tests ($mode=0)" no env "$mode=0" dotnet test tests/Flow.Protocols.Tests -c Release --no-build -nologo
    run "Flow.Core.Tests vector paths ($mode=0)" no env "$mode=0" dotnet test tests/Flow.Core.Tests -c Release --no-build -nologo --filter "FullyQualifiedName~StageNodeScatterTests"
done

echo "$distinct distinct tests, $executions executions: $passed passed, $failed failed, $skipped skipped"
[[ $skipped -gt 0 ]] && status=1
exit $status
