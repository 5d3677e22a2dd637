#!/usr/bin/env bash
# libFuzzer runs of ccagent's parsers (the fuzz/ package): heartbeat decoder (with and without a
# key), configuration parser, scenario parser, witness codec (and arbiter), control-socket
# requests, the heartbeat receive screen, conntrackd's statistics and configuration text, and the
# metrics endpoint's routing.
#   FUZZ_RUNS         inputs per fuzzer (default 10000000)
#   FUZZ_MAX_TIME     optional cap in seconds per fuzzer (libFuzzer -max_total_time)
#   FUZZ_TARGETS      subset, e.g. "heartbeat config" (default: all of heartbeat config scenario
#                     witness control screen conntrackd metrics)
#   FUZZ_ARGS         extra libFuzzer flags
# Seeds: fuzz/corpus/<name>/ (committed). Generated corpus: fuzz/generated/<name>/ and crash
# artifacts: fuzz/artifacts/ (both gitignored). Exit non-zero if any fuzzer finds a crash.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH=/opt/swift/usr/bin:$PATH
# Swift's backtracer would take a trap's signal before libFuzzer's handler, which then writes no
# crash artifact: leave the crash to libFuzzer.
export SWIFT_BACKTRACE=enable=no
RUNS=${FUZZ_RUNS:-10000000}
TARGETS=${FUZZ_TARGETS:-heartbeat config scenario witness control screen conntrackd metrics}

# -sanitize=fuzzer on every Swift module, so the Cluster library itself is coverage-instrumented.
swift build -c release -Xswiftc -sanitize=fuzzer
BIN=$(swift build -c release -Xswiftc -sanitize=fuzzer --show-bin-path)

status=0
for name in $TARGETS; do
  case $name in
    heartbeat) exe=FuzzHeartbeat; extra=(-max_len=4096) ;;
    # 512 bytes hold a dozen statements; at 4096 the parser ran 640 inputs/s, at 512 10 000.
    config) exe=FuzzConfig; extra=(-max_len=512) ;;
    scenario) exe=FuzzScenario; extra=(-max_len=4096) ;;
    # A witness datagram is at most 70 bytes; the selector and some slack.
    witness) exe=FuzzWitness; extra=(-max_len=128) ;;
    # ccctl's requests are one short line each; a few lines exercise the line splitting.
    control) exe=FuzzControlRequest; extra=(-max_len=1024) ;;
    # The largest heartbeat (HeartbeatCodec.maximumMessageSize) with the selector and floor.
    screen) exe=FuzzScreen; extra=(-max_len=4096) ;;
    conntrackd) exe=FuzzConntrackd; extra=(-max_len=2048) ;;
    metrics) exe=FuzzMetricsRoute; extra=(-max_len=256) ;;
    *) echo "fuzz: unknown target $name" >&2; exit 2 ;;
  esac
  mkdir -p "generated/$name" "artifacts/$name"
  args=(-runs="$RUNS" -print_final_stats=1 -artifact_prefix="artifacts/$name/" "${extra[@]}")
  [ -n "${FUZZ_MAX_TIME:-}" ] && args+=(-max_total_time="$FUZZ_MAX_TIME")
  # shellcheck disable=SC2206
  args+=(${FUZZ_ARGS:-})
  echo "== fuzz $name: $exe ${args[*]}"
  start=$(date +%s)
  log="generated/$name.log"
  if "$BIN/$exe" "${args[@]}" "generated/$name" "corpus/$name" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see fuzz/$log and fuzz/artifacts/$name/)"
    status=1
  fi
  end=$(date +%s)
  units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "   $name: ${units:-?} inputs in $((end - start)) s, corpus $(ls "generated/$name" | wc -l) files: $result"
  grep -E "^(==[0-9]+==|SUMMARY|Fatal error|.*deadly signal)" "$log" | head -5 || true
done
exit $status
