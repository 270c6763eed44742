#!/usr/bin/env bash
# Linux uAPI headers newer than Debian 12's linux-libc-dev (6.1), for the
# one thing that needs them: compiling and testing the VFIO cdev + iommufd
# flow (backends/vfio/vfio_iommufd.c), which needs <linux/iommufd.h> and
# VFIO_DEVICE_BIND_IOMMUFD (Linux >= 6.6).  Takes linux/vfio.h and
# linux/iommufd.h from Debian's linux-headers-6.12.*-common package
# (fetched with `apt-get download`, nothing installed) into DIR/include.
# The build using them adds -D__user= (what `make headers_install` strips).
#   scripts/uapi-headers.sh [DIR]       (default: build-uapi)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-uapi}
[[ -f $dir/include/linux/iommufd.h && -f $dir/include/linux/vfio.h ]] && exit 0
rm -rf "$dir"
mkdir -p "$dir/include/linux"
pkg=$(scripts/fetch-deb.sh '^linux-headers-6\.12\.[0-9]+\+deb12-common$' "$dir/tmp")
src=$(echo "$dir"/tmp/usr/src/linux-headers-*/include/uapi/linux)
cp "$src/vfio.h" "$src/iommufd.h" "$dir/include/linux/"
rm -rf "$dir/tmp"
echo "uapi: linux/vfio.h and linux/iommufd.h from $pkg in $dir/include"
