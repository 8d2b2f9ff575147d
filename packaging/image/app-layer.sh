#!/usr/bin/env bash
# The image's service layer as a tar: a virtualenv at /opt/cloudraya with the project's wheel
# and its dependencies installed offline from WHEELHOUSE (made on the build machine, whose
# Debian release and Python match the base), plus the entrypoint. Needs root (chroot).
#
#   app-layer.sh BASE.tar WHEELHOUSE OUT.tar
set -euo pipefail
base="$(realpath "$1")" wheelhouse="$(realpath "$2")" out="$(realpath -m "$3")"
here="$(dirname "$(realpath "${BASH_SOURCE[0]}")")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir "$rootfs"
tar --numeric-owner -C "$rootfs" -xf "$base"
cp -r "$wheelhouse" "$rootfs/tmp/wheelhouse"

# The build machine's environment (PIP_* settings, its PATH) stays outside the image.
in_rootfs() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root chroot "$rootfs" "$@"; }
in_rootfs python3 -m venv /opt/cloudraya
in_rootfs /opt/cloudraya/bin/pip install --quiet --disable-pip-version-check \
  --no-index --no-cache-dir --find-links /tmp/wheelhouse cloudraya
install -D -m 0755 "$here/entrypoint.sh" "$rootfs/usr/local/bin/cloudraya-entrypoint"

tar --numeric-owner --sort=name -C "$rootfs" -cf "$out.tmp" opt/cloudraya usr/local/bin/cloudraya-entrypoint
mv -f "$out.tmp" "$out"
echo "app-layer: $out ($(du -h "$out" | cut -f1))"
