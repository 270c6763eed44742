#!/usr/bin/env bash
# Unpack the newest Debian package whose name matches REGEX into DIR,
# without installing it: `apt-get download` of the highest version
# (sort -V) that `apt-cache search --names-only REGEX` lists, then
# `dpkg-deb -x`.  Prints the package name.  Used for the QEMU guest
# kernel, the newer uAPI headers and the kernel's PCI ID headers.
#   scripts/fetch-deb.sh REGEX DIR      exit 2 if apt knows no such package
set -euo pipefail
regex=$1 dir=$2
pkg=$(apt-cache search --names-only "$regex" | cut -d' ' -f1 | sort -V | tail -1)
[[ -n $pkg ]] || { echo "fetch-deb: no package matching $regex known to apt" >&2; exit 2; }
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get -o APT::Sandbox::User=root download "$pkg" >/dev/null)
dpkg-deb -x "$tmp"/*.deb "$dir"
echo "$pkg"
