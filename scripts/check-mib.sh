#!/usr/bin/env bash
# Checks mibs/CHASSIS-CLUSTER-MIB.txt:
#   1. smilint at level 6 must report no error or warning;
#   2. net-snmp must load the module without complaint, and every node
#      that smidump finds in the module must translate with snmptranslate
#      to the same OID.
# Needs smitools (smilint, smidump) and snmp (snmptranslate), plus the
# standard modules the MIB imports (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF,
# INET-ADDRESS-MIB). Debian ships those only in non-free
# snmp-mibs-downloader or, in main, in erlang-snmp; this script looks in
# the default search paths first and then in erlang-snmp's mibs directory.
# Set STD_MIB_DIR to use another directory holding them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module=CHASSIS-CLUSTER-MIB
mibdir="$root/mibs"
mibfile="$mibdir/$module.txt"
root_oid=1.3.6.1.4.1.8072.9999.9999.1

fail() { echo "check-mib: $*" >&2; exit 1; }

for tool in smilint smidump snmptranslate; do
  command -v "$tool" >/dev/null || fail "$tool not found (run scripts/install-deps.sh)"
done
[ -f "$mibfile" ] || fail "$mibfile not found"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- locate the standard modules ------------------------------------------
std_dir="${STD_MIB_DIR:-}"
[ -z "$std_dir" ] || [ -d "$std_dir" ] || fail "STD_MIB_DIR=$std_dir is not a directory"
# net-snmp: can SNMPv2-SMI be loaded from the default path?
std_found() {
  local extra="${1:+:$1}"
  snmptranslate -M "+$extra" -m SNMPv2-SMI -On SNMPv2-SMI::enterprises \
    >/dev/null 2>&1
}
if [ -z "$std_dir" ] && ! std_found ""; then
  for d in /usr/lib/erlang/lib/snmp-*/mibs; do
    [ -f "$d/SNMPv2-SMI.mib" ] && std_dir="$d"
  done
fi
if [ -n "$std_dir" ] && ! std_found "$std_dir"; then
  fail "SNMPv2-SMI not loadable from $std_dir"
fi
if [ -z "$std_dir" ] && ! std_found ""; then
  fail "standard MIB modules (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF, INET-ADDRESS-MIB) not found;" \
    "install erlang-snmp (Debian main) or snmp-mibs-downloader, or set STD_MIB_DIR"
fi

net_path="+$mibdir${std_dir:+:$std_dir}"
# libsmi: a leading ':' extends the path configured in /etc/smi.conf.
export SMIPATH=":$mibdir${std_dir:+:$std_dir}"

# --- smilint --------------------------------------------------------------
smilint -s -l 6 "$mibfile" >"$tmp/smilint" 2>&1 || true
# Anything but an info line (which only annotates a preceding message)
# counts as a failure, whatever its severity label.
if grep -v -E '(\[6\] )?info: ' "$tmp/smilint" | grep -q .; then
  cat "$tmp/smilint" >&2
  fail "smilint reported problems"
fi

# --- identifiers as libsmi sees them --------------------------------------
smidump -f identifiers "$mibfile" >"$tmp/ids" 2>"$tmp/smidump.err" \
  || { cat "$tmp/smidump.err" >&2; fail "smidump failed"; }
[ -s "$tmp/smidump.err" ] && { cat "$tmp/smidump.err" >&2; fail "smidump reported problems"; }
# lines: MODULE name kind oid   (types have no oid)
awk -v m="$module" '$1 == m && NF == 4 { print $2, $3, $4 }' "$tmp/ids" >"$tmp/nodes"
[ -s "$tmp/nodes" ] || fail "smidump found no nodes in $module"

grep -q "^chassisClusterMIB node $root_oid\$" "$tmp/nodes" \
  || fail "chassisClusterMIB is not at $root_oid"
if awk -v r="$root_oid" '$3 != r && index($3, r ".") != 1' "$tmp/nodes" | grep -q .; then
  awk -v r="$root_oid" '$3 != r && index($3, r ".") != 1' "$tmp/nodes" >&2
  fail "nodes outside $root_oid"
fi

# --- net-snmp -------------------------------------------------------------
# Load only this module (and what it imports) so that any complaint is ours.
snmptranslate -M "$net_path" -m "$module" -Tz >"$tmp/tz" 2>"$tmp/tz.err" \
  || { cat "$tmp/tz.err" >&2; fail "snmptranslate -Tz failed"; }
if [ -s "$tmp/tz.err" ]; then
  cat "$tmp/tz.err" >&2
  fail "snmptranslate reported problems loading $module"
fi
# "name"  "oid" -> name oid, restricted to the module's subtree
tr -d '"' <"$tmp/tz" | awk -v r="$root_oid" '$2 == r || index($2, r ".") == 1 { print $1, $2 }' \
  | sort >"$tmp/net"
awk '{ print $1, $3 }' "$tmp/nodes" | sort >"$tmp/smi"
if ! diff -u "$tmp/smi" "$tmp/net" >"$tmp/diff"; then
  cat "$tmp/diff" >&2
  fail "net-snmp and libsmi disagree on the module's nodes (- libsmi, + net-snmp)"
fi

# Every node, one by one, by qualified name.
while read -r name kind oid; do
  out="$(snmptranslate -M "$net_path" -m "$module" -On "$module::$name" 2>&1)" \
    || fail "snmptranslate $module::$name failed: $out"
  [ "$out" = ".$oid" ] || fail "snmptranslate $module::$name gave '$out', expected .$oid ($kind)"
  out="$(snmptranslate -M "$net_path" -m "$module" -Td "$module::$name" 2>&1 >/dev/null)"
  [ -z "$out" ] || fail "snmptranslate -Td $module::$name: $out"
done <"$tmp/nodes"

# The documented invocation (default module list plus this one) must also
# resolve; the default list drags in modules Debian does not ship, so only
# complaints that name this module or its directory count.
out="$(snmptranslate -M "$net_path" -m "+$module" -On "$module::ccRgNodeState" 2>"$tmp/plus.err")" \
  || { cat "$tmp/plus.err" >&2; fail "snmptranslate -m +$module failed"; }
[ "$out" = ".$root_oid.1.3.1.4" ] || fail "ccRgNodeState is '$out', expected .$root_oid.1.3.1.4"
if grep -E "$module|$mibdir" "$tmp/plus.err" | grep -v '^MIB search path' >&2; then
  fail "snmptranslate -m +$module reported problems in $module"
fi

objects=$(awk '$2 ~ /^(scalar|table|row|column)$/' "$tmp/nodes" | wc -l)
notifications=$(awk '$2 == "notification"' "$tmp/nodes" | wc -l)
echo "$module: $objects objects, $notifications notifications, smilint clean"
