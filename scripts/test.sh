#!/usr/bin/env bash
# Quick start, step 2: run every test.
#   1. the whole suite in a normal (debugoptimized) build,
#   2. the whole suite with AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the whole suite with ThreadSanitizer,
#   4. release builds (-O3, what users build) with gcc and with clang,
#      warnings as errors, build only: optimisation changes what gcc's
#      flow-sensitive warnings (-Wmaybe-uninitialized, ...) see,
#   5. the core alone: every optional part disabled (-Dvfio, -Dpci,
#      -Dsyncobj, -Drcu, -Dsim, -Dtools, -Dpng), its tests, and libgtt.so needing
#      nothing beyond libc,
#   6. a smoke run of every benchmark and tool (tiny sizes), so they keep working,
#   7. 10 s of libFuzzer against the model and 10 s against the trace
#      reader, when clang is installed,
#   8. the VFIO cdev + iommufd flow and the xe VM_BIND backend, built
#      against Linux 6.12 uAPI headers from a Debian package
#      (scripts/uapi-headers.sh) and tested against the fake kernels in
#      tests/test_vfio.c, tests/test_xe*.c and the model's op sequences
#      run through xe (test_model_xe) (Debian 12 has neither iommufd nor
#      xe_drm.h); the xe tests under TSan too,
#   9. the tests that need a real Linux kernel, in a QEMU guest
#      (scripts/guest-test.sh: kernel sync_files from vgem and sw_sync, DRM
#      syncobjs on virtio-gpu, VFIO through the group and through iommufd,
#      DMA through an emulated Intel IOMMU, gttctl on a vfio-pci device),
#      on a Linux 6.12 built from Debian's source package with iommufd
#      (scripts/guest-kernel.sh: several minutes the first time, then
#      cached in ~/.cache/libgtt).
# Every build is configured with -Dwerror=true (the default is off, for
# distributions with newer compilers).
# Ends with one line "N passed, N failed".
#   scripts/test.sh [--quick]      --quick: only step 1
set -uo pipefail
cd "$(dirname "$0")/.."

# The full run also builds with clang (release build, fuzzer).
if [[ "${1:-}" == "--quick" ]]; then
	scripts/setup.sh || exit 1
else
	scripts/setup.sh --test || exit 1
fi

passed=0
failed=0

# configure BUILD_DIR [meson setup options...]: set up once, warnings as
# errors (a build directory made by hand gets -Dwerror=true too).
configure() {
	local dir=$1
	shift
	if [[ ! -f "$dir/build.ninja" ]]; then
		meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1
	else
		meson configure "$dir" -Dwerror=true >"$dir.setup.log" 2>&1
	fi || { cat "$dir.setup.log"; failed=$((failed + 1)); return 1; }
}

# run_suite NAME BUILD_DIR [meson setup options...]
# $WRAP, if set, prefixes the test run (e.g. to disable ASLR); $TESTS, if
# set, names the tests to run (default: all).
run_suite() {
	local name=$1 dir=$2
	shift 2
	echo "=== $name ($dir) ==="
	configure "$dir" "$@" || return
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		cat "$dir.build.log"
		failed=$((failed + 1))
		return
	fi
	local out
	# shellcheck disable=SC2086
	out=$(${WRAP:-} meson test -C "$dir" --print-errorlogs ${TESTS:-} 2>&1)
	echo "$out" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
	local ok fail to
	ok=$(echo "$out" | sed -n 's/^Ok: *\([0-9]*\).*/\1/p')
	fail=$(echo "$out" | sed -n 's/^Fail: *\([0-9]*\).*/\1/p')
	to=$(echo "$out" | sed -n 's/^Timeout: *\([0-9]*\).*/\1/p')
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0} + ${to:-0}))
	if [[ -z "$ok" ]]; then
		echo "$out" | tail -30
		failed=$((failed + 1))
	fi
	if [[ "${fail:-0}" != 0 || "${to:-0}" != 0 ]]; then
		echo "--- failing test output ($dir/meson-logs/testlog.txt) ---"
		grep -E '^\[  (FAILED|ERROR) |^\[   LINE|runtime error|Sanitizer' \
			"$dir/meson-logs/testlog.txt" | head -40
	fi
}

# release_build COMPILER BUILD_DIR: one build-only step, counted once.
release_build() {
	local cc=$1 dir=$2
	echo "=== release build with $cc, warnings as errors ($dir) ==="
	if ! command -v "$cc" >/dev/null; then
		echo "skipped: $cc is not installed"
		return
	fi
	CC=$cc configure "$dir" --buildtype=release || return
	# -k 0: on failure, list every warning in the tree, not just the first file's.
	if ninja -C "$dir" -k 0 >"$dir.build.log" 2>&1; then
		echo "ok   $cc --buildtype=release"
		passed=$((passed + 1))
	else
		echo "FAIL $cc --buildtype=release ($dir.build.log):"
		grep -E ': (error|warning):' "$dir.build.log" | sort -u | head -40
		failed=$((failed + 1))
	fi
}

# The core with every optional part disabled (the tests stay on): it
# builds, the tests that exist there pass (seconds), and libgtt.so needs
# only libc (and libpthread or the dynamic loader, where they are separate).
core_only() {
	run_suite "the core alone, every option disabled" \
		build-core -Dvfio=disabled -Dpci=disabled -Dsyncobj=disabled -Drcu=disabled \
		-Dsim=disabled -Dtools=disabled -Dpng=disabled -Dtests=enabled
	[[ -f build-core/libgtt.so ]] || return
	local extra
	extra=$(readelf -d build-core/libgtt.so | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
		grep -Ev '^(libc|libpthread)\.so\.[0-9]+$|^ld-linux[-a-z0-9_]*\.so\.[0-9]+$')
	if [[ -z $extra ]]; then
		echo "ok   build-core/libgtt.so needs only libc"
		passed=$((passed + 1))
	else
		echo "FAIL build-core/libgtt.so also needs: $extra"
		failed=$((failed + 1))
	fi
}

smoke() {
	echo "=== smoke: benchmarks and demo (build) ==="
	local cmd dmm="" lib
	# Baselines: drm_mm built from Debian's Linux source, Mesa's util_vma_heap
	# from shared/; each bench skips its baseline cleanly when it is absent.
	if lib=$(scripts/drm-mm-baseline.sh build/baselines 2>/dev/null); then
		dmm="--drm-mm $lib"
	fi
	for cmd in "build/examples/gtt-demo --quiet" \
		   "build/examples/gtt-hello" \
		   "build/examples/gtt-driver-heap --quiet --frames 50" \
		   "build/examples/gtt-sparse-residency --quiet" \
		   "build/tools/gtt-dump --platform snb" \
		   "build/tools/gtt-dump --platform lnl --ppgtt --objects 12" \
		   "build/tools/gttctl --mock tgl dump" \
		   "build/tools/gttctl --mock adl --ppgtt bind" \
		   "build/tools/gttctl replay tests/traces/game.trace --compare placement=best,placement=low" \
		   "build/bench/bench-bind --quick" \
		   "build/bench/bench-bind --quick --trace" \
		   "build/bench/bench-itree --quick" \
		   "build/bench/bench-fence --quick" \
		   "build/bench/bench-unbind-latency --quick" \
		   "build/bench/bench-pt --quick" \
		   "build/bench/bench-lookup --quick" \
		   "build/bench/bench-pending-reuse --quick" \
		   "build/bench/bench-queue --quick" \
		   "build/bench/bench-evict --quick" \
		   "build/bench/bench-scale --quick" \
		   "build/bench/bench-alloc --quick $dmm" \
		   "build/bench/bench-vma-heap --quick ../shared/baselines/mesa-util-vma"; do
		if [[ ! -x ${cmd%% *} ]]; then
			continue
		fi
		if $cmd >/tmp/gtt-smoke.log 2>&1; then
			echo "ok   $cmd"
			passed=$((passed + 1))
		else
			echo "FAIL $cmd"
			tail -20 /tmp/gtt-smoke.log
			failed=$((failed + 1))
		fi
	done
}

fuzz_smoke() {
	echo "=== fuzz: 10 s of libFuzzer against the model, 10 s against the trace reader (build-fuzz) ==="
	if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
		echo "skipped: clang and libclang-rt are not installed (scripts/fuzz.sh says how)"
		return
	fi
	if scripts/fuzz.sh model 10 >build-fuzz.log 2>&1 && scripts/fuzz.sh trace 10 >>build-fuzz.log 2>&1; then
		grep -E '^Done|number_of_executed_units' build-fuzz.log
		passed=$((passed + 1))
	else
		tail -30 build-fuzz.log
		failed=$((failed + 1))
	fi
}

iommufd() {
	if ! scripts/uapi-headers.sh build-uapi >build-uapi.log 2>&1; then
		echo "=== iommufd ==="
		cat build-uapi.log
		failed=$((failed + 1))
		return
	fi
	TESTS="test_vfio test_xe test_xe_vm test_model_xe" \
		run_suite "VFIO over iommufd and the xe backend, Linux 6.12 uAPI headers" build-iommufd \
		"-Dc_args=-isystem $PWD/build-uapi/include -D__user="
	# The xe backend completes work from the watcher thread: TSan too.
	WRAP="setarch $(uname -m) -R" TESTS="test_xe test_xe_vm test_model_xe" \
		run_suite "the xe backend, TSan" build-xe-tsan -Db_sanitize=thread -Db_lundef=false \
		"-Dc_args=-isystem $PWD/build-uapi/include -D__user="
}

guest_kernel() {
	local out
	echo "=== guest kernel: Linux 6.12 with iommufd (scripts/guest-kernel.sh) ==="
	if out=$(scripts/guest-kernel.sh 2>build-guest-kernel.log); then
		grep '^guest-kernel: built' build-guest-kernel.log || echo "cached: $out"
		passed=$((passed + 1))
	else
		tail -30 build-guest-kernel.log
		failed=$((failed + 1))
		return 1
	fi
}

guest() {
	echo "=== guest: real-kernel tests in QEMU (build-guest, library of build-iommufd) ==="
	local out n m programs=0 clean=0
	out=$(scripts/guest-test.sh build-iommufd 2>&1) || true
	echo "$out" | grep -E '^guest: (FAIL|info|[0-9]+ passed|kernel)'
	# One verdict line per guest program and the host check; all must pass.
	while read -r n m; do
		programs=$((programs + 1))
		passed=$((passed + n))
		failed=$((failed + m))
		if [[ $n -gt 0 && $m -eq 0 ]]; then
			clean=$((clean + 1))
		fi
	done < <(echo "$out" | sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
	if [[ $programs -lt 7 || $clean -lt 7 ]]; then
		echo "$out" | tail -20
		failed=$((failed + 1))
	fi
}

run_suite "tests" build
if [[ "${1:-}" != "--quick" ]]; then
	# -fno-sanitize-recover: any undefined behaviour aborts the test.
	run_suite "tests, ASan+UBSan" build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all
	# TSan needs a low-entropy address space; ASLR off keeps it working on
	# kernels with large mmap randomisation.
	WRAP="setarch $(uname -m) -R" \
		run_suite "tests, TSan" build-tsan -Db_sanitize=thread -Db_lundef=false
	release_build gcc build-release-gcc
	release_build clang build-release-clang
	core_only
	smoke
	fuzz_smoke
	iommufd
	# Without a kernel there is nothing to boot: the failure above is the verdict.
	guest_kernel && guest
fi

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
