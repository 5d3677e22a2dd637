#!/usr/bin/env bash
# `make lab`: two ccagentd nodes in network namespaces on this machine, a failover and back.
# LAB_KEEP=1 leaves the lab running and prints how to reach it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/tests/lib/netns.sh"
bin="$root/.build/debug"
[ -x "$bin/ccagentd" ] || { echo "lab: build first (make build)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "lab: needs root for network namespaces" >&2; exit 1; }

prefix="ccl$$"
work=$(mktemp -d /tmp/ccagent-lab.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  topology_down
  rm -rf "$work"
}
if [ "${LAB_KEEP:-0}" != 1 ]; then trap cleanup EXIT; fi

topology_up "$prefix"
# Authenticated like a real pair: one key, made by ccctl, shared by both nodes.
"$bin/ccctl" generate-key "$work/cluster.key" >/dev/null
sed "s|/etc/ccagent/cluster.key|$work/cluster.key|" "$root/packaging/examples/lab.conf" >"$work/ccagent.conf"
mibopts=(-M "+$root/mibs" -m CHASSIS-CLUSTER-MIB)
for n in 0 1; do
  ns=$([ $n = 0 ] && echo "$NS0" || echo "$NS1")
  # Each node has its own snmpd (AgentX master, loopback of its namespace) and snmptrapd.
  cat >"$work/snmpd$n.conf" <<EOC
master agentx
agentXSocket $work/agentx$n.sock
agentXPerms 0660 0770
rocommunity public 127.0.0.1 .1.3.6.1.4.1.8072.9999.9999.1
trap2sink 127.0.0.1:1162 public
EOC
  echo "authCommunity log public" >"$work/snmptrapd$n.conf"
  ip netns exec "$ns" snmpd -f -Lf "$work/snmpd$n.log" -C -c "$work/snmpd$n.conf" udp:127.0.0.1:1161 &
  pids+=($!)
  ip netns exec "$ns" snmptrapd -f -Lf "$work/traps$n.log" -C -c "$work/snmptrapd$n.conf" \
    "${mibopts[@]}" udp:127.0.0.1:1162 &
  pids+=($!)
  ip netns exec "$ns" "$bin/ccagentd" --config "$work/ccagent.conf" --node $n \
    --control-socket "$work/node$n.sock" --agentx-socket "$work/agentx$n.sock" \
    --state-directory "$work/state" --log-target stderr >"$work/node$n.log" 2>&1 &
  pids+=($!)
done
show() { "$bin/ccctl" show status --socket "$work/node$1.sock"; }
wait_for() { # wait_for NODE RG STATE
  for _ in $(seq 150); do
    if "$bin/ccctl" show status --json --socket "$work/node$1.sock" 2>/dev/null |
      jq -e --argjson rg "$2" --arg st "$3" --argjson n "$1" \
        '.redundancyGroups[] | select(.id == $rg) | .nodes[] | select(.node == $n and .status == $st)' >/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "lab: timed out waiting for rg$2 $3 on node$1" >&2; return 1
}

echo "== both nodes up: initial election"
wait_for 0 1 primary; wait_for 1 1 secondary
echo "--- node0: ccctl show status"; show 0
echo "--- node1: ccctl show status"; show 1

echo "--- node0: snmptable ccRedundancyGroupNodeTable (through snmpd and AgentX)"
for _ in $(seq 50); do
  ip netns exec "$NS0" snmpget -v2c -c public "${mibopts[@]}" 127.0.0.1:1161 ccClusterId.0 2>/dev/null |
    grep -q INTEGER && break
  sleep 0.2
done
ip netns exec "$NS0" snmptable -v2c -c public -Cb "${mibopts[@]}" 127.0.0.1:1161 ccRedundancyGroupNodeTable || true
echo "--- node0: snmpwalk of the scalars"
ip netns exec "$NS0" snmpwalk -v2c -c public "${mibopts[@]}" 127.0.0.1:1161 ccCluster || true

echo "== pulling node0's LAN cable (switch side of lan0 down)"
ip -n "$NSW" link set port0 down
wait_for 1 1 primary
echo "--- node1: ccctl show status"; show 1

echo "== restoring the cable: preempt (delay 2 s) brings RG1 back to node0"
ip -n "$NSW" link set port0 up
wait_for 0 1 primary
echo "--- node0: ccctl show status"; show 0
echo "--- notifications received by node0's and node1's snmptrapd"
sleep 0.5
grep -h -E 'cc[A-Za-z]+(Failure|Change|Failover|Recovery)' "$work/traps0.log" "$work/traps1.log" | head -n 12 || true
echo "--- transitions logged by node0"
grep -E 'rg[01] ' "$work/node0.log" | tail -n 8 || true

if [ "${LAB_KEEP:-0}" = 1 ]; then
  cat <<EOT

The lab keeps running. Reach it with:
  $bin/ccctl show status --socket $work/node0.sock      (node1: node1.sock)
  ip netns exec $NS0 bash                               (node0's namespace; $NS1 for node1)
  ip -n $NSW link set port0 down                        (pull node0's LAN cable)
Logs: $work/node0.log $work/node1.log
Stop it: kill ${pids[*]}; ip netns del $NS0; ip netns del $NS1; ip netns del $NSW; rm -rf $work
EOT
fi
echo "lab: done"
