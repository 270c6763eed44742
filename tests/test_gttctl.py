#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gttctl end to end: usage and exit codes, list/info against this machine's
/sys/bus/pci, dump and bind on mock tables of several platforms (entries
checked against the platform's encoding), raw dumps, dry runs of reg and of
--xe (the ioctls it would issue), errors.
replay and its pictures (--map, --plot: PNG headers; their pixels are
test_picture.c's job).
usage: test_gttctl.py PATH_TO_GTTCTL [xe|no-xe] [png|no-png]"""
import json
import os
import struct
import subprocess
import sys

GTTCTL = sys.argv[1]
HAVE_XE = len(sys.argv) > 2 and sys.argv[2] == "xe"
HAVE_PNG = len(sys.argv) > 3 and sys.argv[3] == "png"
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
                                          "--dry-run", "--profile", "reg read SLOT", "reg write",
                                          "--raw", "--xe DEVICE", "--userptr", "--pat",
                                          "DRM_IOCTL_XE_GEM_CREATE", "UNCONFIRMED")),
      "--help lists commands and options")
check(all(w in out for w in ("explain ADDR TRACE", "--time T")), "--help lists explain and --time")
check(run()[0] == 2, "no command: exit 2")
check(run("frobnicate")[0] == 2, "unknown command: exit 2")
check(run("dump")[0] == 2, "dump without a target: exit 2")
check(run("--mock", "nosuch", "dump")[0] == 2, "unknown platform: exit 2")
check(run("--mock", "tgl", "bind", "0x1001")[0] == 2, "misaligned bind address: exit 2")
check(run("--mock", "tgl", "--pages", "0", "bind")[0] == 2, "zero pages: exit 2")
rc, out, _ = run("--mock", "snb", "--ppgtt", "--pages", "1", "bind", "0x3ff000")
# gen6 PPGTT PTE of DMA 0x100000000: bit 32 folded to bit 4, uncached 01b at 2:1, valid
check(rc == 0 and "pte 0x00000013  ok" in out, "a gen6 PPGTT on the mock: bind and read back (4-byte entries)")
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

# --- dump --raw: hex entries with their decoded fields ---
rc, out, _ = run("--mock", "tgl", "--raw", "dump", "0", "64K")
check(rc == 0 and "0x0000000000001001  valid addr 0x1000 lm 0 scratch  x 16" in out,
      "raw dump of a fresh TGL GGTT: one folded scratch line with its decoded fields")
rc, r = run_json("--mock", "mtl", "--raw", "--pages", "2", "bind", "0x100000")
e = r["entries"] if r else []
check(rc == 0 and len(e) == 2 and e[1]["pte"] == (1 << 32) + 4096 + 1 and e[1]["valid"] and
      e[1]["addr"] == (1 << 32) + 4096 and e[1]["pat"] == 0 and e[1]["lm"] is False and
      e[1]["bar_offset"] == (8 << 20) + 0x101 * 8 and not e[1]["scratch"],
      "raw bind on MTL: entries, address, PAT and LM fields, BAR offsets")
rc, out, _ = run("--mock", "snb", "--raw", "--pages", "1", "bind", "0x100000")
check(rc == 0 and "BAR0+0x0200400  0x00000013  valid addr 0x100000000 cache uncached" in out,
      "raw bind on SNB: 4-byte entry, address bit 32 folded into bits 11:4, cache level")
rc, out, _ = run("--mock", "vlv", "--raw", "--pages", "1", "bind")
check(rc == 0 and "ro 0" in out, "raw bind on VLV: the read-only bit")
rc, r = run_json("--mock", "dg2", "--ppgtt", "--raw", "--pages", "1", "bind", "0x200000")
check(rc == 0 and r["entries"][0]["pte"] == (1 << 32) | 3 and r["entries"][0]["ro"] is False and
      r["entries"][0]["level"] == 0 and "bar_offset" not in r["entries"][0],
      "raw bind on a DG2 PPGTT: present+RW, level 0, no BAR offset")
rc, r = run_json("--mock", "tgl", "--ppgtt", "--raw", "dump")
check(rc == 0 and len(r["entries"]) == 1 and r["entries"][0]["count"] == 1 << 36 and
      r["entries"][0]["scratch"], "raw dump of a whole fresh PPGTT: one folded scratch entry")

# --- reg: names, dry runs, refusals ---
rc, out, _ = run("reg", "names")
check(rc == 0 and all(n in out for n in ("GFX_FLSH_CNTL", "GUC_TLB_INV_CR", "GEN8_GTCR", "GGC",
                                         "BDSM", "GMD_ID")) and "UNCONFIRMED" in out,
      "reg names: the registers libgtt uses, with what is UNCONFIRMED")
rc, r = run_json("reg", "names")
ggc = [x for x in r["registers"] if x["name"] == "GGC"] if r else []
check(rc == 0 and ggc and ggc[0]["space"] == "config" and ggc[0]["offset"] == 0x50 and
      ggc[0]["width"] == 2 and ggc[0]["unconfirmed"], "reg names --json: GGC is config 0x50, 16 bits")
rc, out, _ = run("--mock", "tgl", "--dry-run", "reg", "read", "GFX_FLSH_CNTL")
check(rc == 0 and "would read: mock TGL BAR0 + 0x101008 GFX_FLSH_CNTL (4 bytes)" in out and
      "UNCONFIRMED" in out, "reg read dry run on TGL: GFX_FLSH_CNTL, its UNCONFIRMED note")
rc, r = run_json("--mock", "tgl", "--dry-run", "reg", "read", "ggc")
check(rc == 0 and r["space"] == "config" and r["offset"] == 0x50 and r["width"] == 2 and
      r["name"] == "GGC" and "value" not in r, "reg read dry run of GGC (any case): config 0x50, 2 bytes")
rc, r = run_json("--mock", "skl", "--dry-run", "reg", "write", "0xcee8", "1")
check(rc == 0 and r["op"] == "write" and r["space"] == "bar" and r["value"] == 1 and
      r["name"] is None, "reg write dry run of a bare offset")
rc, _, err = run("--mock", "mtl", "--dry-run", "reg", "write", "GUC_TLB_INV_CR", "1")
check(rc == 1 and "MTL" in err and "--force" in err, "reg write on MTL without --force: refused, exit 1")
rc, out, _ = run("--mock", "mtl", "--force", "--dry-run", "reg", "write", "GUC_TLB_INV_CR", "1")
check(rc == 0 and "<- 0x00000001" in out, "reg write on MTL with --force: allowed")
rc, out, _ = run("--mock", "mtl", "--dry-run", "reg", "read", "GMD_ID")
check(rc == 0, "reg read on MTL needs no --force")
rc, _, err = run("--mock", "tgl", "--dry-run", "reg", "write", "0x800008", "0", "--width", "8")
check(rc == 1 and "entry window" in err, "reg write into the GGTT entry window: refused")
rc, _, err = run("--mock", "tgl", "--dry-run", "reg", "read", "16M")
check(rc == 1 and "outside" in err, "reg read past the 16 MiB BAR0: refused")
rc, _, err = run("--mock", "ivb", "--dry-run", "reg", "read", "0x3ffffc")
check(rc == 0, "reg read at the end of IVB's 4 MiB BAR0")
check(run("--mock", "ivb", "--dry-run", "reg", "read", "4M")[0] == 1, "reg read past IVB's 4 MiB BAR0: refused")
check(run("--mock", "tgl", "--dry-run", "reg", "read", "config:4096")[0] == 1,
      "reg read past the config space: refused")
check(run("--mock", "tgl", "--dry-run", "reg", "read", "0x102")[0] == 2, "reg: misaligned offset: exit 2")
check(run("--mock", "tgl", "--dry-run", "reg", "read", "config:0x50", "--width", "8")[0] == 2,
      "reg: an 8-byte config access: exit 2")
check(run("--mock", "tgl", "--dry-run", "reg", "read", "NO_SUCH_REG")[0] == 2, "reg: unknown name: exit 2")
check(run("--mock", "tgl", "--dry-run", "reg", "write", "GGC", "0x10000")[0] == 2,
      "reg write: a value wider than the register: exit 2")
check(run("--mock", "tgl", "reg", "read", "GGC")[0] == 2, "reg on --mock without --dry-run: exit 2")
check(run("reg", "read")[0] == 2 and run("reg", "poke", "x", "y")[0] == 2, "reg: missing or wrong words: exit 2")
rc, _, err = run("reg", "read", "ffff:ff:1f.7", "GGC")
check(rc == 1 and ("ffff:ff:1f.7" in err or not os.path.isdir("/sys/bus/pci")),
      "reg on a missing device: exit 1, named")

# --- --xe ---
if HAVE_XE:
    rc, out, _ = run("--xe", "/dev/dri/renderD128", "--dry-run", "--pages", "4",
                     "bind", "0x100000", "bind", "dump", "unbind", "0x100000")
    lines = out.splitlines()

    def at(text):
        return next((i for i, l in enumerate(lines) if text in l), -1)
    gem = at("DRM_IOCTL_XE_GEM_CREATE size=0x4000 placement=0x1 cpu_caching=WB -> handle=1")
    bind1 = at("bind[0] op=MAP obj=1 obj_offset=0x0 addr=0x100000 range=0x4000 flags=0x0 pat_index=0")
    bind2 = at("bind[0] op=MAP obj=2 obj_offset=0x0 addr=0x104000 range=0x4000")
    dump = at("[0x000000100000 - 0x000000103fff]")
    unmap1 = at("bind[0] op=UNMAP obj=0 obj_offset=0x0 addr=0x100000 range=0x4000")
    close1 = at("DRM_IOCTL_GEM_CLOSE handle=1")
    unmap2 = at("op=UNMAP obj=0 obj_offset=0x0 addr=0x104000")
    destroy = at("DRM_IOCTL_XE_VM_DESTROY vm_id=1")
    check(rc == 0 and at("DRM_IOCTL_XE_VM_CREATE") == 1 and
          0 < gem < bind1 < bind2 < dump < unmap1 < close1 < unmap2 < destroy and
          at("[0x000000104000 - 0x000000107fff]") > dump and "kernel has no PTE read-back" in out,
          "--xe dry run: VM create, GEM create, binds, vm dump, unbind, GEM close, cleanup, VM destroy in order")
    rc, out, _ = run("--xe", "/dev/dri/renderD128", "--dry-run", "--userptr", "--pat", "3",
                     "--pages", "2", "bind", "0x200000")
    check(rc == 0 and "op=MAP_USERPTR obj=0 userptr=0x" in out and "addr=0x200000 range=0x2000" in out and
          "pat_index=3" in out and "GEM_CREATE" not in out and "op=UNMAP" in out,
          "--xe --userptr dry run: MAP_USERPTR with the PAT index, unmapped at the end")
    rc, _, err = run("--xe", "/nonexistent/renderD128", "bind")
    check(rc == 1 and "/nonexistent/renderD128" in err, "--xe on a missing device: exit 1, named")
    rc, _, err = run("--xe", "x", "--dry-run", "unbind", "0x5000")
    check(rc == 1 and "nothing was bound at 0x5000" in err, "--xe unbind of nothing: exit 1")
else:
    rc, _, err = run("--xe", "/dev/dri/renderD128", "--dry-run", "bind")
    check(rc == 1 and "-Dxe" in err, "--xe without the xe backend: exit 1, naming -Dxe")
check(run("--xe", "x", "--dry-run", "bind", "1", "2")[0] == 2 and
      run("--xe", "x", "--dry-run", "frob")[0] == 2 and run("--xe", "x", "--mock", "tgl", "dump")[0] == 2,
      "--xe: words that are not commands, or a second target: exit 2")
check(run("--mock", "tgl", "--pat", "1", "bind")[0] == 2, "--pat without --xe: exit 2")

# --- replay (gtt/trace.h; traces from scripts/gen-traces.py) ---
TRACES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "traces")
for name in ("game", "compute", "sparse"):
    path = os.path.join(TRACES, name + ".trace")
    a = run("replay", path, "--interval", "500", "--compare", "placement=best,placement=low+avoid=off")
    b = run("replay", path, "--interval", "500", "--compare", "placement=best,placement=low+avoid=off")
    check(a[0] == 0 and a == b and a[1].count("total ") == 2 and "largest_hole" in a[1],
          "replay %s: two policies, two identical runs" % name)
    rc, js = run_json("replay", path, "--interval", "0")
    check(rc == 0 and js and len(js["runs"]) == 1 and js["runs"][0]["intervals"] == [] and
          js["runs"][0]["total"]["binds"] > 0 and 0 <= js["runs"][0]["total"]["fragmentation"] < 1,
          "replay %s --json: totals only" % name)
rc, js = run_json("replay", os.path.join(TRACES, "game.trace"), "--compare", "avoid=on,avoid=off")
check(rc == 0 and js["runs"][0]["total"]["binds_waited"] == 0 and
      js["runs"][1]["total"]["binds_waited"] > 0,
      "replay game: binds avoiding pending unbinds never wait; without avoidance some do")
rc, js = run_json("replay", os.path.join(TRACES, "compute.trace"), "--interval", "0",
                  "--compare", "evict=fewest,evict=lru,evict=fifo")
check(rc == 0 and [r["policy"]["evict"] for r in js["runs"]] == ["fewest", "lru", "fifo"] and
      js["runs"][0]["total"]["evictions"] > 0 and
      js["runs"][0]["total"]["evictions"] != js["runs"][1]["total"]["evictions"],
      "replay compute: eviction orders compared in one command give other eviction counts")
check(run("replay", "x", "--policy", "evict=random")[0] == 2, "replay: unknown eviction order: exit 2")
rc, out, _ = run("replay", os.path.join(TRACES, "sparse.trace"), "--mock", "tgl", "--ppgtt", "--interval", "0")
check(rc == 0 and "on tgl" in out, "replay on a TGL PPGTT mock")
check("backend calls failed" not in out, "replay on a TGL PPGTT mock: every PTE write accepted (DMA addresses fit 39 bits)")
rc, out, _ = run("replay", os.path.join(TRACES, "game.trace"), "--mock", "tgl", "--ppgtt", "--interval", "0", "--dump-end")
lines = out.splitlines()
state = lines.index("state at the end of the trace:") if "state at the end of the trace:" in lines else -1
mapped = [l for l in lines if " -> 0x" in l and " pages " in l]
check(rc == 0 and state > 0 and lines[state - 1].lstrip().startswith("total") and
      lines[state + 1].startswith("vm 'game'") and " vma 0x" in out and
      "the table, [0x0, +0x1000000000000):" in out and mapped and
      "backend errors 0" in out,
      "replay --dump-end: the totals, then the vm and its PPGTT table as the trace left them")
rc, out, _ = run("replay", os.path.join(TRACES, "game.trace"), "--interval", "0", "--dump-end")
check(rc == 0 and "state at the end of the trace:" in out and "the table" not in out,
      "replay --dump-end on the generic mock: the vm only")
rc, out, err = run("replay", os.path.join(TRACES, "game.trace"), "--interval", "0", "--dump-end", "--json")
check(rc == 2 and "--dump-end" in err and not out,
      "replay --dump-end --json: exit 2 (the dump is text), not the JSON without the dump")
bad = "/tmp/gttctl-test-%d.trace" % os.getpid()
with open(os.path.join(TRACES, "compute.trace")) as f:
    good = f.read()
with open(bad, "w") as f:
    f.write(good[: len(good) // 2])
rc, _, err = run("replay", bad)
check(rc == 3 and "trace line" in err, "replay of a truncated trace: exit 3, with its line")
with open(bad, "w") as f:
    f.write(good.replace("placement=best", "placement=nowhere", 1))
rc, _, err = run("replay", bad)
check(rc == 3 and "not best, low or high" in err, "replay of a malformed record: exit 3")
os.unlink(bad)
check(run("replay", "/nonexistent.trace")[0] == 1, "replay of a missing file: exit 1")
check(run("replay")[0] == 2 and run("replay", "x", "--policy", "placement=up")[0] == 2 and
      run("replay", "x", "--timing", "later")[0] == 2,
      "replay usage errors: exit 2")

# --- replay --map / --plot (docs/replay.md) ---
def png_size(path):
    """(width, height) from a PNG's IHDR, or None if it is not a PNG."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


game = os.path.join(TRACES, "game.trace")
with open(game) as f:
    records = sum(1 for l in f if l.strip() and not l.startswith("#")) - 1
pic = "/tmp/gttctl-test-%d" % os.getpid()
rc, out, _ = run("--help")
check(all(w in out for w in ("--map FILE.png", "--plot FILE.png", "--map-width", "--map-row",
                             "--plot-width")), "--help lists the picture options")
rc, out, err = run("replay", game, "--map", pic + "-map.png", "--plot", pic + "-plot.png")
if HAVE_PNG:
    auto = -(-records // -(-records // 256))    # intervals of ceil(records / 256) records
    check(rc == 0 and png_size(pic + "-map.png") == (1024, auto + 14) and 200 <= auto <= 300 and
          out.count("\n") >= auto, "replay --map: 1024 wide, one row per interval, about 256 rows, and the colour key")
    check(rc == 0 and png_size(pic + "-plot.png") == (1024, 462), "replay --plot: 1024x462")
    with open(pic + "-map.png", "rb") as f:
        first = f.read()
    run("replay", game, "--map", pic + "-map.png")
    with open(pic + "-map.png", "rb") as f:
        check(f.read() == first, "replay --map: two replays, the same file")
    rc, _, _ = run("replay", game, "--compare", "avoid=on,avoid=off", "--interval", "100",
                   "--map", pic + "-map.png", "--map-width", "300", "--plot", pic + "-plot.png",
                   "--plot-width", "500")
    n = -(-records // 100)
    check(rc == 0 and png_size(pic + "-map.png") == (2 * 300 + 8, 14 + n * (256 // n) + 14) and
          png_size(pic + "-plot.png") == (500, 462),
          "replay --compare --map: two named maps side by side, 8 px apart, rows of 256 / intervals px")
    rc, _, _ = run("replay", game, "--map", pic + "-map.png", "--map-row", "3", "--interval", "1000")
    check(rc == 0 and png_size(pic + "-map.png") == (1024, 3 * 3 + 14), "replay --map-row 3: 3 px an interval")
    check(run("replay", game, "--map", pic + "-map.png", "--interval", "0")[0] == 2,
          "replay --map --interval 0: exit 2")
    with open(pic + ".trace", "w") as f:
        f.write("gtt-trace 1\nvm t=0 name=x start=0x0 size=0x1000 page_size=0x1000 flags=0x0\n"
                "end t=0 records=2 dropped=0\n")
    rc, _, _ = run("replay", pic + ".trace", "--map", pic + "-map.png", "--map-width", "4096")
    check(rc == 0 and png_size(pic + "-map.png") == (4096, 2 * 16 + 14),
          "replay --map of a one-page vm: a pixel a byte, 16 rows an interval")
    rc, _, err = run("replay", pic + ".trace", "--map", pic + "-map.png", "--map-width", "4097")
    check(rc == 2 and "more pixels than the vm has bytes" in err,
          "replay --map wider than the vm has bytes: exit 2")
    # A vm record the replay refuses (a 256-byte page, fewer bytes than
    # the map's pixels): the trace's fault, with its line, not memory.
    with open(pic + ".trace", "w") as f:
        f.write("gtt-trace 1\nvm t=0 name=x start=0x0 size=0x100 page_size=0x100 flags=0x0\n"
                "end t=0 records=2 dropped=0\n")
    rc, _, err = run("replay", pic + ".trace", "--map", pic + "-map.png")
    check(rc == 3 and "trace line 2" in err and "out of memory" not in err,
          "replay --map of a trace whose vm record is not a valid vm: exit 3, with its line")
    rc, _, err = run("replay", pic + ".trace", "--map", pic + "-map.png", "--map-width", "512")
    check(rc == 3 and "trace line 2" in err, "the same with --map-width above its size: exit 3")
    os.unlink(pic + ".trace")
    rc, _, err = run("replay", game, "--map", "/nonexistent-dir/map.png")
    check(rc == 1 and "/nonexistent-dir/map.png" in err, "replay --map into a missing directory: exit 1")
else:
    check(rc == 2 and "libpng" in err and png_size(pic + "-map.png") is None,
          "replay --map in a gttctl without libpng: exit 2, says so")
for f in (pic + "-map.png", pic + "-plot.png"):
    if os.path.exists(f):
        os.unlink(f)
check(run("replay", game, "--map", "x.png", "--map-width", "0")[0] == 2 and
      run("replay", game, "--map", "x.png", "--map-row", "x")[0] == 2 and
      run("--mock", "tgl", "dump", "--map", "x.png")[0] == 2 and not os.path.exists("x.png"),
      "picture usage errors: exit 2, no file")
# --- explain (gtt/journal.h): one vma bound, unbound while the GPU used it,
# the clear run when the GPU finished; another bound at the end ---
EXPLAIN_TRACE = """gtt-trace 1
vm t=0 name=t start=0x10000 size=0x40000 page_size=0x1000 flags=0x0
pages t=1200 id=3 size=0x10000 flags=0x0
vma t=1300 vma=0x7 pages=3 resv=0
bind t=2100 vma=0x7 flags=0x0 offset=0x0 size=0x0 align=0x0 color=0x0 range_start=0x0 range_end=0x0 placement=best pte=0x0 pages_offset=0x0 deps=- at=0x10000 mapped=0x10000 fence=0 ret=0
fence t=2500 id=1 ctx=0x1 seqno=1
active t=2600 vma=0x7 fence=1 ret=0
unbind t=2900 vma=0x7 flags=0x1 fence=2 ret=0
signal t=9100 fence=1 err=0
signal t=9300 fence=2 err=0
pages t=9400 id=5 size=0x4000 flags=0x0
vma t=9500 vma=0x9 pages=5 resv=0
bind t=9600 vma=0x9 flags=0x2 offset=0x30000 size=0x0 align=0x0 color=0x0 range_start=0x0 range_end=0x0 placement=best pte=0x0 pages_offset=0x0 deps=- at=0x30000 mapped=0x4000 fence=0 ret=0
end t=9900 records=13 dropped=0
"""
ex = "/tmp/gttctl-explain-%d.trace" % os.getpid()
with open(ex, "w") as f:
    f.write(EXPLAIN_TRACE)
rc, out, _ = run("explain", "0x12000", ex)
check(rc == 0 and out ==
      "0x12000: unbound and cleared: an access hits scratch\n"
      "  vma 0x7 (pages 3 +0x0, 64 KiB at 0x10000) bound at t=2100, unbound at t=2900"
      " (unbind completed at t=9100: PTEs cleared)\n"
      "  now: free\n",
      "explain an address bound then unbound: the trace's vma and pages, its bind, unbind and clear times, now free")
rc, out, _ = run("explain", "0x12000", ex, "--time", "5000")
check(rc == 0 and out.startswith("0x12000 at t=5000: POTENTIAL USE AFTER FREE") and
      "clear not yet run" in out and "now:" not in out,
      "explain --time between the unbind and its clear: the PTEs still map the old pages")
# A replay's times start at 0: a bind and unbind at t=0 are times, not
# "before the journal" or "lost" (nothing was lost), nor "not unbound".
with open(ex + "0", "w") as f:
    f.write("gtt-trace 1\nvm t=0 name=t start=0x10000 size=0x40000 page_size=0x1000 flags=0x0\n"
            "pages t=0 id=3 size=0x10000 flags=0x0\nvma t=0 vma=0x7 pages=3 resv=0\n"
            "bind t=0 vma=0x7 flags=0x0 offset=0x0 size=0x0 align=0x0 color=0x0 range_start=0x0 range_end=0x0"
            " placement=best pte=0x0 pages_offset=0x0 deps=- at=0x10000 mapped=0x10000 fence=0 ret=0\n"
            "unbind t=0 vma=0x7 flags=0x0 fence=0 ret=0\nend t=0 records=6 dropped=0\n")
rc, out, _ = run("explain", "0x12000", ex + "0")
os.unlink(ex + "0")
check(rc == 0 and "  vma 0x7 (pages 3 +0x0, 64 KiB at 0x10000) bound at t=0, unbound at t=0"
      " (unbind completed at t=0: PTEs cleared)\n" in out,
      "explain a bind and unbind at t=0: their times printed")
rc, out, _ = run("explain", "0x48000", ex)
check(rc == 0 and out == "0x48000: nothing was bound here since the journal began\n  now: free\n",
      "explain an address never bound")
rc, out, _ = run("explain", "0x50000", ex)
check(rc == 0 and out == "0x50000: nothing was bound here since the journal began\n  now: outside the vm\n",
      "explain an address past the vm's end: outside, not free")
rc, out, _ = run("explain", "0x31000", ex, "--mock", "tgl")
check(rc == 0 and out.startswith("0x31000: bound: an access reads the mapping's pages\n") and
      "16 KiB at 0x30000) bound at t=9600\n" in out and
      "vma 0x9 (pages 5 +0x0, 16 KiB at 0x30000)" in out and
      out.endswith("  now: vma 0x9 bound\n"),
      "explain an address bound now (on a TGL GGTT mock)")
with open(ex, "w") as f:
    f.write(EXPLAIN_TRACE[: len(EXPLAIN_TRACE) // 2])
rc, _, err = run("explain", "0x12000", ex)
check(rc == 3 and "trace line" in err, "explain on a truncated trace: exit 3, with its line")
os.unlink(ex)
check(run("explain", "0x1000")[0] == 2 and run("explain", "addr", "x")[0] == 2 and
      run("explain", "0x1000", "x", "--time", "0")[0] == 2 and
      run("explain", "0x1000", "/nonexistent.trace")[0] == 1,
      "explain usage errors: exit 2; a missing file: exit 1")

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
