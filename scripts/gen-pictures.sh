#!/usr/bin/env bash
# Draw the pictures of docs/replay.md: tests/traces/compute.trace (from
# scripts/gen-traces.py) replayed with best-fit and with lowest-address
# placement, its address space over time (docs/pictures/compute-map.png,
# the two runs side by side) and its fragmentation figures
# (compute-plot.png, a curve per run).  Needs a gttctl built with libpng
# (-Dpng).
#   scripts/gen-pictures.sh [BUILD_DIR]      default: build
set -euo pipefail
cd "$(dirname "$0")/.."
gttctl=${1:-build}/tools/gttctl
if [[ ! -x $gttctl ]]; then
	echo "gen-pictures: $gttctl is not built (meson setup build && ninja -C build)" >&2
	exit 2
fi
mkdir -p docs/pictures
"$gttctl" replay tests/traces/compute.trace --compare placement=best,placement=low \
	--map docs/pictures/compute-map.png --map-width 512 \
	--plot docs/pictures/compute-plot.png >/dev/null
