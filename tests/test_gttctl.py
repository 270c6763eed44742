#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gttctl end to end: usage and exit codes, list/info against this machine's
/sys/bus/pci, dump and bind on mock tables of several platforms (entries
checked against the platform's encoding), dry runs, errors.
usage: test_gttctl.py PATH_TO_GTTCTL"""
import json
import os
import subprocess
import sys

GTTCTL = sys.argv[1]
failures = []


def run(*args):
    p = subprocess.run([GTTCTL, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run_json(*args):
    rc, out, err = run(*args, "--json")
    if rc != 0:
        print(err, file=sys.stderr)
    return rc, json.loads(out) if out.strip() else None


# --- usage ---
rc, out, _ = run("--help")
check(rc == 0 and all(w in out for w in ("list", "info SLOT", "dump", "bind", "--json",
                                          "--dry-run", "--profile")), "--help lists commands and options")
check(run()[0] == 2, "no command: exit 2")
check(run("frobnicate")[0] == 2, "unknown command: exit 2")
check(run("dump")[0] == 2, "dump without a target: exit 2")
check(run("--mock", "nosuch", "dump")[0] == 2, "unknown platform: exit 2")
check(run("--mock", "tgl", "bind", "0x1001")[0] == 2, "misaligned bind address: exit 2")
check(run("--mock", "tgl", "--pages", "0", "bind")[0] == 2, "zero pages: exit 2")
rc, out, _ = run("--mock", "snb", "--ppgtt", "--pages", "1", "bind", "0x3ff000")
# gen6 PPGTT PTE of DMA 0x100000000: bit 32 folded to bit 4, uncached 01b at 2:1, valid
check(rc == 0 and "pte 0x0000000000000013  ok" in out, "a gen6 PPGTT on the mock: bind and read back")
check(run("--mock", "tgl", "dump", "0", "8G")[0] == 2, "dump past the end of a 4 GiB GGTT: exit 2")
check(run("--vfio", "0000:00:00.0", "--profile", "2:2M:2M", "dump")[0] == 2 and
      run("--vfio", "0000:00:00.0", "--profile", "2:2M:2M:tgl:x", "dump")[0] == 2 and
      run("--vfio", "0000:00:00.0", "--profile", "9:2M:2M:tgl", "dump")[0] == 2 and
      run("--vfio", "0000:00:00.0", "--profile", "2:2M:2M:nosuch", "dump")[0] == 2,
      "a malformed --profile: exit 2, before the device is looked at")
rc, _, err = run("--vfio", "ffff:ff:1f.7", "dump")
check(rc == 1 and ("ffff:ff:1f.7" in err or not os.path.isdir("/sys/bus/pci")),
      "a missing device: exit 1, named in the message")

# --- list and info against sysfs ---
sysfs = "/sys/bus/pci/devices"
if os.path.isdir(sysfs):
    slots = sorted(os.listdir(sysfs))

    def attr(slot, name):
        with open(os.path.join(sysfs, slot, name)) as f:
            return int(f.read(), 16)

    rc, every = run_json("list", "--all")
    check(rc == 0 and len(every["devices"]) == len(slots), "list --all: one entry per sysfs device")
    check(all(d["vendor_id"] == attr(d["slot"], "vendor") and d["device_id"] == attr(d["slot"], "device")
              for d in every["devices"]), "list --all: IDs match sysfs")
    check(all(d["vfio_ready"] or d["problem"] for d in every["devices"]),
          "list --all: every device is ready or says why not")
    intel = [s for s in slots if attr(s, "vendor") == 0x8086 and attr(s, "class") >> 16 == 0x03]
    rc, gpus = run_json("list")
    check(rc == 0 and [d["slot"] for d in gpus["devices"]] == intel, "list: the Intel display devices")
    rc, out, _ = run("list")
    check(rc == 0 and (intel or "no Intel display devices" in out), "list: text output")
    if slots:
        rc, info = run_json("info", slots[0])
        check(rc == 0 and info["device"]["slot"] == slots[0] and
              info["device"]["vendor_id"] == attr(slots[0], "vendor"), "info --json of " + slots[0])
        rc, out, _ = run("info", slots[0])
        check(rc == 0 and "VFIO" in out and "driver" in out, "info text of " + slots[0])
    check(run("info", "ffff:ff:1f.7")[0] == 1, "info of a missing device: exit 1")

# --- bind and dump on mocks ---
for plat in ("skl", "tgl", "mtl", "bmg", "hsw", "snb", "chv"):
    rc, r = run_json("--mock", plat, "--pages", "8", "bind", "0x200000")
    ok = rc == 0 and r["read_back"] == 8 and len(r["entries"]) == 8
    ok = ok and all(e["gpu"] == 0x200000 + i * 4096 and e["dma"] == (1 << 32) + i * 4096 and e["ok"]
                    for i, e in enumerate(r["entries"]))
    if ok and plat in ("skl", "tgl", "mtl", "bmg"):
        ok = all(e["pte"] == e["dma"] | 1 for e in r["entries"])
    check(ok, "bind on a mock %s GGTT: 8 entries, read back" % plat)
    rc, d = run_json("--mock", plat, "dump")
    check(rc == 0 and len(d["runs"]) == 1 and d["runs"][0]["kind"] == "scratch" and
          d["runs"][0]["pages"] * 4096 == d["size"], "dump of a fresh %s GGTT: one scratch run" % plat)

for plat in ("tgl", "chv", "dg2"):
    at = 0xf00000000 if plat != "chv" else 0xc0000000
    rc, r = run_json("--mock", plat, "--ppgtt", "--pages", "3", "bind", hex(at))
    check(rc == 0 and r["read_back"] == 3 and r["invalidation"] == [] and "bar_offset" not in r["entries"][0],
          "bind on a mock %s PPGTT" % plat)
rc, d = run_json("--mock", "tgl", "--ppgtt", "dump")
check(rc == 0 and [x["kind"] for x in d["runs"]] == ["scratch"] and d["runs"][0]["pages"] == 1 << 36,
      "dump of a whole fresh 48-bit PPGTT: one scratch run")

# --- dry runs: the register writes and BAR offsets the device would see ---
rc, r = run_json("--mock", "skl", "--guc", "--dry-run", "--pages", "2", "bind", "0x100000")
check(rc == 0 and r["dry_run"] and [w["reg"] for w in r["invalidation"]] == [0x101008, 0x4274] and
      r["entries"][1]["bar_offset"] == (8 << 20) + (0x101000 // 4096) * 8,
      "dry run on SKL with GuC: GFX_FLSH_CNTL then GEN8_GTCR, entries at BAR0 + 8 MiB")
rc, r = run_json("--mock", "ivb", "--dry-run", "--pages", "1", "bind")
check(rc == 0 and r["entries"][0]["bar_offset"] == (2 << 20) + 256 * 4 and
      r["invalidation"] == [{"reg": 0x101008, "value": 1, "readback": True}],
      "dry run on IVB: 4-byte entries at BAR0 + 2 MiB, flush read back")
rc, out, _ = run("--mock", "tgl", "--dry-run", "--pages", "2", "bind")
check(rc == 0 and "dry run" in out and "2/2 entries computed" in out, "dry run text")

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
