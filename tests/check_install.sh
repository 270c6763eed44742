#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed library: files, soname, export list of the .so and the .a,
# and out-of-tree builds of examples/hello.c through pkg-config: shared,
# static, static next to a driver's own util functions, and as C++.
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
[[ $soname == libgtt.so.1 ]] || fail "soname is '$soname', want libgtt.so.1"

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

# The static archive defines the same global symbols, and nothing else:
# its internals were made local when it was built (meson.build).
nm -g --defined-only "$lib/libgtt.a" | awk 'NF == 3 {print $3}' | sort -u > "$dest/archived"
grep -v '^gtt_' "$dest/archived" > "$dest/stray" || true
[[ ! -s $dest/stray ]] || fail "libgtt.a defines non-gtt_ globals: $(tr '\n' ' ' < "$dest/stray")"
cmp -s "$dest/archived" "$dest/exported" ||
	fail "libgtt.a and libgtt.so differ: $(diff "$dest/archived" "$dest/exported" | grep '^[<>]' | tr '\n' ' ')"

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
# Statically, into a driver whose own util code uses names libgtt has
# inside (mem_alloc, set_error, avl_insert): it links and both halves run.
cat > "$dest/driver.c" <<'DRIVER'
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gtt/gtt.h>

int hello_main(void);

static int calls;

void *mem_alloc(size_t size) { calls++; return malloc(size); }
int set_error(const char *what) { calls++; return what ? -1 : 0; }
void avl_insert(void *tree, void *node) { calls++; (void)tree, (void)node; }

int main(void)
{
	struct gtt_vm *vm;

	free(mem_alloc(16));
	set_error("driver");
	avl_insert(NULL, NULL);
	/* libgtt reports through its own set_error, not the driver's. */
	if (gtt_vm_create(NULL, &vm) != -EINVAL || !strstr(gtt_last_error(), "gtt_vm_create") ||
	    calls != 3) {
		fprintf(stderr, "driver: calls %d, last error '%s'\n", calls, gtt_last_error());
		return 1;
	}
	return hello_main();
}
DRIVER
cc -std=gnu11 -Wall -Werror -Dmain=hello_main -c "$src/examples/hello.c" -o "$dest/hello.o" \
	$(pkg-config --cflags gtt) || fail "hello.c as hello_main() did not build"
cc -std=gnu11 -Wall -Werror "$dest/driver.c" "$dest/hello.o" -o "$dest/driver" \
	$(pkg-config --cflags gtt) "$lib/libgtt.a" $(pkg-config --static --libs gtt | sed 's/-lgtt\b//') ||
	fail "static link of libgtt.a with a driver's own mem_alloc/set_error/avl_insert failed"
"$dest/driver" > "$dest/out" || fail "driver with its own util functions failed: $(cat "$dest/out")"
grep -q "unbind fence signalled" "$dest/out" || fail "driver printed: $(cat "$dest/out")"

# A C++ consumer: hello.c compiled as C++ against the installed headers.
cxx=skipped
if command -v g++ >/dev/null; then
	g++ -x c++ -Wall -Wextra -Wno-missing-field-initializers -Werror "$src/examples/hello.c" \
		-x none -o "$dest/hello-cxx" $(pkg-config --cflags --libs gtt) ||
		fail "hello.c as C++ did not build"
	LD_LIBRARY_PATH=$lib "$dest/hello-cxx" > "$dest/out" || fail "C++ hello failed"
	grep -q "unbind fence signalled" "$dest/out" || fail "C++ hello printed: $(cat "$dest/out")"
	cxx=ran
fi

echo "check_install: $(wc -l < "$dest/exported") exported symbols, all gtt_ and declared, the same in libgtt.a;" \
	"hello built via pkg-config (shared, static, static with a driver's own util names) and ran; C++ hello: $cxx"
