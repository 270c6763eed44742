#!/usr/bin/env bash
# Linux uAPI headers newer than Debian 12's linux-libc-dev (6.1), for the
# two things that need them: compiling and testing the VFIO cdev + iommufd
# flow (backends/vfio/vfio_iommufd.c), which needs <linux/iommufd.h> and
# VFIO_DEVICE_BIND_IOMMUFD (Linux >= 6.6), and the xe VM_BIND backend
# (backends/xe/), which needs <drm/xe_drm.h> (Linux >= 6.8; neither
# linux-libc-dev 6.1 nor libdrm 2.4.114 has it).  Takes linux/vfio.h,
# linux/iommufd.h and drm/xe_drm.h from Debian's linux-headers-6.12.*-common
# package (fetched with `apt-get download`, nothing installed) into
# DIR/include.  xe_drm.h includes "drm.h" from its own folder, which
# includes "drm_mode.h": both come from the same package and sit next to it
# (this machine's linux-libc-dev has no drm/ folder; libdrm's drm.h is
# older), so the three agree.
# The build using them adds -D__user= (what `make headers_install` strips).
#   scripts/uapi-headers.sh [DIR]       (default: build-uapi)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-uapi}
[[ -f $dir/include/linux/iommufd.h && -f $dir/include/linux/vfio.h &&
   -f $dir/include/drm/xe_drm.h && -f $dir/include/drm/drm_mode.h ]] && exit 0
rm -rf "$dir"
mkdir -p "$dir/include/linux" "$dir/include/drm"
pkg=$(scripts/fetch-deb.sh '^linux-headers-6\.12\.[0-9]+\+deb12-common$' "$dir/tmp")
src=$(echo "$dir"/tmp/usr/src/linux-headers-*/include/uapi)
cp "$src/linux/vfio.h" "$src/linux/iommufd.h" "$dir/include/linux/"
cp "$src/drm/xe_drm.h" "$src/drm/drm.h" "$src/drm/drm_mode.h" "$dir/include/drm/"
rm -rf "$dir/tmp"
echo "uapi: linux/vfio.h, linux/iommufd.h, drm/xe_drm.h, drm.h, drm_mode.h from $pkg in $dir/include"
