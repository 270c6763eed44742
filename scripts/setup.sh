#!/usr/bin/env bash
# Install the Debian packages libgtt needs to build and test, if missing.
# Non-interactive; does nothing when everything is present.
#   scripts/setup.sh [--guest] [--check]
#     --guest: also what the QEMU guest tests need; --check: only report
set -euo pipefail

PACKAGES=(gcc libc6-dev meson ninja-build pkg-config
          libasan8 libubsan1 libtsan2
          libdrm-dev libpciaccess-dev liburcu-dev libcmocka-dev)
# --guest: what scripts/guest-test.sh needs to boot a QEMU guest (zlib1g-dev:
# the static guest programs link libpciaccess.a, which needs libz.a)
GUEST_PACKAGES=(qemu-system-x86 busybox-static cpio kmod xz-utils zstd zlib1g-dev)
if [[ "${1:-}" == "--guest" ]]; then
	PACKAGES+=("${GUEST_PACKAGES[@]}")
	shift
fi

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
if [[ "${1:-}" == "--check" ]]; then
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
