#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, run the demo on the
# mock backend.
#   scripts/bootstrap.sh [BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

scripts/setup.sh
if [[ ! -f "$build/build.ninja" ]]; then
	meson setup "$build"
fi
ninja -C "$build"
echo
exec "$build/examples/gtt-demo"
