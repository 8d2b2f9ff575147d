#!/usr/bin/env bash
# The image's base layer as a tar: Debian minbase of this machine's release (debootstrap from
# the mirror its apt uses) with python3 and its venv module, and the non-root user the service
# runs as. Needs root (debootstrap, chroot).
#
#   base-rootfs.sh OUT.tar
set -euo pipefail
out="$(realpath -m "$1")"
here="$(dirname "$(realpath "${BASH_SOURCE[0]}")")"

# The image's Debian release and user; the Containerfile and entrypoint rely on these.
release="$(. /etc/os-release && echo "$VERSION_CODENAME")"
user=cloudraya uid=10001

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mirror="$("$here/debian-mirror.sh" "$release")"
echo "base-rootfs: debootstrap --variant=minbase $release (python3, python3-venv, ca-certificates)"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$release" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; exit 1; }

env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$rootfs" useradd --system --uid "$uid" --user-group --home-dir /data --no-create-home \
  --shell /usr/sbin/nologin "$user"
install -d -o "$uid" -g "$uid" -m 0750 "$rootfs/data"

# What a running service never reads: package caches and lists, docs, manuals, logs.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log \
  "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old

tar --numeric-owner --sort=name -C "$rootfs" -cf "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "base-rootfs: $out ($(du -h "$out" | cut -f1))"
