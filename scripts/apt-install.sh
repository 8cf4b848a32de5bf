#!/usr/bin/env bash
# apt-install.sh PACKAGE... : install Debian packages that are not installed yet (one apt-get update per run).
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "apt-install: need root to install: ${missing[*]}" >&2
  exit 1
fi
stamp=/tmp/.safepassage-apt-updated
[ -e "$stamp" ] || { apt-get update -qq && touch "$stamp"; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
