#!/usr/bin/env bash
# `make bench` / `make bench-smoke` (BENCH_SMOKE=1): ccagent against keepalived and net-snmp in
# network namespaces on this machine. Needs root. Installs keepalived, snmpd, snmptrapd, snmp and
# hyperfine if missing, builds ccagent as the package does (scripts/release-flags.sh, in
# .build-release, shared with `make deb`; BENCH_BIN_DIR=dir uses prebuilt binaries), compiles bench/src/cchelper.c,
# then runs bench/bench.py, which prints a markdown table and writes bench/results/<date>.md.
# Everything it starts (namespaces, processes, temporary files) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=/opt/swift/usr/bin:$PATH

if [ "$(id -u)" != 0 ]; then
  echo "bench: needs root (network namespaces, keepalived)" >&2
  exit 1
fi

# --- packages
missing=()
command -v keepalived >/dev/null || missing+=(keepalived)
command -v snmpd >/dev/null || missing+=(snmpd)
command -v snmptrapd >/dev/null || missing+=(snmptrapd)
command -v snmpbulkwalk >/dev/null || missing+=(snmp)
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v gcc >/dev/null || missing+=(gcc)
command -v ip >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "${missing[@]}" >&2 || { apt-get update >&2 && apt-get install -y "${missing[@]}" >&2; }
fi

# --- ccagent, the release build the package ships (swift build is a no-op when up to date)
SCRATCH=$ROOT/.build-release
. "$ROOT/scripts/release-flags.sh"
attempt=1
until [ -n "${BENCH_BIN_DIR:-}" ] || swift build "${RELEASE_FLAGS[@]}" --scratch-path "$SCRATCH" >&2; do
  if [ $attempt -ge "${BENCH_BUILD_ATTEMPTS:-5}" ]; then
    echo "bench: release build failed $attempt times" >&2
    exit 1
  fi
  echo "bench: release build failed (sources mid-edit?), retrying in 30 s" >&2
  attempt=$((attempt + 1))
  sleep 30
done
BIN=${BENCH_BIN_DIR:-$SCRATCH/release}

# --- timestamp helper (fault injection, notify scripts)
HELPER=$SCRATCH/bench-helper
mkdir -p "$HELPER"
if [ ! -x "$HELPER/cchelper" ] || [ bench/src/cchelper.c -nt "$HELPER/cchelper" ]; then
  gcc -O2 -Wall -o "$HELPER/cchelper" bench/src/cchelper.c
  cp "$HELPER/cchelper" "$HELPER/ccstamp"
fi
if [ ! -x "$HELPER/minimal-subagent" ] || [ bench/src/minimal-subagent.c -nt "$HELPER/minimal-subagent" ]; then
  gcc -O2 -Wall -o "$HELPER/minimal-subagent" bench/src/minimal-subagent.c -lnetsnmpagent -lnetsnmp
fi

# --- run; bench.py cleans up after itself, this trap catches what it could not (e.g. SIGKILL)
mkdir -p bench/results
OUT=bench/results/$(date +%Y-%m-%d).md
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
  OUT=bench/results/$(date +%Y-%m-%d)-smoke.md
elif [ -n "${BENCH_ONLY:-}" ]; then
  # A partial run never overwrites the day's full results.
  OUT=bench/results/$(date +%Y-%m-%d)-${BENCH_ONLY//,/-}.md
fi
py_pid=
cleanup() {
  if [ -n "$py_pid" ] && kill -0 "$py_pid" 2>/dev/null; then
    kill -TERM "$py_pid" 2>/dev/null || true
    wait "$py_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
args=(--bin "$BIN" --helper "$HELPER" --out "$OUT")
[ "${BENCH_SMOKE:-0}" = 1 ] && args+=(--smoke)
[ -n "${BENCH_ONLY:-}" ] && args+=(--only "$BENCH_ONLY")
[ -n "${BENCH_IDLE_SECONDS:-}" ] && args+=(--idle-seconds "$BENCH_IDLE_SECONDS")
[ -n "${BENCH_DATAPLANE_RUNS:-}" ] && args+=(--dataplane-runs "$BENCH_DATAPLANE_RUNS")
[ -n "${BENCH_SESSION_RUNS:-}" ] && args+=(--session-runs "$BENCH_SESSION_RUNS")
[ -n "${BENCH_SESSION_COUNTS:-}" ] && args+=(--session-counts "$BENCH_SESSION_COUNTS")
[ -n "${BENCH_INTERVALS:-}" ] && args+=(--intervals "$BENCH_INTERVALS")
[ -n "${BENCH_SESSION_EXTERNAL_CACHE:-}" ] && args+=(--session-external-cache "$BENCH_SESSION_EXTERNAL_CACHE")
[ -n "${BENCH_SESSION_FAULTS:-}" ] && args+=(--session-faults "$BENCH_SESSION_FAULTS")
python3 bench/bench.py "${args[@]}" &
py_pid=$!
wait "$py_pid"
