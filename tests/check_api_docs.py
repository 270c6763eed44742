#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every GTT_API declaration in include/gtt/ must be preceded by a
kernel-doc style comment that names it ("/** name() - ..." or a comment
block ending right above it).  Exits non-zero listing the offenders."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
bad, total = [], 0
for header in sorted((root / "include" / "gtt").glob("*.h")):
    text = header.read_text()
    for m in re.finditer(r"^GTT_API\b[^;(]*?\b(gtt_\w+)\s*\(", text, re.M):
        total += 1
        name = m.group(1)
        before = text[: m.start()].rstrip()
        if not before.endswith("*/"):
            bad.append(f"{header.name}: {name}: no comment right above")
            continue
        comment = before[before.rfind("/**"):]
        if name + "()" not in comment:
            bad.append(f"{header.name}: {name}: comment does not name {name}()")
for b in bad:
    print(b)
print(f"{total - len(bad)} of {total} public functions documented")
sys.exit(1 if bad or total == 0 else 0)
