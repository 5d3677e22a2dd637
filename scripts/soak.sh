#!/usr/bin/env bash
# `make soak` / `make soak-smoke`: two ccagentd nodes in namespaces under a seeded random fault
# stream (soak/soak.py). SOAK_MINUTES (10), SOAK_SEED (1), SOAK_SMOKE=1, SOAK_BIN, SOAK_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" = 0 ] || { echo "soak: run as root (namespaces, nftables)" >&2; exit 1; }
BIN=${SOAK_BIN:-.build/debug}
if [ ! -x "$BIN/ccagentd" ] || [ ! -x "$BIN/ccctl" ] || [ ! -x "$BIN/ccwitnessd" ]; then
  swift build
fi
for tool in nft snmpd snmptrapd journalctl; do
  command -v "$tool" >/dev/null || { echo "soak: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
# soak.py cleans up after itself (finally); this is the belt to its braces if Python itself dies.
child=
cleanup() {
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then kill -TERM "$child" 2>/dev/null; wait "$child" || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
python3 -u soak/soak.py &
child=$!
wait "$child"
