#!/usr/bin/env bash
# `make lab`: two ccagentd nodes in network namespaces with reth0 on a LAN bridge and a client
# pinging its address through failovers and back, then the journal records, an SNMP walk and
# the traps (scripts/lab.py does the work). Exit 0 when every part was seen, 1 with
# "lab: FAILED: why" otherwise. LAB_KEEP=1 leaves the lab running and prints how to reach it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${LAB_BIN:-$root/.build/debug}"
fail() { echo "lab: FAILED: $*" >&2; exit 1; }
[ -x "$bin/ccagentd" ] && [ -x "$bin/ccctl" ] || fail "no ccagentd and ccctl in $bin: build first (make build)"
[ "$(id -u)" -eq 0 ] || fail "needs root for network namespaces"
for tool in ip bridge snmpd snmptrapd snmpwalk journalctl python3; do
  command -v "$tool" >/dev/null || fail "$tool missing: run make deps"
done

# Every namespace the lab makes is <prefix>-*, every process it starts runs in one of them
# (or is the journald noted in $state): the EXIT trap finds what lab.py could not remove
# itself (it was killed) and removes it, by namespace and by process id.
prefix="ccl$(printf %05d $(($$ % 100000)))"
state="$(mktemp -d /tmp/ccagent-lab-run.XXXXXX)"
cleanup() {
  local ns pids pid
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
    echo "lab: removing namespace $ns left behind" >&2
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ -f "$state/journald.pid" ]; then
    pid="$(cat "$state/journald.pid")"
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd-journal ]; then
      echo "lab: stopping the journald it started ($pid)" >&2
      kill "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$state"
}
keep=()
if [ "${LAB_KEEP:-0}" = 1 ]; then
  keep=(--keep)
else
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
fi
TMPDIR="$state" python3 "$root/scripts/lab.py" --bin "$bin" --prefix "$prefix" --state "$state" "${keep[@]}"
