#!/usr/bin/env bash
# Print the Debian mirror this machine's apt uses for RELEASE (its main archive, not security),
# read from the apt sources at run time: deb822 `.sources` files and one-line `.list` files.
#
#   debian-mirror.sh RELEASE
set -euo pipefail
release="$1"

shopt -s nullglob
mirror="$(
  for file in /etc/apt/sources.list.d/*.sources; do cat "$file"; echo; done | awk -v rel="$release" '
    function check() { if (!found && uri != "" && suites ~ ("(^| )" rel "( |$)")) found = uri }
    /^[ \t]*$/ { check(); uri = ""; suites = ""; next }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { $1 = ""; suites = $0; sub(/^ /, "", suites) }
    END { check(); print found }'
)"
if [[ -z "$mirror" ]]; then
  one_line="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)"
  mirror="$(
    printf '%s\n' "$one_line" | awk -v rel="$release" '
      $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == rel) { print $i; exit } }'
  )"
fi
[[ -n "$mirror" ]] || { echo "debian-mirror: no apt source for $release in /etc/apt" >&2; exit 1; }
printf '%s\n' "$mirror"
