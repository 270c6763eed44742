#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer, ASan and UBSan.  Needs clang and
# libclang-rt (Debian: clang, libclang-rt-14-dev).  Two targets:
#   model  the vm + page tables against the model (tests/fuzz_model.c)
#   trace  the trace reader and replayer (tests/fuzz_trace.c), seeded
#          with tests/traces/*.trace, tests/trace-seeds/*.trace and small
#          traces from scripts/gen-traces.py
#   scripts/fuzz.sh [SECONDS]            the model, default 60 s
#   scripts/fuzz.sh TARGET [SECONDS]     model or trace
# TARGET's corpus lives in build-fuzz/corpus (model) or
# build-fuzz/corpus-trace; a crash leaves crash-* in build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
target=model
if [[ $# -gt 0 && ! "$1" =~ ^[0-9]+$ ]]; then
	target=$1
	shift
fi
secs=${1:-60}
case "$target" in
model) corpus=corpus; args=() ;;
trace) corpus=corpus-trace; args=(-max_len=16384 -timeout=10 -dict=../tests/fuzz_trace.dict) ;;
*)
	echo "fuzz: unknown target '$target' (model or trace)" >&2
	exit 2
	;;
esac
if ! command -v clang >/dev/null; then
	echo "fuzz: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
if [[ ! -f build-fuzz/build.ninja ]]; then
	CC=clang meson setup build-fuzz -Dfuzzer=true -Db_lundef=false \
		-Db_sanitize=address,undefined \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null
fi
ninja -C build-fuzz "tests/fuzz-$target" >/dev/null
mkdir -p "build-fuzz/$corpus"
if [[ "$target" == trace && -z "$(ls -A "build-fuzz/$corpus")" ]]; then
	cp tests/traces/*.trace tests/trace-seeds/*.trace "build-fuzz/$corpus/"
	python3 scripts/gen-traces.py --out build-fuzz/trace-small --scale 0.05 >/dev/null
	for f in build-fuzz/trace-small/*.trace; do
		cp "$f" "build-fuzz/$corpus/small-${f##*/}"
	done
fi
cd build-fuzz
echo "fuzz: running tests/fuzz-$target for ${secs}s"
exec "./tests/fuzz-$target" -max_total_time="$secs" -print_final_stats=1 \
	${args[@]+"${args[@]}"} "$corpus"
