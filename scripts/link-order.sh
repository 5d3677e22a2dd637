#!/usr/bin/env bash
# Regenerates packaging/ccagentd.order, the function order the release link uses
# (scripts/release-flags.sh: lld --symbol-ordering-file). The functions a running agent executes
# are laid out together, so its code occupies fewer pages: a page of the binary's text is
# resident once any function in it (or within the kernel's fault-around window) ran.
#
# How: a two-node pair in namespaces (tests/lib/netns.sh) with the lab configuration, node0
# under valgrind's callgrind with an snmpd to talk to; its status is read, its subtree walked,
# a monitored link cut and restored, then every function callgrind saw run in ccagentd is
# written out, in name order (the order of the list does not matter much: what matters is that
# executed and never-executed code stop sharing pages). A stale or missing file only costs
# locality, never correctness: unknown names are ignored.
#
# Needs root and valgrind (installed here if missing); takes about two minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" = 0 ] || { echo "link-order: run as root (namespaces)" >&2; exit 1; }
command -v valgrind >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind >&2; }
}

# The release binary (the order moves code around; it does not change which code runs).
. scripts/release-flags.sh
scratch="$root/.build-release"
swift build "${RELEASE_FLAGS[@]}" --scratch-path "$scratch" >&2
bin="$(swift build "${RELEASE_FLAGS[@]}" --scratch-path "$scratch" --show-bin-path)"

work="$(mktemp -d /tmp/ccagent-order.XXXXXX)"
. tests/lib/netns.sh
prefix="cco$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  topology_down
  rm -rf "$work"
}
trap cleanup EXIT
topology_up "$prefix"
"$bin/ccctl" generate-key "$work/cluster.key" >/dev/null
sed "s|/etc/ccagent/cluster.key|$work/cluster.key|" packaging/examples/lab.conf >"$work/ccagent.conf"
# valgrind's DWARF reader gives up on the toolchain's debug info; symbols are enough.
strip --strip-debug -o "$work/ccagentd" "$bin/ccagentd"

cat >"$work/snmpd.conf" <<EOC
master agentx
agentXSocket $work/agentx0.sock
rocommunity public 127.0.0.1 .1.3.6.1.4.1.8072.9999.9999.1
EOC
ip netns exec "$NS0" snmpd -f -Lf "$work/snmpd.log" -C -c "$work/snmpd.conf" udp:127.0.0.1:1161 &
pids+=($!)
sleep 1
ip netns exec "$NS0" valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
  --compress-strings=no --compress-pos=no --demangle=no \
  "$work/ccagentd" --config "$work/ccagent.conf" --node 0 --control-socket "$work/node0.sock" \
  --agentx-socket "$work/agentx0.sock" --state-directory "$work/state" --log-target stderr 2>"$work/node0.log" &
node0=$!
ip netns exec "$NS1" "$bin/ccagentd" --config "$work/ccagent.conf" --node 1 \
  --control-socket "$work/node1.sock" --agentx-socket "$work/agentx1.sock" \
  --state-directory "$work/state" \
  --log-target stderr 2>"$work/node1.log" &
pids+=($!)

# Under valgrind the agent runs ~50 times slower: give each step time.
for _ in $(seq 60); do
  "$bin/ccctl" show status --socket "$work/node0.sock" >/dev/null 2>&1 && break
  sleep 1
done
sleep 15
"$bin/ccctl" show status --json --socket "$work/node0.sock" >/dev/null
"$bin/ccctl" show information --socket "$work/node0.sock" >/dev/null
ip netns exec "$NS0" snmpbulkwalk -v2c -c public -On -m "" -t 30 127.0.0.1:1161 \
  .1.3.6.1.4.1.8072.9999.9999.1 >/dev/null || true
ip -n "$NSW" link set port0 down
sleep 15
ip -n "$NSW" link set port0 up
sleep 15
kill -INT "$node0"
wait "$node0" || true

python3 - "$work/callgrind.out" "$bin/ccagentd" >packaging/ccagentd.order <<'PY'
import subprocess, sys
out, binary = sys.argv[1], sys.argv[2]
executed, ob, cob = set(), None, None
for line in open(out, errors="replace"):
    if line.startswith("ob="):
        ob, cob = line[3:].strip(), None
    elif line.startswith("cob="):
        cob = line[4:].strip()
    elif line.startswith("fn=") and ob and ob.endswith("/ccagentd"):
        executed.add(line[3:].strip())
    elif line.startswith("cfn="):
        if (cob or ob or "").endswith("/ccagentd"):
            executed.add(line[4:].strip())
        cob = None
# Keep names the binary defines as functions; drop callgrind's unnamed "0x…" entries.
nm = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True).stdout
defined = {p[2] for p in (l.split() for l in nm.splitlines()) if len(p) == 3 and p[1] in "tTwW"}
for name in sorted(executed & defined):
    print(name)
PY
echo "link-order: $(wc -l <packaging/ccagentd.order) functions in packaging/ccagentd.order" >&2
# SwiftPM does not see the file as an input of the link: make the next release build relink.
rm -f "$bin/ccagentd" "$bin/ccctl"
