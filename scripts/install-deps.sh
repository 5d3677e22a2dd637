#!/usr/bin/env bash
# Installs the Debian packages ccagent's build, tests and lab need; a no-op when all are present.
set -euo pipefail
packages=(
  snmpd snmp snmptrapd libsnmp-dev libsystemd-dev smitools iproute2 nftables
  systemd procps psmisc jq python3-yaml python3-pytest
  # packaging: make deb, lintian, and the unit-sandbox test
  dpkg-dev binutils lintian libseccomp2
  prometheus python3-prometheus-client  # test_metrics: promtool check metrics, the client's parser
  # Debian's snmp ships no IETF MIB modules (snmp-mibs-downloader is non-free); erlang-snmp, in
  # main, carries SNMPv2-SMI/TC/CONF and INET-ADDRESS-MIB, which our MIB imports.
  erlang-snmp
  # session sync (DESIGN §11): conntrackd replicates conntrack, conntrack reads the table in tests
  conntrackd conntrack
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
link_standard_mibs() {
  # Make the IETF modules visible on net-snmp's and libsmi's default path.
  local src dst=/usr/share/snmp/mibs/ietf m
  src=$(ls -d /usr/lib/erlang/lib/snmp-*/mibs 2>/dev/null | tail -n 1)
  [ -n "$src" ] || return 0
  for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF INET-ADDRESS-MIB SNMPv2-MIB SNMP-FRAMEWORK-MIB; do
    if [ ! -e "$dst/$m.txt" ] && [ -f "$src/$m.mib" ]; then
      [ "$(id -u)" -eq 0 ] || return 0
      mkdir -p "$dst"
      ln -sf "$src/$m.mib" "$dst/$m.txt"
    fi
  done
}
if [ ${#missing[@]} -eq 0 ]; then
  link_standard_mibs
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# snmpd's postinst starts a system snmpd when an init system runs; the tests run their own.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
link_standard_mibs
