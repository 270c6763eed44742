#!/usr/bin/env bash
# Build the QEMU guest's kernel: Linux 6.12 from Debian's linux-source-6.12
# package (installed by scripts/setup.sh --guest), configured from
# `make allnoconfig` plus exactly what scripts/guest-test.sh needs, all of
# it built in (no modules, no initramfs modules to load).  Debian's own
# kernels leave CONFIG_IOMMUFD off; this one has it, with the VFIO device
# cdev, next to the legacy VFIO container and type1.
#   scripts/guest-kernel.sh          prints the path of the bzImage
# The image is cached per source package version and configuration (a
# hash of the option list below and of the make flags) in
#   ${XDG_CACHE_HOME:-~/.cache}/libgtt/guest-kernel/VERSION-HASH/
# with its .config and kernel release; later runs print the cached path
# at once.  A cold build needs about 9 minutes of CPU time (1,250 C files):
# 17 and 19 minutes on a 2-core machine that other builds were sharing,
# most of it make -j2.  Any failure (missing package, a Kconfig option that did
# not stick, no disk space, a compile error) exits non-zero with the end
# of the build log; nothing half-built is ever cached.
# Environment: GUEST_KERNEL_JOBS (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
jobs=${GUEST_KERNEL_JOBS:-$(nproc)}
make_flags=(ARCH=x86_64 LOCALVERSION=-libgtt KBUILD_BUILD_USER=libgtt KBUILD_BUILD_HOST=guest)

# What the guest needs, beyond allnoconfig; each must read "=y" in the
# final .config, or the build stops (a dependency we missed).
OPTIONS=(
	# the machine: q35 under TCG, 2 CPUs, ACPI (DMAR tables, power off)
	64BIT SMP ACPI X86_LOCAL_APIC X86_IO_APIC X86_X2APIC PCI PCI_MSI PCI_MMCONFIG
	# the serial console and a busybox initramfs with a shell script as /init
	TTY SERIAL_8250 SERIAL_8250_CONSOLE PRINTK BLK_DEV_INITRD RD_GZIP
	BINFMT_ELF BINFMT_SCRIPT DEVTMPFS PROC_FS SYSFS TMPFS SHMEM MULTIUSER
	# what the static test programs call: threads, eventfd (VFIO's
	# request IRQ), poll, timers, memfd
	FUTEX EPOLL EVENTFD SIGNALFD TIMERFD POSIX_TIMERS ADVISE_SYSCALLS MEMFD_CREATE
	# the emulated Intel IOMMU, with interrupt remapping (x2APIC)
	IOMMU_SUPPORT INTEL_IOMMU IRQ_REMAP
	# VFIO both ways: group + container + type1, and device cdev + iommufd
	VFIO VFIO_GROUP VFIO_CONTAINER VFIO_IOMMU_TYPE1 VFIO_PCI_CORE VFIO_PCI
	VFIO_PCI_MMAP VFIO_PCI_INTX IOMMUFD VFIO_DEVICE_CDEV
	# vgem and virtio-gpu (sync_files, syncobjs), sw_sync in debugfs
	VIRTIO_MENU VIRTIO_PCI DRM DRM_VGEM DRM_VIRTIO_GPU DMA_SHARED_BUFFER
	SYNC_FILE DEBUG_FS SW_SYNC
)
# Off: no module support at all, no speculation mitigations (a test guest;
# objtool has less to do), and iommufd's emulation of /dev/vfio/vfio (the
# real container is what the group flow is tested against).
OFF=(MODULES CPU_MITIGATIONS IOMMUFD_VFIO_CONTAINER)

die() { echo "guest-kernel: $*" >&2; exit 1; }

scripts/setup.sh --guest >&2		# the source package and the build tools
[[ -f $tarball ]] || die "$tarball is missing: run scripts/setup.sh --guest (package $pkg)"
version=$(dpkg-query -W -f='${Version}' "$pkg")
hash=$( { printf '%s\n' "${OPTIONS[@]}" -- "${OFF[@]}" -- "${make_flags[@]}"; } |
	sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/libgtt/guest-kernel
out=$cache/$version-$hash
if [[ -f $out/bzImage && -f $out/release ]]; then
	echo "$out/bzImage"
	exit 0
fi

mkdir -p "$cache"
# The unpacked source (about 1.5 GB) and the objects (about 0.3 GB).
avail=$(df -Pk "$cache" | awk 'NR == 2 {print $4}')
[[ $avail -ge $((3 * 1024 * 1024)) ]] ||
	die "only $((avail / 1024)) MiB free in $cache; the build needs 3 GiB"
work=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$cache/build-$version-$hash.log
: > "$log"
step() {
	echo "guest-kernel: $1" >&2
	shift
	if ! "$@" >>"$log" 2>&1; then
		tail -40 "$log" >&2
		die "failed: $* (log: $log)"
	fi
}
start=$(date +%s)
step "unpacking $tarball ($pkg $version)" tar -xf "$tarball" -C "$work"
src=$work/$pkg
kmake() { make -C "$src" "${make_flags[@]}" "$@"; }
step "configuring (allnoconfig + ${#OPTIONS[@]} options)" kmake allnoconfig
args=()
for o in "${OPTIONS[@]}"; do args+=(--enable "$o"); done
for o in "${OFF[@]}"; do args+=(--disable "$o"); done
step "setting the options" "$src/scripts/config" --file "$src/.config" "${args[@]}"
step "resolving dependencies" kmake olddefconfig
missing=()
for o in "${OPTIONS[@]}"; do
	grep -qx "CONFIG_$o=y" "$src/.config" || missing+=("$o")
done
for o in "${OFF[@]}"; do
	grep -q "^CONFIG_$o=" "$src/.config" && missing+=("!$o")
done
[[ ${#missing[@]} -eq 0 ]] ||
	die "options that did not stick in .config (a dependency is off): ${missing[*]}"
step "building bzImage with -j$jobs (log: $log)" kmake -j"$jobs" bzImage
mkdir -p "$work/out"
cp "$src/arch/x86/boot/bzImage" "$src/.config" "$work/out/"
kmake -s kernelrelease > "$work/out/release"
rm -rf "$out"
mv "$work/out" "$out"
echo "guest-kernel: built $(cat "$out/release") in $(( $(date +%s) - start )) s: $out/bzImage" >&2
echo "$out/bzImage"
