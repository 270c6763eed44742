#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed library: files, soname, export list, and an out-of-tree
# build of examples/hello.c through pkg-config.
#   tests/check_install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --quiet >/dev/null
prefix=$(meson introspect "$build" --buildoptions |
	 python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
libdir=$(meson introspect "$build" --buildoptions |
	 python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="libdir"))')
root=$dest$prefix
[[ $libdir = /* ]] || libdir=$prefix/$libdir
lib=$dest$libdir

fail() { echo "check_install: $*" >&2; exit 1; }

for h in "$src"/include/gtt/*.h; do
	[[ -f $root/include/gtt/$(basename "$h") ]] || fail "header $(basename "$h") not installed"
done
[[ -f $lib/libgtt.a ]] || fail "libgtt.a not installed"
[[ -f $lib/pkgconfig/gtt.pc ]] || fail "gtt.pc not installed"
so=$(readlink -f "$lib/libgtt.so")
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname == libgtt.so.0 ]] || fail "soname is '$soname', want libgtt.so.0"

# Exported: exactly the gtt_ functions the headers declare.
nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' | sed 's/@.*//' | sort -u > "$dest/exported"
grep -v '^gtt_' "$dest/exported" > "$dest/stray" || true
[[ ! -s $dest/stray ]] || fail "non-gtt_ symbols exported: $(tr '\n' ' ' < "$dest/stray")"
grep -ho '\bgtt_[a-z0-9_]*(' "$src"/include/gtt/*.h | tr -d '(' | sort -u > "$dest/declared"
comm -23 "$dest/exported" "$dest/declared" > "$dest/undeclared"
[[ ! -s $dest/undeclared ]] || fail "exported but not in a header: $(tr '\n' ' ' < "$dest/undeclared")"
grep -h '^GTT_API' -A3 "$src"/include/gtt/*.h | grep -o '\bgtt_[a-z0-9_]*(' | tr -d '(' | sort -u > "$dest/api"
comm -13 "$dest/exported" "$dest/api" > "$dest/missing"
[[ ! -s $dest/missing ]] || fail "declared GTT_API but not exported: $(tr '\n' ' ' < "$dest/missing")"

# A program built out of tree, the way a user would.
export PKG_CONFIG_PATH=$lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$dest
cc -std=gnu11 -Wall -Werror "$src/examples/hello.c" -o "$dest/hello" \
	$(pkg-config --cflags --libs gtt) || fail "out-of-tree build of hello.c failed"
LD_LIBRARY_PATH=$lib "$dest/hello" > "$dest/out" || fail "installed hello failed"
grep -q "unbind fence signalled" "$dest/out" || fail "hello printed: $(cat "$dest/out")"
# And statically: libgtt.a plus what gtt.pc says it needs privately.
cc -std=gnu11 -Wall -Werror "$src/examples/hello.c" -o "$dest/hello-static" \
	$(pkg-config --cflags gtt) "$lib/libgtt.a" \
	$(pkg-config --static --libs gtt | sed 's/-lgtt\b//') || fail "static link of hello.c failed"
"$dest/hello-static" > "$dest/out" || fail "statically linked hello failed"
grep -q "unbind fence signalled" "$dest/out" || fail "static hello printed: $(cat "$dest/out")"

echo "check_install: $(wc -l < "$dest/exported") exported symbols, all gtt_ and declared; hello built via pkg-config (shared and static) and ran"
