#!/usr/bin/env bash
# `make fuzz`: builds ballast-fuzz with libFuzzer and AddressSanitizer into .build-fuzz (its own
# scratch path, so the normal build is untouched) and runs every parser's target for
# FUZZ_SECONDS (default 60) each. See docs/fuzzing.md.
#
#   FUZZ_SECONDS=600 FUZZ_TARGETS="rule-expression cache-json" Fuzz/fuzz.sh
#
# Seeds come from Fuzz/corpus/<target>/ (read only); what the fuzzer finds interesting goes to
# .build-fuzz/corpus/<target>/, crashes to .build-fuzz/artifacts/. A crash makes the script
# exit 1 after all targets ran; copy the crashing input into Fuzz/corpus/<target>/ once it is
# fixed, and `swift test` (FuzzCorpusTests) replays it from then on.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
ALL_TARGETS="rule-expression config-yaml rule-yaml json-scanner cache-json sse-scanner rate-limit-headers upstream-head message-usage traceparent event-stream cloud-credential-answers cloud-errors"
FUZZ_TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
SCRATCH=.build-fuzz

# -sanitize=fuzzer instruments every Swift module for coverage and links libFuzzer, which
# its driver; -DFUZZING switches ballast-fuzz from replaying files to running that driver.
# lld: gold stops with an internal error on the fuzzer runtime.
$SWIFT build -c debug --scratch-path "$SCRATCH" --product ballast-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld || exit 2
BINARY="$($SWIFT build -c debug --scratch-path "$SCRATCH" --show-bin-path)/ballast-fuzz"

# The Swift runtime keeps metadata for the process' life; LeakSanitizer would report it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
mkdir -p "$SCRATCH/artifacts"
status=0
summary=()
for target in $FUZZ_TARGETS; do
    [ -d "Fuzz/corpus/$target" ] || { echo "no corpus folder Fuzz/corpus/$target"; exit 2; }
    mkdir -p "$SCRATCH/corpus/$target"
    log="$SCRATCH/$target.log"
    echo "== $target: ${FUZZ_SECONDS}s"
    BALLAST_FUZZ_TARGET=$target "$BINARY" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$SCRATCH/artifacts/$target-" \
        "$SCRATCH/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1
    code=$?
    runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    rate=$(grep -m1 -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    if [ $code -eq 0 ]; then
        result="ok"
    else
        result="CRASH (exit $code), see $log and $SCRATCH/artifacts/$target-*"
        tail -40 "$log"
        status=1
    fi
    summary+=("$(printf '%-20s %12s runs %8s/s  cov %6s  %s' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$result")")
done
echo
printf '%s\n' "${summary[@]}"
exit $status
