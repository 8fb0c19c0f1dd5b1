#!/usr/bin/env bash
# Runs Flow's whole test suite: every tests/*.Tests project, one after another (integration
# tests own network namespaces and pinned cores, so projects never run side by side), then
# Flow.Protocols.Tests (and Flow.Core's vectorised scatter tests) again with AVX2 and then all
# hardware intrinsics disabled, so every vector path and its scalar fallback are tested.
# Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

dotnet build Flow.sln -c Debug -nologo -clp:ErrorsOnly || exit 1

passed=0
failed=0
status=0
run() {
    local label="$1"; shift
    local log
    log=$(mktemp)
    echo "=== $label"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E "(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+" "$log" | tail -1)
    if [[ -n "$line" ]]; then
        passed=$((passed + $(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")))
        failed=$((failed + $(sed -E 's/.*Failed: +([0-9]+), Passed.*/\1/' <<<"$line")))
    fi
    if [[ $rc -ne 0 ]]; then
        status=1
        [[ -z "$line" ]] && failed=$((failed + 1)) && echo "!!! $label failed before reporting results"
    fi
    rm -f "$log"
}

for project in tests/*.Tests/*.Tests.csproj; do
    run "$(basename "$project" .csproj)" dotnet test "$project" --no-build -nologo
done
if [[ -f tests/Flow.Protocols.Tests/Flow.Protocols.Tests.csproj ]]; then
    DOTNET_EnableAVX2=0 run "Flow.Protocols.Tests (AVX2 off)" dotnet test tests/Flow.Protocols.Tests --no-build -nologo
    DOTNET_EnableHWIntrinsic=0 run "Flow.Protocols.Tests (intrinsics off)" dotnet test tests/Flow.Protocols.Tests --no-build -nologo
fi
for mode in DOTNET_EnableAVX2 DOTNET_EnableHWIntrinsic; do
    run "Flow.Core.Tests vector paths ($mode=0)" env "$mode=0" dotnet test tests/Flow.Core.Tests --no-build -nologo --filter "FullyQualifiedName~StageNodeScatterTests"
done

echo "$passed passed, $failed failed"
exit $status
