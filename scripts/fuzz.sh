#!/usr/bin/env bash
# Coverage-guided fuzzing of the vm + page tables against the model
# (tests/model.c) with libFuzzer, ASan and UBSan.  Needs clang and
# libclang-rt (Debian: clang, libclang-rt-14-dev).
#   scripts/fuzz.sh [SECONDS]        default 60
# The corpus lives in build-fuzz/corpus; a crash leaves crash-* there.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
if ! command -v clang >/dev/null; then
	echo "fuzz: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
if [[ ! -f build-fuzz/build.ninja ]]; then
	CC=clang meson setup build-fuzz -Dfuzzer=true -Db_lundef=false \
		-Db_sanitize=address,undefined \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null
fi
ninja -C build-fuzz tests/fuzz-model >/dev/null
mkdir -p build-fuzz/corpus
cd build-fuzz
echo "fuzz: running tests/fuzz-model for ${secs}s"
exec ./tests/fuzz-model -max_total_time="$secs" -print_final_stats=1 corpus
