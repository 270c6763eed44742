#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate synthetic libgtt traces (docs/trace-format.md, version 1).

Three workloads, each a deterministic function of --seed and --scale:

  game     A game's frame churn.  A 256 MiB vm holds long-lived textures and
           render targets bound at start; every frame creates 6-20 transient
           buffers (64 KiB - 2 MiB: uniforms, staging, transient targets),
           binds them, submits the frame (one fence per frame on the game's
           timeline, active on every buffer the frame uses), then unbinds
           (asynchronously) and destroys them.  Three frames are in flight:
           a frame's fence signals two frames later, so a new frame's
           buffers land on ranges whose unbinds are still pending.
  compute  A compute job streaming large buffers through a 512 MiB vm: two
           pinned weight buffers, then a queue of 16-128 MiB input/output
           buffers bound with eviction allowed, each used by one job (a
           fence per job, signalled one job later), then unbound.
  sparse   Sparse texture streaming: one 512 MiB sparse vma (a virtual
           texture) in a 1 GiB vm, and per frame a batch that maps the 64 KiB
           tiles entering a moving window (each tile its own pages object)
           and unmaps those leaving it, with a vm-wide fence per frame.

Frames and jobs: game 40, compute 40, sparse 50, times --scale.
Generated traces carry no placements (at=-) and no timestamps beyond
a synthetic clock (t= advances 1 us per record, 16.6 ms per frame), and
every call in them succeeds in the recording (ret=0).

usage: scripts/gen-traces.py [--out DIR] [--seed N] [--scale F] [NAME...]
writes DIR/NAME.trace (default: tests/traces, every workload).
"""
import argparse
import os
import random
import sys

KIB = 1024
MIB = 1024 * KIB
PAGE = 4096


class Trace:
    def __init__(self, name, start, size):
        self.lines = ["gtt-trace 1"]
        self.records = 0
        self.t = 0
        self.next_vma = 0
        self.next_pages = 0
        self.next_fence = 0
        self.rec("vm", name=name, start=hex(start), size=hex(size),
                 page_size=hex(PAGE), flags="0x0")

    def rec(self, record, **fields):
        self.t += 1000
        parts = [record, "t=%d" % self.t]
        parts += ["%s=%s" % (k, v) for k, v in fields.items()]
        self.lines.append(" ".join(parts))
        self.records += 1

    def tick(self, ns):
        self.t += ns

    def vma(self, size):
        self.next_pages += 1
        self.next_vma += 1
        self.rec("pages", id=self.next_pages, size=hex(size), flags="0x0")
        self.rec("vma", vma=hex(self.next_vma), pages=self.next_pages, resv=0)
        return self.next_vma

    def pages(self, size):
        self.next_pages += 1
        self.rec("pages", id=self.next_pages, size=hex(size), flags="0x0")
        return self.next_pages

    def sparse(self, size):
        self.next_vma += 1
        self.rec("sparse", vma=hex(self.next_vma), size=hex(size), resv=0)
        return self.next_vma

    def bind(self, vma, flags=0x1, placement="best", align=0, pin=False):
        self.rec("bind", vma=hex(vma), flags=hex(flags), offset="0x0",
                 size="0x0", align=hex(align), color="0x0", range_start="0x0",
                 range_end="0x0", placement=placement, pte="0x0",
                 pages_offset="0x0", deps="-", at="-", mapped="-", fence=0,
                 ret=0)
        if pin:
            self.rec("pin", vma=hex(vma), ret=0)

    def unbind(self, vma):
        self.rec("unbind", vma=hex(vma), flags="0x1", fence=0, ret=0)

    def destroy(self, vma):
        self.rec("destroy", vma=hex(vma), ret=0)

    def fence(self, ctx, seqno):
        self.next_fence += 1
        self.rec("fence", id=self.next_fence, ctx=hex(ctx), seqno=seqno)
        return self.next_fence

    def active(self, vma, fence):
        self.rec("active", vma=hex(vma) if vma else "vm", fence=fence, ret=0)

    def active_many(self, vmas, fence):
        self.rec("active_many", vmas=",".join(hex(v) for v in vmas),
                 fence=fence, ret=0)

    def signal(self, fence):
        self.rec("signal", fence=fence, err=0)

    def batch(self, ops):
        for kind, vma, offset, size, pages in ops:
            self.rec("mapop", kind=kind, vma=hex(vma), offset=hex(offset),
                     size=hex(size), pages=pages, pages_offset="0x0",
                     pte="0x0")
        self.rec("batch", n=len(ops), flags="0x1", deps="-",
                 call="vm_map_batch", fence=0, ret=0)

    def text(self):
        self.rec("end", records=self.records + 1, dropped=0)
        return "\n".join(self.lines) + "\n"


def game(rng, scale):
    tr = Trace("game", 0x10000, 256 * MIB)
    for _ in range(24):             # textures, render targets
        v = tr.vma(rng.choice([256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB]))
        tr.bind(v, flags=0x0)
    in_flight = []
    for frame in range(1, int(40 * scale) + 1):
        bufs = []
        for _ in range(rng.randint(6, 20)):
            v = tr.vma(rng.choice([64 * KIB, 128 * KIB, 256 * KIB,
                                   512 * KIB, 1 * MIB, 2 * MIB]))
            tr.bind(v)
            bufs.append(v)
        f = tr.fence(1, frame)
        tr.active_many(bufs, f)
        for v in bufs:
            tr.unbind(v)
            tr.destroy(v)
        in_flight.append(f)
        if len(in_flight) > 2:
            tr.signal(in_flight.pop(0))
        tr.tick(16_600_000)
    for f in in_flight:
        tr.signal(f)
    return tr.text()


def compute(rng, scale):
    tr = Trace("compute", 0x10000, 512 * MIB)
    for _ in range(2):              # weights, pinned for the whole run
        tr.bind(tr.vma(96 * MIB), flags=0x0, pin=True)
    pending = None
    live = []
    for job in range(1, int(40 * scale) + 1):
        ins = [tr.vma(rng.choice([16, 32, 64, 128]) * MIB) for _ in range(2)]
        out = tr.vma(rng.choice([16, 32, 64]) * MIB)
        for v in ins + [out]:
            tr.bind(v, flags=0x5, align=2 * MIB)     # async, evict
        f = tr.fence(2, job)
        tr.active_many(ins + [out], f)
        if pending:
            tr.signal(pending)
        pending = f
        for v in ins:
            tr.unbind(v)
            tr.destroy(v)
        live.append(out)            # outputs stay until read back
        if len(live) > 3:
            v = live.pop(0)
            tr.unbind(v)
            tr.destroy(v)
        tr.tick(5_000_000)
    tr.signal(pending)
    return tr.text()


def sparse(rng, scale):
    tile = 64 * KIB
    tiles = 512 * MIB // tile
    tr = Trace("sparse", 0x10000, 1024 * MIB)
    tex = tr.sparse(512 * MIB)
    tr.bind(tex, flags=0x0, align=2 * MIB)
    resident = {}                   # tile index -> pages id
    window = 96
    pos = 0
    prev = None
    for frame in range(1, int(50 * scale) + 1):
        pos = (pos + rng.randint(0, 12)) % (tiles - window)
        want = set(range(pos, pos + window))
        want |= {rng.randrange(tiles) for _ in range(4)}   # stray samples
        ops = []
        for t in sorted(set(resident) - want):
            ops.append(("unmap", tex, t * tile, tile, 0))
            del resident[t]
        for t in sorted(want - set(resident)):
            resident[t] = tr.pages(tile)
            ops.append(("map", tex, t * tile, tile, resident[t]))
        if ops:
            tr.batch(ops)
        f = tr.fence(3, frame)
        tr.active(0, f)
        if prev:
            tr.signal(prev)
        prev = f
        tr.tick(16_600_000)
    tr.signal(prev)
    return tr.text()


WORKLOADS = {"game": game, "compute": compute, "sparse": sparse}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "traces"))
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the number of frames/jobs")
    ap.add_argument("names", nargs="*", choices=[[]] + list(WORKLOADS),
                    default=[])
    a = ap.parse_args()
    if a.scale <= 0:
        ap.error("--scale must be positive")
    os.makedirs(a.out, exist_ok=True)
    for name in a.names or list(WORKLOADS):
        rng = random.Random("%s-%d" % (name, a.seed))
        path = os.path.join(a.out, name + ".trace")
        with open(path, "w") as f:
            f.write(WORKLOADS[name](rng, a.scale))
        print(os.path.relpath(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
