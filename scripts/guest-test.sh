#!/usr/bin/env bash
# Run the tests that need a real Linux kernel inside a small QEMU guest
# (TCG: no /dev/kvm needed): Linux 6.12 built by scripts/guest-kernel.sh
# from Debian's linux-source-6.12 (everything built in, CONFIG_IOMMUFD and
# the VFIO device cdev on, which no Debian kernel has; cached after the
# first build, which takes minutes), a busybox initramfs, and statically
# linked test programs built against libgtt_internal.a (the whole library,
# internals still global: the tests reach them) of BUILD_DIR.
#   scripts/guest-test.sh [BUILD_DIR]     (default: build-iommufd)
# BUILD_DIR must be built against uAPI headers with iommufd (Linux >= 6.6):
# if it is not set up yet, it is set up as scripts/test.sh's iommufd step
# does (scripts/uapi-headers.sh), and the library is built.
# Guest programs: sync_in_guest (vgem and sw_sync sync_files),
# syncobj_in_guest (DRM syncobj import and export on virtio-gpu's render
# node, with vgem and sw_sync fences), gttctl checks (in /init),
# iommufd_in_guest (the cdev + iommufd flow: raw ioctls, libgtt's flow, the
# VFIO backend), vfio_in_guest (VFIO group flow, discovery, the VFIO
# backend on an ivshmem BAR), dma_in_guest (edu DMA through the IOMMU,
# revoked by unmap: through the group flow, then through iommufd).  Each,
# and the host check of the ivshmem file, prints "guest: N passed, M
# failed"; the script exits non-zero unless all seven ran and none failed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-iommufd}
work=build-guest
mkdir -p "$work"

scripts/setup.sh --guest >/dev/null

# --- guest kernel: built once, then cached (scripts/guest-kernel.sh) ---
if ! vmlinuz=$(scripts/guest-kernel.sh); then
	echo "guest: FAIL the guest kernel did not build (scripts/guest-kernel.sh, above)" >&2
	exit 1
fi
kver=$(cat "$(dirname "$vmlinuz")/release")
rm -rf "$work/kernel"		# Debian's kernel and modules, used before

# --- the library, with the iommufd flow compiled in ---
scripts/uapi-headers.sh build-uapi >/dev/null
uapi=(-isystem "$PWD/build-uapi/include" -D__user=)
if ! { [[ -f $build/build.ninja ]] ||
	 meson setup "$build" -Dwerror=true "-Dc_args=${uapi[*]}"; } >"$work/lib.log" 2>&1 ||
   ! ninja -C "$build" libgtt_internal.a >>"$work/lib.log" 2>&1; then
	tail -20 "$work/lib.log" >&2
	echo "guest: FAIL the library in $build did not build ($work/lib.log)" >&2
	exit 1
fi

# --- initramfs ---
root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys}
cp /bin/busybox "$root/bin/"
for app in sh mount poweroff sleep cat echo ls basename readlink grep cmp; do
	ln -s busybox "$root/bin/$app"
done
for src in tests/guest/sync_in_guest.c tests/guest/syncobj_in_guest.c tests/guest/vfio_in_guest.c \
	   tests/guest/dma_in_guest.c tests/guest/iommufd_in_guest.c tools/gttctl.c \
	   examples/vfio_hello.c; do
	prog=$(basename "$src" .c)
	# gttctl's other parts, as tools/meson.build lists them (built without
	# GTTCTL_HAVE_XE and GTTCTL_HAVE_PNG: its --xe and pictures are stubs).
	extra=()
	[[ $prog == gttctl ]] && mapfile -t extra < <(sed -n "/executable('gttctl'/,/)/p" tools/meson.build |
		grep -o "'gttctl_[a-z0-9_]*\.c'" | tr -d "'" | sed 's|^|tools/|')
	[[ $prog == gttctl && ${#extra[@]} -eq 0 ]] && { echo "guest: no gttctl sources in tools/meson.build" >&2; exit 1; }
	# <linux/iommufd.h> comes from build-uapi (Debian 12's headers are 6.1).
	cc -static -O2 -std=gnu11 -Wall -Werror "$src" "${extra[@]}" -Iinclude -Ilib -I. "${uapi[@]}" \
		$(pkg-config --cflags libdrm) "$build/libgtt_internal.a" \
		$(pkg-config --static --libs liburcu-bp libdrm pciaccess) -lpthread \
		-o "$root/$prog" 2>&1 | grep -v "statically linked applications" || true
	[[ -x $root/$prog ]] || { echo "guest: $prog did not build" >&2; exit 1; }
done
# The archive may be thin: look in a program for the flow's stub.
if grep -qa "built with uAPI headers older than" "$root/iommufd_in_guest"; then
	echo "guest: FAIL $build was built without iommufd (uAPI headers older than Linux 6.6);" \
		"configure it with -Dc_args=\"${uapi[*]}\" or pass another BUILD_DIR" >&2
	exit 1
fi
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
/sync_in_guest
/syncobj_in_guest
# Bind pci-testdev (1b36:0005), the two ivshmem devices (1af4:1110: 00:10.0
# file-backed, 00:11.0 removed by a test), edu (1234:11e8) and the NVMe
# controller (1b36:0010) to vfio-pci.
group=; ivgroup=; ivbdf=; tbdf=; edugroup=; edubdf=; nvgroup=; nvbdf=; iv2group=; iv2bdf=
for d in /sys/bus/pci/devices/*; do
	id="$(cat $d/vendor):$(cat $d/device)"
	case $id in
	0x1b36:0x0005|0x1af4:0x1110|0x1234:0x11e8|0x1b36:0x0010)
		echo vfio-pci > $d/driver_override
		echo $(basename $d) > /sys/bus/pci/drivers_probe
		g=$(basename $(readlink $d/iommu_group))
		case $id in
		0x1b36:0x0005) group=$g; tbdf=$(basename $d) ;;
		0x1af4:0x1110)
			if [ -z "$ivbdf" ]; then ivgroup=$g; ivbdf=$(basename $d)
			else iv2group=$g; iv2bdf=$(basename $d); fi ;;
		0x1b36:0x0010) nvgroup=$g; nvbdf=$(basename $d) ;;
		*) edugroup=$g; edubdf=$(basename $d) ;;
		esac
		;;
	esac
done
# gttctl and gtt-vfio-hello on the real VFIO stack, before vfio_in_guest
# leaves its final state in the ivshmem BAR for the host: BAR2 as
# registers + GGTT window.
pass=0; fail=0
t() {
	if eval "$2"; then pass=$((pass + 1)); echo "guest: ok   tools: $1"
	else fail=$((fail + 1)); echo "guest: FAIL tools: $1"; fi
}
prof="--vfio $ivbdf --profile 2:0x200000:0x200000:tgl"
t "list --all: ivshmem on vfio-pci, ready" \
	'/gttctl list --all | grep -q "^$ivbdf  *1af4:1110 .*vfio-pci  *$ivgroup  ready"'
t "info: driver and IOMMU group" \
	'/gttctl info $ivbdf > /i.txt && grep -q "driver       vfio-pci" /i.txt && grep -q "IOMMU group  $ivgroup" /i.txt'
t "bind through VFIO: 8 entries read back from the BAR" \
	'/gttctl $prof --pages 8 bind 0x10000 | grep -q "^8/8 entries read back as written"'
t "info: the device's VFIO cdev" \
	'/gttctl info $ivbdf | grep -q "^VFIO cdev    /dev/vfio/devices/vfio[0-9]* (--iommufd)"'
t "bind --iommufd: through the cdev and /dev/iommu, 8 entries read back" \
	'/gttctl $prof --iommufd --pages 8 bind 0x20000 | grep -q "^8/8 entries read back as written"'
t "bind --ppgtt through VFIO: tables DMA-mapped, 4 entries read back" \
	'/gttctl $prof --ppgtt --pages 4 bind 0x7f0000000000 > /p.txt && grep -q "PPGTT root table at IOVA" /p.txt && grep -q "^4/4 entries" /p.txt'
t "dump (read-only) after the binds: scratch everywhere again" \
	'/gttctl $prof dump > /d1.txt && grep -q "scratch *262144 pages" /d1.txt'
t "dry run touches nothing" \
	'/gttctl $prof --dry-run --pages 4 bind 0x40000 | grep -q "^4/4 entries computed" && /gttctl $prof dump > /d2.txt && cmp -s /d1.txt /d2.txt'
t "dump --json" \
	'/gttctl $prof --json dump 0 0x10000 | grep -q "\"pages\": 16, \"kind\": \"scratch\""'
t "the gtt-vfio-hello example binds through VFIO" \
	'/vfio_hello $ivbdf 2 0x200000 0x200000 tgl | grep -q "^ok$"'
t "dump --raw: scratch entries folded, decoded" \
	'/gttctl $prof --raw dump 0 0x4000 | grep -q "valid addr 0x[0-9a-f]* lm 0 scratch  x 4"'
t "reg read of edu's ID register through its BAR0" \
	'/gttctl reg read $edubdf 0 | grep -q "= 0x010000ed"'
t "reg write then read of edu's liveness register: the device inverts it" \
	'/gttctl reg write $edubdf 4 0x12345678 > /dev/null && /gttctl reg read $edubdf 4 | grep -q "= 0xedcba987"'
t "reg read of edu's config space: vendor and device ID" \
	'/gttctl reg read $edubdf config:0 | grep -q "= 0x11e81234"'
t "reg read past edu's 1 MiB BAR0 is refused" \
	'! /gttctl reg read $edubdf 1M 2> /e.txt && grep -q "outside" /e.txt'
echo "guest: info tools: $(/gttctl reg read $edubdf 0 | head -1)"
echo "guest: info tools: $(/gttctl $prof --raw --pages 1 bind 0x10000 | tail -1)"
t "a device not on vfio-pci is refused with the fix" \
	'! /gttctl --vfio 0000:00:00.0 --profile 0:0:0x1000:tgl dump 2> /e.txt && grep -q "driver_override" /e.txt'
echo "guest: $pass passed, $fail failed"
# The cdev + iommufd flow on pci-testdev; its VFIO backend on the second
# ivshmem, before vfio_in_guest removes that device.
/iommufd_in_guest "$tbdf" "$group" "$iv2bdf"
/vfio_in_guest $group $ivgroup $ivbdf $tbdf $nvgroup $nvbdf $iv2group $iv2bdf
/dma_in_guest $edugroup $edubdf
echo "guest: done"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

# --- boot (about 15 s; a guest that hangs is stopped after 100 s, which
# keeps the whole script under two minutes once the kernel is built) ---
rm -f "$work/ivshmem.bin"
start=$(date +%s)
# One host thread for both vCPUs (thread=single): with a thread per vCPU,
# Linux 6.12's boot-time code patching (int3 breakpoints while another CPU
# runs the site) sometimes oopses under TCG; single-threaded TCG keeps the
# two CPUs coherent, and is no slower for this small guest.
timeout 100 qemu-system-x86_64 -machine q35 -accel tcg,thread=single -cpu max -smp 2 -m 512 \
	-device intel-iommu,caching-mode=on -device pci-testdev \
	-object memory-backend-file,id=hostmem,share=on,mem-path="$work/ivshmem.bin",size=4M \
	-device ivshmem-plain,memdev=hostmem,addr=0x10 \
	-object memory-backend-ram,id=ram2,share=on,size=4M -device ivshmem-plain,memdev=ram2,addr=0x11 \
	-device edu -device nvme,serial=gtt0 -device virtio-gpu-pci \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 intel_iommu=on panic=-1 quiet" \
	-nographic -no-reboot -nodefaults -serial stdio </dev/null > "$work/console.log" 2>&1 || true
tr -d '\r' < "$work/console.log" | grep '^guest:' || true
echo "guest: kernel $kver, $(( $(date +%s) - start )) s from boot to power-off"
# The host checks what the guest wrote into the ivshmem BAR.
if [[ -f $work/ivshmem.bin ]]; then
	python3 tests/guest/check_ggtt_window.py "$work/ivshmem.bin" "$work/console.log" \
		> "$work/host.log"
	cat "$work/host.log" >> "$work/console.log"
	grep '^guest: .*host' "$work/console.log" || true
	tail -1 "$work/console.log"
fi
# Pass only on the programs' own verdicts: each ran checks, none failed.
verdicts=$(tr -d '\r' < "$work/console.log" | grep -cE '^guest: [0-9]+ passed, [0-9]+ failed$' || true)
good=$(tr -d '\r' < "$work/console.log" | grep -cE '^guest: [1-9][0-9]* passed, 0 failed$' || true)
[[ $verdicts -eq 7 && $good -eq 7 ]]

