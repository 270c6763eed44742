#!/usr/bin/env bash
# Run the tests that need a real Linux kernel inside a small QEMU guest
# (TCG: no /dev/kvm needed): a Debian guest kernel fetched with
# `apt-get download`, a busybox initramfs, the kernel modules the tests
# need, and statically linked test programs built against libgtt.a.
#   scripts/guest-test.sh [BUILD_DIR]     (default: build; must be built)
# Each guest program prints "guest: N passed, M failed"; the script exits
# non-zero unless both ran and neither failed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=build-guest
mkdir -p "$work"

scripts/setup.sh --guest >/dev/null

# --- guest kernel (cached in build-guest/kernel) ---
if [[ ! -d $work/kernel/lib/modules ]]; then
	pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
	      cut -d' ' -f1 | sort -V | tail -1)
	[[ -n $pkg ]] || { echo "guest: no linux-image-6.1.0-*-amd64 package known to apt" >&2; exit 2; }
	echo "guest: fetching $pkg"
	rm -rf "$work/kernel" "$work"/*.deb
	(cd "$work" && apt-get -o APT::Sandbox::User=root download "$pkg" >/dev/null)
	dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
	rm -f "$work"/*.deb
fi
kver=$(ls "$work/kernel/lib/modules" | head -1)
vmlinuz=$work/kernel/boot/vmlinuz-$kver
[[ -f $work/kernel/lib/modules/$kver/modules.dep ]] || depmod -b "$work/kernel" "$kver"

# --- initramfs ---
root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,mods}
cp /bin/busybox "$root/bin/"
for app in sh mount insmod poweroff sleep cat echo ls basename readlink; do
	ln -s busybox "$root/bin/$app"
done
n=0
mods=$(for m in vgem vfio_iommu_type1 vfio-pci; do
	modprobe -d "$PWD/$work/kernel" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++')
for ko in $mods; do
	n=$((n + 1))
	dst=$root/mods/$(printf '%02d' $n)-$(basename "$ko" | sed 's/\.ko.*//').ko
	case $ko in
	*.xz) xz -dc "$ko" > "$dst" ;;
	*.zst) zstd -qdc "$ko" > "$dst" ;;
	*) cp "$ko" "$dst" ;;
	esac
done
for prog in sync_in_guest vfio_in_guest; do
	cc -static -O2 -std=gnu11 -Wall -Werror "tests/guest/$prog.c" -Iinclude -Ibackends -Ilib \
		$(pkg-config --cflags libdrm) "$build/libgtt.a" \
		$(pkg-config --static --libs liburcu-bp libdrm) -lpthread \
		-o "$root/$prog" 2>&1 | grep -v "statically linked applications" || true
	[[ -x $root/$prog ]] || { echo "guest: $prog did not build" >&2; exit 1; }
done
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /mods/*.ko; do insmod "$m" || echo "guest: insmod $m failed"; done
/sync_in_guest
# Bind the pci-testdev (1b36:0005) to vfio-pci and test VFIO on its group.
group=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat $d/vendor)" = 0x1b36 ] && [ "$(cat $d/device)" = 0x0005 ]; then
		echo vfio-pci > $d/driver_override
		echo $(basename $d) > /sys/bus/pci/drivers_probe
		group=$(basename $(readlink $d/iommu_group))
	fi
done
/vfio_in_guest $group
echo "guest: done"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

# --- boot ---
start=$(date +%s)
timeout 180 qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 2 -m 512 \
	-device intel-iommu,caching-mode=on -device pci-testdev \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 intel_iommu=on panic=-1 quiet" \
	-nographic -no-reboot -nodefaults -serial stdio </dev/null > "$work/console.log" 2>&1 || true
tr -d '\r' < "$work/console.log" | grep '^guest:' || true
echo "guest: kernel $kver, $(( $(date +%s) - start )) s from boot to power-off"
# Pass only on the programs' own verdicts: each ran checks, none failed.
verdicts=$(tr -d '\r' < "$work/console.log" | grep -cE '^guest: [0-9]+ passed, [0-9]+ failed$' || true)
good=$(tr -d '\r' < "$work/console.log" | grep -cE '^guest: [1-9][0-9]* passed, 0 failed$' || true)
[[ $verdicts -eq 2 && $good -eq 2 ]]

