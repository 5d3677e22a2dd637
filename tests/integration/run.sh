#!/usr/bin/env bash
# The integration suite: real ccagentd processes in network namespaces (needs root).
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "integration tests skipped: they need root for network namespaces" >&2
  exit 0
fi
exec python3 -m pytest -q -x -p no:cacheprovider "${@:-.}"
