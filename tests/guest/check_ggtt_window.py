#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host side of the ivshmem GGTT-window test: read the file that backed the
guest's ivshmem BAR2 and check every 8-byte entry the guest's GGTT code
wrote (gen12 format: present bit 0, LM bit 1, address in 45:12).
Prints "guest: N passed, M failed" like the guest programs."""
import struct
import sys

data = open(sys.argv[1], "rb").read()
entries = struct.unpack("<%dQ" % (len(data) // 8), data)
scratch = 0xfee00000 | 1
expect = {}
for i in range(16):
    expect[16 + i] = (0x100000000 + i * 4096) | 1
for i in range(8):
    expect[1000 + i] = (0x200000000 + i * 4096) | 3
bad = [(i, e) for i, e in enumerate(entries) if e != expect.get(i, scratch)]
checks = [
    ("file holds 524288 entries", len(entries) == 524288),
    ("the 24 bound entries hold their pages", all(entries[i] == v for i, v in expect.items())),
    ("every other entry holds scratch", not [b for b in bad if b[0] not in expect]),
]
for what, ok in checks:
    print("guest: %s host: %s" % ("ok  " if ok else "FAIL", what))
if bad:
    print("guest: host: first wrong entries: " +
          ", ".join("%d=0x%x" % b for b in bad[:4]))
passed = sum(ok for _, ok in checks)
print("guest: %d passed, %d failed" % (passed, len(checks) - passed))
