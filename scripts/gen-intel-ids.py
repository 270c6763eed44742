#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate intel/intel_ids.inc: Intel GPU PCI device ID -> platform.

The IDs come from the kernel's i915_pciids.h and xe_pciids.h as shipped
by Debian's newest linux-headers-<version>-common package (fetched with
`apt-get download`; on Debian 12 that is the 6.12 backport), or from the
headers given with --header.  No ID is written by hand.

Every ID macro of the headers must be accounted for: a macro that lists
IDs belongs to a family libgtt describes (FAMILIES) or to one it
deliberately leaves unknown (NOT_DESCRIBED); a macro that only names other
macros must name defined ones.  Anything else -- a new platform, a renamed
macro, a body this script cannot read, an ID claimed by two families --
makes the script fail and name the macro, so that no ID is ever dropped
silently.

usage: scripts/gen-intel-ids.py [--header PATH ...] [--out FILE]
       scripts/gen-intel-ids.py --selftest   (offline, on small fake headers)
"""
import argparse
import contextlib
import glob
import io
import os
import re
import subprocess
import sys
import tempfile

# Macro family (the name between INTEL_/XE_ and _IDS, matched by prefix)
# -> (libgtt family, sub-platform label).
FAMILIES = [
    ("SNB_", "SNB", "SNB"), ("IVB_", "IVB", "IVB"), ("HSW_", "HSW", "HSW"),
    ("VLV_", "VLV", "VLV"), ("BDW_", "BDW", "BDW"), ("CHV_", "CHV", "CHV"),
    ("SKL_", "SKL", "SKL"), ("KBL_", "SKL", "KBL"), ("AML_KBL_", "SKL", "AML"),
    ("AML_CFL_", "SKL", "AML"), ("CFL_", "SKL", "CFL"), ("WHL_", "SKL", "WHL"),
    ("CML_", "SKL", "CML"), ("BXT_", "BXT", "BXT"), ("GLK_", "BXT", "GLK"),
    ("ICL_", "ICL", "ICL"), ("EHL_", "EHL", "EHL"), ("JSL_", "EHL", "JSL"),
    ("TGL_", "TGL", "TGL"), ("RKL_", "RKL", "RKL"), ("DG1_", "DG1", "DG1"),
    ("ADLS_", "ADL", "ADL-S"), ("ADLP_", "ADL", "ADL-P"), ("ADLN_", "ADL", "ADL-N"),
    ("RPLS_", "ADL", "RPL-S"), ("RPLU_", "ADL", "RPL-U"), ("RPLP_", "ADL", "RPL-P"),
    ("DG2_", "DG2", "DG2"), ("ATS_M", "DG2", "ATS-M"), ("MTL_", "MTL", "MTL"),
    ("ARL_", "ARL", "ARL"), ("LNL_", "LNL", "LNL"), ("BMG_", "BMG", "BMG"),
]

# Families whose IDs stay unknown to libgtt on purpose (pre-SNB, Cannon
# Lake, Ponte Vecchio).  Listed here so that leaving them out is a decision.
NOT_DESCRIBED = [
    "I810_", "I815_", "I830_", "I845G_", "I85X_", "I865G_", "I915G_", "I915GM_",
    "I945G_", "I945GM_", "I965G_", "I965GM_", "G33_", "GM45_", "G45_", "PNV_",
    "ILK_", "CNL_", "PVC_",
]

# Macros whose body is not a list of IDs, and why they add nothing.
SPECIAL = {
    "INTEL_IVB_Q_IDS": "Quanta transcode board: 0x016A (an IVB ID) matched by subsystem",
}

# IDs that must be in the output: the facts sheet's (section 4) and the
# Raptor Lake-U IDs an earlier version of this script dropped.
REQUIRED = [0x9A40, 0x4905, 0x5690, 0x7D40, 0x7D45, 0x7D55, 0x7D60, 0x7DD5,
            0x7D41, 0x7D51, 0x7D67, 0x7DD1, 0x6420, 0x64A0, 0x64B0, 0xE202,
            0xA721, 0xA7A1, 0xA7A9, 0xA7AC, 0xA7AD]

DEFINE = re.compile(r"^#define[ \t]+((?:INTEL|XE)_(\w+?)_IDS)\(([^)]*)\)[ \t]*"
                    r"((?:.*\\\n)*.*)$", re.M)
ANY_IDS_DEFINE = re.compile(r"^#define[ \t]+((?:INTEL|XE)_\w+_IDS)\b", re.M)
ITEM = re.compile(r"(\w+)[ \t]*\(([^()]*)\)")
PARAMS = ("MACRO__, ...", "info")


class GenError(Exception):
    pass


def family_of(short):
    for prefix, fam, label in FAMILIES:
        if (short + "_").startswith(prefix):
            return fam, label
    return None


def parse(text, header):
    """Yield (macro, short name, direct IDs, referenced macros) per ID macro."""
    seen = set()
    for m in DEFINE.finditer(text):
        macro, short, params, body = m.groups()
        seen.add(macro)
        if params.strip() not in PARAMS:
            raise GenError("%s: %s(%s): unexpected parameter list" % (header, macro, params))
        body = re.sub(r"/\*.*?\*/", " ", body.replace("\\\n", " "), flags=re.S)
        ids, refs = [], []
        for item in ITEM.finditer(body):
            name, args = item.groups()
            if name in ("MACRO__", "INTEL_VGA_DEVICE"):
                dev = re.match(r"\s*(0[xX][0-9A-Fa-f]{1,4})\s*(,|$)", args)
                if not dev:
                    raise GenError("%s: %s: cannot read the ID in %s(%s)"
                                   % (header, macro, name, args))
                ids.append(int(dev.group(1), 16))
            elif re.fullmatch(r"(?:INTEL|XE)_\w+_IDS", name):
                refs.append(name)
            elif macro not in SPECIAL:
                raise GenError("%s: %s: cannot read %s(%s)" % (header, macro, name, args))
        rest = ITEM.sub(" ", body)
        if rest.strip(" \t,") and macro not in SPECIAL:
            raise GenError("%s: %s: cannot read %r" % (header, macro, rest.strip()))
        yield macro, short, ids, refs
    for m in ANY_IDS_DEFINE.finditer(text):
        if m.group(1) not in seen:
            raise GenError("%s: %s: not a function-like ID macro this script reads"
                           % (header, m.group(1)))


def generate(texts):
    """texts: [(header name, contents)] -> {id: (family, label)}."""
    ids, owner, defined, refs, errors = {}, {}, set(), [], []
    for header, text in texts:
        for macro, short, dev, ref in parse(text, header):
            defined.add(macro)
            refs += [(macro, r) for r in ref]
            if not dev:
                continue                   # an aggregate of other macros
            fam = family_of(short)
            if not fam:
                if not any((short + "_").startswith(p) for p in NOT_DESCRIBED):
                    errors.append("%s (%s, IDs %s): not mapped to a family; add it to "
                                  "FAMILIES or NOT_DESCRIBED"
                                  % (macro, header, ", ".join("0x%04X" % d for d in dev)))
                continue
            for d in dev:
                if d in ids and ids[d] != fam:
                    errors.append("0x%04X: %s says %s, %s says %s"
                                  % (d, owner[d], ids[d][1], macro, fam[1]))
                ids.setdefault(d, fam)
                owner.setdefault(d, macro)
    errors += ["%s names %s, which no header defines" % (m, r)
               for m, r in refs if r not in defined]
    if errors:
        raise GenError("\n  ".join(["unmapped or unreadable ID macros:"] + errors))
    return ids


def fetch_headers():
    tmp = tempfile.mkdtemp(prefix="gtt-ids-")
    got = subprocess.run(
        [os.path.join(os.path.dirname(os.path.abspath(__file__)), "fetch-deb.sh"),
         r"^linux-headers-.*-common$", tmp], stdout=subprocess.PIPE, text=True)
    if got.returncode:
        raise GenError("cannot fetch a linux-headers-*-common package")
    newest = got.stdout.strip()
    found = [f for pat in ("i915_pciids.h", "xe_pciids.h", "pciids.h")
             for f in glob.glob(os.path.join(tmp, "usr/src/*/include/drm/**", pat),
                                recursive=True)]
    found = sorted(set(found))
    if not found:
        raise GenError("%s has no i915/xe pciids header" % newest)
    return found, newest


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", action="append")
    ap.add_argument("--out", default="intel/intel_ids.inc")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args(argv)
    if args.selftest:
        return selftest()
    try:
        if args.header:
            headers, source = args.header, " ".join(map(os.path.basename, args.header))
        else:
            headers, source = fetch_headers()
        texts = []
        for h in headers:
            with open(h) as f:
                texts.append((os.path.basename(h), f.read()))
        ids = generate(texts)
        missing = ["0x%04X" % d for d in REQUIRED if d not in ids]
        if missing:
            raise GenError("required IDs missing: " + ", ".join(missing))
    except GenError as e:
        print("gen-intel-ids: %s" % e, file=sys.stderr)
        return 1
    with open(args.out, "w") as out:
        out.write("/* SPDX-License-Identifier: MIT */\n")
        out.write("/* Generated by scripts/gen-intel-ids.py from %s\n" % source)
        out.write(" * (the kernel's i915_pciids.h and xe_pciids.h).\n")
        out.write(" * Do not edit: regenerate.  Format: ID(device, family, label) */\n")
        for d in sorted(ids):
            out.write('ID(0x%04X, %s, "%s")\n' % (d, ids[d][0], ids[d][1]))
    print("gen-intel-ids: %d IDs from %s -> %s" % (len(ids), source, args.out))
    return 0


def fake(name, *ids, params="MACRO__, ..."):
    body = ", \\\n".join("\tMACRO__(0x%04X, ## __VA_ARGS__) /* c */" % d for d in ids)
    return "#define %s(%s) \\\n%s\n\n" % (name, params, body)


def selftest():
    """Run the generator on small fake headers; no network, no kernel headers."""
    good = (fake("INTEL_ADLP_IDS", 0x46A6) + fake("INTEL_RPLU_IDS", 0xA721, 0xA7A1)
            + fake("INTEL_CNL_IDS", 0x5A40)
            + "#define INTEL_ADL_ALL_IDS(MACRO__, ...) \\\n"
              "\tINTEL_ADLP_IDS(MACRO__, ## __VA_ARGS__), \\\n"
              "\tINTEL_RPLU_IDS(MACRO__, ## __VA_ARGS__)\n")
    cases = [  # (what, header text, expected error text or None)
        ("mapped, aggregate and not-described macros", good, None),
        ("a macro of an unknown family", good + fake("INTEL_FOO_IDS", 0x1234),
         "INTEL_FOO_IDS"),
        ("an aggregate naming an undefined macro",
         good + "#define INTEL_X_IDS(MACRO__, ...) \\\n\tINTEL_GONE_IDS(MACRO__)\n",
         "INTEL_GONE_IDS"),
        ("a body item that is not an ID",
         good + "#define INTEL_TGL_IDS(MACRO__, ...) \\\n\tSOMETHING(0x9A40)\n",
         "INTEL_TGL_IDS"),
        ("an unexpected parameter list", good + fake("INTEL_TGL_IDS", 0x9A40, params="x"),
         "INTEL_TGL_IDS"),
        ("an object-like ID macro", good + "#define XE_NEW_IDS 0x1234\n", "XE_NEW_IDS"),
        ("one ID in two families", good + fake("INTEL_TGL_IDS", 0x46A6), "0x46A6"),
    ]
    failed = 0
    for what, text, want in cases:
        try:
            ids = generate([("fake.h", text)])
            err = None
        except GenError as e:
            ids, err = None, str(e)
        ok = (err is None) if want is None else (err is not None and want in err)
        if ok and want is None:
            ok = (ids == {0x46A6: ("ADL", "ADL-P"), 0xA721: ("ADL", "RPL-U"),
                          0xA7A1: ("ADL", "RPL-U")})
        print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else " (got %r)" % (err or ids)))
        failed += not ok
    # The command line: an unmapped macro is a non-zero exit naming it, and
    # no output file is written.
    with tempfile.TemporaryDirectory() as tmp:
        hdr, out = os.path.join(tmp, "fake_pciids.h"), os.path.join(tmp, "ids.inc")
        with open(hdr, "w") as f:
            f.write(good + fake("INTEL_FOO_IDS", 0x1234))
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["--header", hdr, "--out", out])
        ok = rc != 0 and "INTEL_FOO_IDS" in err.getvalue() and not os.path.exists(out)
        print("%s: command line fails on an unmapped macro" % ("ok" if ok else "FAIL"))
        failed += not ok
    print("gen-intel-ids selftest: %s" % ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
