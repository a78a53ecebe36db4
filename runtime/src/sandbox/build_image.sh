#!/usr/bin/env bash
# Build the image pipec/NAME from Debian packages, with no registry: resolve the packages'
# dependency closure against an empty dpkg status, `apt-get download` it, unpack each package with
# `dpkg-deb -x`, add busybox applet links, a passwd file and /tmp, pack the tree reproducibly and
# `docker import` it. Usage: build_image.sh NAME PACKAGE...
set -euo pipefail
name=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-cache show "$1" >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
fi
closure=$(apt-get -s -o Dir::State::status=/dev/null install --no-install-recommends "$@" | awk '/^Inst /{print $2}')
# shellcheck disable=SC2086
apt-get download -qq $closure >/dev/null 2>&1
mkdir rootfs
for deb in *.deb; do dpkg-deb -x "$deb" rootfs; done
if [ -x rootfs/bin/busybox ]; then
  for applet in $(rootfs/bin/busybox --list); do
    [ -e "rootfs/bin/$applet" ] || [ -e "rootfs/usr/bin/$applet" ] || ln -s busybox "rootfs/bin/$applet"
  done
fi
mkdir -p rootfs/tmp rootfs/etc rootfs/root rootfs/work
chmod 1777 rootfs/tmp
echo 'root:x:0:0:root:/root:/bin/sh' > rootfs/etc/passwd
echo 'root:x:0:' > rootfs/etc/group
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C rootfs -c . | docker import - "pipec/$name" >/dev/null
echo "pipec/$name: $(echo $closure | wc -w) packages, $(du -sh rootfs | cut -f1)"
