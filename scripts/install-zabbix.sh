#!/usr/bin/env bash
# Installs what the real-server Zabbix test (tests/zabbix) needs: Debian 12's own Zabbix 6.0
# server (PostgreSQL), its PHP frontend served by php-fpm + nginx, PostgreSQL 15, and the Perl
# modules snmptrapd needs to load Zabbix's official zabbix_trap_receiver.pl. A no-op when all
# are present.
#
# Debian's binary packages do not ship zabbix_trap_receiver.pl (it is only in the source
# package, misc/snmptrap/). It is taken from Debian's source tarball of the same version,
# checked against the checksum in Debian's .dsc, and installed unchanged as
# /usr/local/share/zabbix/zabbix_trap_receiver.pl (the path the README tells users to use).
#
# Package scripts must not start distro services here (no systemd; the test starts its own
# daemons): a temporary /usr/sbin/policy-rc.d that exits 101 is in place during the install and
# the previous state is restored afterwards, even on failure.
set -euo pipefail
packages=(
  zabbix-server-pgsql zabbix-frontend-php php8.2-fpm php8.2-pgsql nginx-light
  postgresql-15 libsnmp-perl snmptrapd xz-utils curl
)
receiver=/usr/local/share/zabbix/zabbix_trap_receiver.pl
zabbix_version=$(apt-cache policy zabbix-server-pgsql 2>/dev/null | sed -n 's/^ *Candidate: *//p')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ -f "$receiver" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-zabbix: missing: ${missing[*]} ${receiver} (run as root, or install them)" >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  policy=/usr/sbin/policy-rc.d
  saved=""
  if [ -e "$policy" ]; then
    saved=$(mktemp)
    cp -a "$policy" "$saved"
  fi
  restore_policy() {
    if [ -n "$saved" ]; then
      cp -a "$saved" "$policy"
      rm -f "$saved"
    else
      rm -f "$policy"
    fi
  }
  trap restore_policy EXIT
  printf '#!/bin/sh\n# temporary (scripts/install-zabbix.sh): start no services\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  echo "install-zabbix: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  restore_policy
  trap - EXIT
  zabbix_version=$(dpkg-query -W -f='${Version}' zabbix-server-pgsql)
fi

if [ ! -f "$receiver" ]; then
  # Debian version "1:6.0.14+dfsg-1+b1" -> source "zabbix_6.0.14+dfsg-1.dsc".
  upstream=${zabbix_version#*:}
  debrev=${upstream##*-}
  debrev=${debrev%%+b*}
  upstream=${upstream%-*}
  pool=http://deb.debian.org/debian/pool/main/z/zabbix
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  curl -fsS -o "$work/src.dsc" "$pool/zabbix_${upstream}-${debrev}.dsc"
  orig="zabbix_${upstream}.orig.tar.xz"
  sum=$(awk -v f="$orig" '/^Checksums-Sha256:/{s=1;next} /^[^ ]/{s=0} s && $3==f {print $1}' "$work/src.dsc")
  [ -n "$sum" ] || { echo "install-zabbix: $orig not listed in the .dsc" >&2; exit 1; }
  curl -fsS -o "$work/$orig" "$pool/$orig"
  echo "$sum  $work/$orig" | sha256sum -c --quiet -
  plain=${upstream%+dfsg}
  tar -xJf "$work/$orig" -C "$work" "zabbix-${plain}/misc/snmptrap/zabbix_trap_receiver.pl"
  install -D -m 0644 "$work/zabbix-${plain}/misc/snmptrap/zabbix_trap_receiver.pl" "$receiver"
  echo "install-zabbix: installed $receiver (Zabbix ${plain} source, Debian pool)"
fi
