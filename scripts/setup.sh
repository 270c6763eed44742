#!/usr/bin/env bash
# Install the Debian packages libgtt needs to build and test, if missing.
# Non-interactive; does nothing when everything is present.
#   scripts/setup.sh [--test] [--guest] [--check]
#     --test: also what scripts/test.sh needs beyond the build (clang for the
#     release build with a second compiler and the fuzzer);
#     --guest: also what the QEMU guest tests need; --check: only report
set -euo pipefail

PACKAGES=(gcc libc6-dev meson ninja-build pkg-config
          libasan8 libubsan1 libtsan2
          libdrm-dev libpciaccess-dev liburcu-dev libcmocka-dev libpng-dev)
# --guest: what scripts/guest-test.sh needs to boot a QEMU guest (zlib1g-dev:
# the static guest programs link libpciaccess.a, which needs libz.a) and
# what scripts/guest-kernel.sh needs to build its kernel: the source
# (a tarball in /usr/src) and the kernel's build tools (libelf-dev for
# objtool; linux-source only recommends them)
GUEST_PACKAGES=(qemu-system-x86 busybox-static cpio kmod xz-utils zstd zlib1g-dev
                linux-source-6.12 make bc bison flex libelf-dev)
TEST_PACKAGES=(clang libclang-rt-14-dev)
check=false
for arg in "$@"; do
	case $arg in
	--test) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
	--guest) PACKAGES+=("${GUEST_PACKAGES[@]}") ;;
	--check) check=true ;;
	*) echo "usage: scripts/setup.sh [--test] [--guest] [--check]" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	echo "setup: all build dependencies are installed"
	exit 0
fi
echo "setup: missing: ${missing[*]}"
if $check; then
	exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	echo "setup: not root and no sudo; run as root:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup: apt-get update"
"${SUDO[@]}" apt-get update -qq
echo "setup: apt-get install ${missing[*]}"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
