#!/usr/bin/env bash
# Build Linux's drm_mm in userspace, as a benchmark baseline for the range
# allocator (bench/bench-alloc --drm-mm LIB).  Takes drivers/gpu/drm/drm_mm.c,
# include/drm/drm_mm.h and the rbtree (lib/rbtree.c and its headers) from
# Debian's linux-source-6.12 (the installed /usr/src tarball, or else the
# package fetched with apt-get download, nothing installed), and compiles
# them with the small shim in scripts/drm-mm-shim/ (kernel macros, list.h,
# and a plain C wrapper) into DIR/libdrm_mm_baseline.so.  The kernel's code
# is GPL-2.0: it is only ever built here, for measuring, and never linked
# into libgtt.
#   scripts/drm-mm-baseline.sh DIR     prints the library's path;
#                                      exit 2 if the source cannot be had
set -euo pipefail
dir=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
lib=$dir/libdrm_mm_baseline.so
src=$dir/linux-drm-mm
files=(drivers/gpu/drm/drm_mm.c include/drm/drm_mm.h lib/rbtree.c
       include/linux/rbtree.h include/linux/rbtree_types.h
       include/linux/rbtree_augmented.h include/linux/interval_tree_generic.h)

if [[ ! -f $src/drivers/gpu/drm/drm_mm.c ]]; then
	tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -1 || true)
	if [[ -z $tarball ]]; then
		"$here/fetch-deb.sh" '^linux-source-6\.12$' "$dir/deb" >/dev/null ||
			{ echo "drm-mm-baseline: linux-source-6.12 is not available from apt" >&2; exit 2; }
		tarball=$(ls "$dir"/deb/usr/src/linux-source-6.12.tar.* 2>/dev/null | head -1 || true)
		[[ -n $tarball ]] || { echo "drm-mm-baseline: no source tarball in linux-source-6.12" >&2; exit 2; }
	fi
	rm -rf "$src.tmp" && mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1 \
		--wildcards "${files[@]/#/linux-source-6.12/}"
	rm -rf "$dir/deb" "$src" && mv "$src.tmp" "$src"
fi
if [[ ! -f $lib || $lib -ot $here/drm-mm-shim/dmm_wrap.c || $lib -ot $here/drm-mm-shim/kshim.h ]]; then
	# -w: the kernel's code is built as it is, under its own warnings policy.
	(cd "$src" && ${CC:-cc} -O2 -g -fPIC -shared -fvisibility=hidden -w \
		-include "$here/drm-mm-shim/kshim.h" -I"$here/drm-mm-shim/stub" -Iinclude \
		-o "$lib" drivers/gpu/drm/drm_mm.c lib/rbtree.c "$here/drm-mm-shim/dmm_wrap.c")
fi
echo "$lib"
