#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host side of the ivshmem GGTT-window test: read the file that backed the
guest's ivshmem BAR2 (laid out like an Intel BAR0: 2 MiB of registers, then
2 MiB of GGTT entries), check that the only register written is the TLB
invalidation register GUC_TLB_INV_CR (0xcee8 = 1), and check every 8-byte
entry against what the guest said it bound ("guest: expect FIRST_ENTRY FIRST_PTE COUNT" and
"guest: expect-scratch PTE" lines in its console log; consecutive entries
step by 4 KiB).  Prints "guest: N passed, M failed" like the guest programs.
usage: check_ggtt_window.py BAR_FILE CONSOLE_LOG"""
import re
import struct
import sys

WINDOW = 2 << 20
data = open(sys.argv[1], "rb").read()
log = open(sys.argv[2], errors="replace").read().replace("\r", "")
regs = data[:WINDOW]
entries = struct.unpack("<%dQ" % ((len(data) - WINDOW) // 8), data[WINDOW:])
expect, scratch = {}, None
for first, pte, count in re.findall(r"^guest: expect (\d+) (0x[0-9a-f]+) (\d+)$", log, re.M):
    for k in range(int(count)):
        expect[int(first) + k] = int(pte, 16) + k * 4096
m = re.search(r"^guest: expect-scratch (0x[0-9a-f]+)$", log, re.M)
if m:
    scratch = int(m.group(1), 16)
bad = [(i, e) for i, e in enumerate(entries) if e != expect.get(i, scratch)]
checks = [
    ("the guest said what it bound", bool(expect) and scratch is not None),
    ("file holds 262144 entries after 2 MiB of registers", len(entries) == 262144),
    ("TLB invalidation register 0xcee8 written with 1, no other register",
     len(regs) == WINDOW and struct.unpack_from("<I", regs, 0xcee8)[0] == 1 and
     regs[:0xcee8].count(0) == 0xcee8 and regs[0xcee8 + 4:].count(0) == WINDOW - 0xcee8 - 4),
    ("the %d bound entries hold their pages" % len(expect),
     bool(expect) and all(entries[i] == v for i, v in expect.items())),
    ("every other entry holds scratch",
     scratch is not None and not [b for b in bad if b[0] not in expect]),
]
for what, ok in checks:
    print("guest: %s host: %s" % ("ok  " if ok else "FAIL", what))
if bad:
    print("guest: host: first wrong entries: " + ", ".join("%d=0x%x" % b for b in bad[:4]))
passed = sum(ok for _, ok in checks)
print("guest: %d passed, %d failed" % (passed, len(checks) - passed))
