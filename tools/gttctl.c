/* SPDX-License-Identifier: MIT */
/*
 * gttctl: look at and exercise GPU address spaces from the command line.
 * list and info describe PCI devices (gtt/pci.h); dump and bind work on a
 * mock table of any Intel platform, or on a real device's GGTT (and a
 * PPGTT made there) through VFIO (gtt/vfio.h); reg reads and writes a
 * device's registers (gttctl_reg.c); --xe drives a vm over an xe VM
 * (gttctl_xe.c).  Every command can print JSON.  Run `gttctl --help`.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gtt/gtt.h>
#include <gtt/pci.h>
#include <gtt/vfio.h>

#include "gttctl.h"

#define FAKE_DMA ((uint64_t)1 << 32)	/* mock and dry-run buffer addresses */

static void usage(FILE *out)
{
	fprintf(out,
"usage: gttctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  list                  Intel display devices (--all: every PCI device), their\n"
"                        driver and IOMMU group, and whether VFIO can drive them\n"
"  info SLOT             one device: platform, GGTT size, BAR layout, IOMMU\n"
"                        group, TLB invalidation, what stops VFIO and the fix\n"
"  dump [START [SIZE]]   print a range of the target's table decoded, run by\n"
"                        run (default: all of it; empty regions are stepped over)\n"
"  bind [ADDR]           bind a test buffer at ADDR (default 0x100000), read\n"
"                        every entry back through the table walker, unbind\n"
"  reg read SLOT REG     read one register of a device on vfio-pci: REG is a\n"
"  reg write SLOT REG VALUE\n"
"                        name (`gttctl reg names`), an offset in the MMIO BAR\n"
"                        (BAR0; with --profile, its BAR) or config:OFFSET (PCI\n"
"                        config space).  The GGTT is not taken over: the device\n"
"                        is opened for register access only (read-only for\n"
"                        read).  Refused: offsets outside the parts of the BAR\n"
"                        VFIO maps, writes into the GGTT entry window, and any\n"
"                        write on MTL and later without --force.  What the facts\n"
"                        sheet leaves UNCONFIRMED about a register is printed\n"
"                        with it.  --width 1|2|4|8 overrides the access width\n"
"                        (BAR: 4 or 8; config: 1, 2 or 4).  --dry-run opens\n"
"                        nothing; with --mock PLATFORM --dry-run, leave SLOT out\n"
"  reg names             the registers gttctl knows by name\n"
"  replay TRACE          replay a trace a vm recorded (gtt/trace.h,\n"
"                        docs/trace-format.md) on a mock, deterministically, and\n"
"                        print per interval and in total: binds, binds that\n"
"                        waited on a pending unbind, failed binds, evictions,\n"
"                        PTE writes and clears, invalidations, free space,\n"
"                        largest hole, holes, external fragmentation (1 -\n"
"                        largest hole / free).  The mock is generic, or with\n"
"                        --mock PLATFORM (--ppgtt) that platform's GGTT (PPGTT)\n"
"  --interval N          replay: records per interval (default 1000, 0: totals)\n"
"  --timing recorded|asap\n"
"                        replay: fences from outside the vm signal where the\n"
"                        trace says (default), or as soon as they appear\n"
"  --policy POLICY       replay with a placement policy: placement=best|low|\n"
"                        high|recorded, avoid=on|off|recorded (binds avoid\n"
"                        ranges of pending unbinds) and evict=fewest|lru|fifo\n"
"                        (eviction order: fewest victims, least recently used,\n"
"                        or creation order through a roster), joined with +,\n"
"                        e.g. placement=low+avoid=off+evict=lru (default: as\n"
"                        recorded, evict=fewest)\n"
"  --compare POLICY,POLICY...\n"
"                        replay once per policy, one after the other\n"
"  --map FILE.png        replay: draw the address space over time, address\n"
"                        across, one band per interval down: bound (blue),\n"
"                        pending unbind (orange), free (white), colour guard or\n"
"                        reserved (red); --compare: the runs side by side.\n"
"                        Without --interval the interval is chosen for about\n"
"                        256 rows (docs/replay.md)\n"
"  --map-width N         pixels across a run's map (default 1024)\n"
"  --map-row N           pixels down per interval (default: 256 / intervals,\n"
"                        1 to 16)\n"
"  --plot FILE.png       replay: four strips over time, top down: free space and\n"
"                        largest hole (of the vm's size), hole count (of its\n"
"                        highest), external fragmentation (0 to 1); --compare:\n"
"                        one curve colour per run.  --map and --plot need a\n"
"                        gttctl built with libpng (-Dpng)\n"
"  --plot-width N        pixels across the plot (default 1024)\n"
"  --dump-end            replay: print the state the trace left before the vm\n"
"                        goes: the vm (vmas, pending unbinds, counters) and,\n"
"                        with --mock PLATFORM, its table decoded as dump does\n"
"  explain ADDR TRACE    replay TRACE as replay does, with a journal on the\n"
"                        replayed vm (gtt/journal.h), and print the history of\n"
"                        GPU address ADDR: each mapping that covered it, when it\n"
"                        was bound and unbound, whether its PTE clear had run\n"
"                        (before: a GPU access still read the old pages), and\n"
"                        what is there at the end.  Times, vma handles and\n"
"                        pages ids are the trace's\n"
"  --time T              explain: as of the trace's time T (ns), not the end\n"
"\n"
"Target of dump and bind (one of):\n"
"  --mock PLATFORM       a table in host memory with the platform's entry format\n"
"                        (tgl, skl, mtl... or a PCI device ID such as 0x9a49)\n"
"  --vfio SLOT           the device's GGTT through VFIO; the device must be bound\n"
"                        to vfio-pci (see `gttctl info SLOT`).  dump only reads;\n"
"                        bind takes the GGTT over: every entry is set to scratch\n"
"                        first and scratch is put back when gttctl exits\n"
"  --profile BAR:OFFSET:SIZE:PLATFORM\n"
"                        with --vfio, for a device that is not a known Intel GPU:\n"
"                        its BAR holding the entries, where, and their format\n"
"\n"
"An xe VM (a libgtt vm over the xe VM_BIND backend, Linux's xe driver):\n"
"  --xe DEVICE CMD...    run the commands in order on one new VM of the xe render\n"
"                        node DEVICE (e.g. /dev/dri/renderD128):\n"
"                          bind [ADDR]   a new buffer of --pages pages at ADDR\n"
"                                        (default: wherever it fits)\n"
"                          unbind ADDR   the buffer bound at ADDR\n"
"                          dump          the vm's bookkeeping (the kernel has no\n"
"                                        PTE read-back)\n"
"                        e.g. --xe /dev/dri/renderD128 bind 0x100000 dump unbind\n"
"                        0x100000.  Buffers are GEM objects the tool creates in\n"
"                        system memory (DRM_IOCTL_XE_GEM_CREATE, write-back CPU\n"
"                        caching), which is what a driver binds; --userptr binds\n"
"                        malloc'd memory instead (DRM_XE_VM_BIND_OP_MAP_USERPTR).\n"
"                        What is still bound at the end is unbound and the VM\n"
"                        destroyed: it lives as long as the run.  --dry-run\n"
"                        opens no device and prints every ioctl instead.  Needs\n"
"                        a gttctl built with -Dxe (docs/xe.md)\n"
"  --pat N               --xe: the PAT index of the binds (default: the\n"
"                        platform's coherent write-back index, 0 on TGL ... DG2,\n"
"                        3 on MTL/ARL, 2 on Xe2; 0 in a dry run)\n"
"  --userptr             --xe: bind user memory instead of GEM objects\n"
"\n"
"Options:\n"
"  --ppgtt               a PPGTT instead of the GGTT (on VFIO: bind only; its\n"
"                        tables are DMA-mapped, the root IOVA is printed)\n"
"  --pages N             bind: test buffer size in 4 KiB pages (default 16)\n"
"  --dry-run             bind: touch nothing; show the entries and register\n"
"                        writes the bind would make, computed by the same code\n"
"                        on a mock of the target's platform; reg: open nothing,\n"
"                        say what would be accessed or why it would be refused;\n"
"                        --xe: print the ioctls instead of issuing them\n"
"  --raw                 dump: every entry in hex with its decoded fields (valid,\n"
"                        address, cache/PAT, local memory, read-only...), like\n"
"                        IGT's intel_gtt -d; runs of scratch or empty entries\n"
"                        fold into one line.  bind: the bound range so, in\n"
"                        place of the read-back list\n"
"  --guc                 the device runs GuC firmware (adds its TLB invalidation)\n"
"  --iommufd             open the device through its VFIO cdev and /dev/iommu\n"
"                        instead of its group (Linux 6.6+, and a libgtt built\n"
"                        with headers that have it)\n"
"  --force               allow writes (bind, reg write) on platforms where CPU\n"
"                        GGTT writes are risky (MTL and later)\n"
"  --width N             reg: access width in bytes\n"
"  --all                 list: every PCI device\n"
"  --json                JSON output\n"
"  -h, --help            this text\n"
"\n"
"Numbers take 0x, and K, M or G suffixes.  Exit status: 0 success, 1 failure\n"
"(including a refusal, and --xe in a gttctl built without -Dxe), 2 usage error,\n"
"3 (replay, explain) a malformed or truncated trace: the message names its line.\n");
}

int fail(const char *what)
{
	fprintf(stderr, "gttctl: %s: %s\n", what, gtt_last_error());
	return 1;
}

int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "gttctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try --help)\n");
	return 2;
}

bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	*out = v;
	return !*end;
}

/* A picture size: 1 to @max pixels. */
static bool parse_pixels(const char *s, uint64_t max, unsigned int *out)
{
	uint64_t n;

	if (!parse_u64(s, &n) || !n || n > max)
		return false;
	*out = (unsigned int)n;
	return true;
}

/* ---- JSON ---- */

void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_kv_str(const char *key, const char *v, bool comma)
{
	printf("\"%s\": ", key);
	if (v)
		json_str(v);
	else
		printf("null");
	printf("%s", comma ? ", " : "");
}

/* ---- list and info ---- */

static const char *platform_name(const struct gtt_pci_device *d)
{
	return d->platform ? d->platform->name : NULL;
}

static void device_json(const struct gtt_pci_device *d)
{
	printf("{");
	json_kv_str("slot", d->slot, true);
	printf("\"vendor_id\": %u, \"device_id\": %u, \"class\": %u, \"revision\": %u, ",
	       d->vendor_id, d->device_id, d->class_code, d->revision);
	json_kv_str("platform", platform_name(d), true);
	json_kv_str("label", d->platform ? d->label : NULL, true);
	json_kv_str("driver", d->driver[0] ? d->driver : NULL, true);
	printf("\"iommu_group\": %d, \"vfio_ready\": %s, ", d->iommu_group,
	       d->vfio_ready ? "true" : "false");
	json_kv_str("vfio_cdev", d->vfio_cdev[0] ? d->vfio_cdev : NULL, true);
	json_kv_str("problem", d->problem[0] ? d->problem : NULL, true);
	printf("\"bar_size\": [");
	for (int i = 0; i < 6; i++)
		printf("%s%" PRIu64, i ? ", " : "", d->bar_size[i]);
	printf("]}");
}

static void print_problem(const char *problem)
{
	const char *line = problem;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int n = nl ? (int)(nl - line) : (int)strlen(line);

		printf("      %.*s\n", n, line);
		line = nl ? nl + 1 : NULL;
	}
}

static int cmd_list(const struct opts *o)
{
	struct gtt_pci_match any = { .vendor_id = GTT_PCI_ANY, .device_id = GTT_PCI_ANY };
	const struct gtt_pci_match *m = o->all ? &any : NULL;
	struct gtt_pci_device *devs = NULL;
	size_t cap = 64, n = 0;

	/* One enumeration, unless the bus holds more than fits: then two. */
	for (;;) {
		free(devs);
		devs = calloc(cap, sizeof(*devs));
		if (!devs || gtt_pci_list(m, devs, cap, &n)) {
			free(devs);
			return fail("list");
		}
		if (n <= cap)
			break;
		cap = n;
	}
	if (o->json) {
		printf("{\"devices\": [");
		for (size_t i = 0; i < n; i++) {
			printf("%s", i ? ", " : "");
			device_json(&devs[i]);
		}
		printf("]}\n");
	} else if (!n) {
		printf("no %s found%s\n", o->all ? "PCI devices" : "Intel display devices",
		       o->all ? "" : " (--all lists every PCI device)");
	} else {
		printf("%-13s %-9s  %-8s %-14s %5s  %s\n", "SLOT", "ID", "PLATFORM", "DRIVER",
		       "GROUP", "VFIO");
		for (size_t i = 0; i < n; i++) {
			const struct gtt_pci_device *d = &devs[i];
			char id[16], group[12];

			snprintf(id, sizeof(id), "%04x:%04x", d->vendor_id, d->device_id);
			snprintf(group, sizeof(group), "%d", d->iommu_group);
			printf("%-13s %-9s  %-8s %-14s %5s  %s\n", d->slot, id,
			       platform_name(d) ? platform_name(d) : "-",
			       d->driver[0] ? d->driver : "-", d->iommu_group < 0 ? "-" : group,
			       d->vfio_ready ? "ready" : "not ready:");
			if (!d->vfio_ready)
				print_problem(d->problem);
		}
	}
	free(devs);
	return 0;
}

static void print_inval(const struct gtt_intel_platform *p, bool guc, bool json)
{
	struct gtt_intel_reg_write w[GTT_INTEL_MAX_INVAL_WRITES];
	int n = gtt_intel_ggtt_invalidation(p, guc, w);

	for (int i = 0; i < n; i++) {
		if (json)
			printf("%s{\"reg\": %u, \"value\": %u, \"readback\": %s}", i ? ", " : "",
			       w[i].reg, w[i].value, w[i].readback ? "true" : "false");
		else
			printf("%s0x%x = 0x%x%s", i ? ", then " : "", w[i].reg, w[i].value,
			       w[i].readback ? " (read back)" : "");
	}
	if (!json && !n)
		printf("none (fence and posting read only)");
}

static int cmd_info(const struct opts *o, const char *slot)
{
	const struct gtt_intel_platform *p;
	struct gtt_pci_device d;
	uint64_t gsm = 0, ggtt = 0;
	int ggtt_err = -ENODATA;

	if (!slot)
		return usage_error("info needs a SLOT%s", "");
	if (gtt_pci_inspect(slot, &d))
		return fail("info");
	p = d.platform;
	if (p && d.ggc_read)
		ggtt_err = gtt_intel_ggtt_size(p, d.ggc, &gsm, &ggtt);
	if (o->json) {
		printf("{\"device\": ");
		device_json(&d);
		if (p) {
			printf(", \"graphics_ver\": %u, \"ggtt_pte_size\": %u, \"ggtt_bar\": 0, "
			       "\"ggtt_bar_offset\": %" PRIu64 ", \"ppgtt_levels\": %u, \"ppgtt_bits\": %u, "
			       "\"cpu_ggtt_write_risky\": %s, \"unconfirmed\": %s",
			       p->graphics_ver, p->ggtt_pte_size, p->ggtt_bar_offset, p->ppgtt_levels,
			       p->ppgtt_bits, p->cpu_ggtt_write_risky ? "true" : "false",
			       p->unconfirmed ? "true" : "false");
			printf(", \"invalidation\": [");
			print_inval(p, false, true);
			printf("], \"invalidation_guc\": [");
			print_inval(p, true, true);
			printf("]");
		}
		if (!ggtt_err)
			printf(", \"ggc\": %u, \"gsm_size\": %" PRIu64 ", \"ggtt_size\": %" PRIu64, d.ggc,
			       gsm, ggtt);
		printf("}\n");
		return 0;
	}
	printf("%s  %04x:%04x  class 0x%06x  rev 0x%02x\n", d.slot, d.vendor_id, d.device_id,
	       d.class_code, d.revision);
	if (p) {
		printf("platform     %s (%s), graphics %u.%02u%s%s\n", p->name, d.label,
		       p->graphics_ver / 100, p->graphics_ver % 100,
		       p->discrete ? ", discrete" : "", p->unconfirmed ? ", facts UNCONFIRMED" : "");
		if (!ggtt_err)
			printf("GGTT         %" PRIu64 " MiB of %u-byte entries (GGC 0x%04x): %" PRIu64
			       " MiB of address space\n", gsm >> 20, p->ggtt_pte_size, d.ggc, ggtt >> 20);
		else if (!d.ggc_read)
			printf("GGTT         size unknown: reading GGC (config 0x50) needs root\n");
		else
			printf("GGTT         GGC 0x%04x: %s\n", d.ggc, gtt_last_error());
		if (p->ppgtt_levels)
			printf("PPGTT        %u levels, %u-bit addresses\n", p->ppgtt_levels,
			       p->ppgtt_bits);
		else
			printf("PPGTT        none here (gen6/7)\n");
		printf("TLB flush    ");
		print_inval(p, false, false);
		printf("; with GuC: ");
		print_inval(p, true, false);
		printf("\n");
		if (p->cpu_ggtt_write_risky)
			printf("warning      CPU writes to this GGTT are known to hang the GPU; "
			       "bind needs --force\n");
	} else {
		printf("platform     not a known Intel GPU: VFIO use needs --profile\n");
	}
	for (int i = 0; i < 6; i++) {
		if (!d.bar_size[i])
			continue;
		printf("BAR%d         %" PRIu64 " KiB", i, d.bar_size[i] >> 10);
		if (p && i == 0)
			printf("  MMIO registers, GGTT entries at +%" PRIu64 " MiB",
			       p->ggtt_bar_offset >> 20);
		if (p && i == 2)
			printf("  aperture (GMADR)");
		printf("\n");
	}
	printf("driver       %s\n", d.driver[0] ? d.driver : "none");
	if (d.iommu_group >= 0)
		printf("IOMMU group  %d\n", d.iommu_group);
	else
		printf("IOMMU group  none\n");
	if (d.vfio_cdev[0])
		printf("VFIO cdev    /dev/vfio/devices/%s (--iommufd)\n", d.vfio_cdev);
	printf("VFIO         %s\n", d.vfio_ready ? "ready" : "not ready:");
	if (!d.vfio_ready)
		print_problem(d.problem);
	return 0;
}

/* ---- targets ---- */

struct target {
	struct gtt_backend *ggtt;	/* the mock or VFIO GGTT backend */
	struct gtt_backend *be;		/* what dump and bind use */
	const struct gtt_intel_platform *plat;
	bool vfio;
	uint64_t size;			/* address space of be */
	unsigned int bar;		/* the BAR holding the GGTT entries, */
	uint64_t window_offset;		/* and where (a mock: where the device has them) */
	uint64_t root;			/* PPGTT root (VFIO) */
	char what[96];
};

int parse_profile(const char *s, struct gtt_vfio_config *c)
{
	char buf[96], *part[4], *save = NULL;
	const struct gtt_intel_platform *p;
	uint64_t bar, off, size;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save), n++)
		if (n < 4)
			part[n] = t;
	if (n != 4 || !parse_u64(part[0], &bar) || bar > 5 ||
	    !parse_u64(part[1], &off) || !parse_u64(part[2], &size))
		return usage_error("--profile wants BAR:OFFSET:SIZE:PLATFORM, not '%s'", s);
	p = gtt_intel_find(part[3]);
	if (!p)
		return usage_error("unknown platform '%s'", part[3]);
	c->bar = (unsigned int)bar;
	c->window_offset = off;
	c->window_size = size;
	c->family = p->family;
	return 0;
}

static int mock_target(const struct opts *o, const struct gtt_intel_platform *p,
		       struct target *t)
{
	struct gtt_mock_config mc = { .page_size = PAGE, .scratch_addr = 0x1000,
				      .intel_family = p->family };

	if (o->ppgtt && !p->ppgtt_levels)
		return usage_error("%s has no PPGTT layout here (gen6 and later)", p->name);
	mc.mode = o->ppgtt ? GTT_MOCK_INTEL_PPGTT : GTT_MOCK_INTEL_GGTT;
	mc.size = o->ppgtt ? 1ull << p->ppgtt_bits : 4ull << 30;
	if (gtt_mock_create(&mc, &t->ggtt))
		return fail("mock");
	t->be = t->ggtt;
	t->plat = p;
	t->size = mc.size;
	t->window_offset = p->ggtt_bar_offset;
	snprintf(t->what, sizeof(t->what), "mock %s %s", p->name, o->ppgtt ? "PPGTT" : "GGTT");
	return 0;
}

/* The VFIO config for --vfio SLOT [--profile ...], from discovery. */
static int vfio_config(const struct opts *o, struct gtt_vfio_config *c,
		       const struct gtt_intel_platform **p)
{
	static struct gtt_pci_device d;
	int err;

	*c = (struct gtt_vfio_config){ .guc = o->guc, .force = o->force, .iommufd = o->iommufd };
	if (o->profile && (err = parse_profile(o->profile, c)))
		return err;
	if (gtt_pci_inspect(o->vfio, &d))
		return fail("vfio");
	/* With --iommufd the group's /dev/vfio/N is not used (and may not exist). */
	if (!d.vfio_ready && !(o->iommufd && !strncmp(d.problem, "/dev/vfio/", 10))) {
		fprintf(stderr, "gttctl: %s cannot be used through VFIO:\n%s\n", d.slot, d.problem);
		return 1;
	}
	c->group = d.iommu_group;
	c->bdf = d.slot;
	*p = o->profile ? gtt_intel_platform(c->family) : d.platform;
	if (!*p) {
		fprintf(stderr, "gttctl: %s (%04x:%04x) is not a known Intel GPU; give --profile\n",
			d.slot, d.vendor_id, d.device_id);
		return 1;
	}
	return 0;
}

static int open_target(const struct opts *o, bool write, struct target *t)
{
	struct gtt_vfio_config c;
	struct gtt_vfio_info info;
	const struct gtt_intel_platform *p;
	int err;

	memset(t, 0, sizeof(*t));
	if (!!o->mock == !!o->vfio)
		return usage_error("give one target: --mock PLATFORM or --vfio SLOT%s", "");
	if (o->mock) {
		p = gtt_intel_find(o->mock);
		return p ? mock_target(o, p, t) : usage_error("unknown platform '%s'", o->mock);
	}
	err = vfio_config(o, &c, &p);
	if (err)
		return err;
	if (o->ppgtt && !write)
		return usage_error("a PPGTT exists only in the run that makes it: use bind --ppgtt%s", "");
	c.read_only = !write;
	if (gtt_vfio_create(&c, &t->ggtt))
		return fail("vfio");
	gtt_vfio_info(t->ggtt, &info);
	t->vfio = true;
	t->plat = info.platform;
	t->be = t->ggtt;
	t->size = info.ggtt_size;
	t->bar = info.bar;
	t->window_offset = info.window_offset;
	snprintf(t->what, sizeof(t->what), "vfio %s %s GGTT%s", c.bdf, t->plat->name,
		 write ? "" : " (read-only)");
	if (o->ppgtt) {
		if (gtt_vfio_ppgtt_create(t->ggtt, &t->be, &t->root)) {
			gtt_backend_destroy(t->ggtt);
			return fail("ppgtt");
		}
		t->size = 1ull << t->plat->ppgtt_bits;
		snprintf(t->what, sizeof(t->what), "vfio %s %s PPGTT", c.bdf, t->plat->name);
	}
	return 0;
}

static void close_target(struct target *t)
{
	if (t->be != t->ggtt)
		gtt_backend_destroy(t->be);
	gtt_backend_destroy(t->ggtt);
}

/* ---- dump ---- */

static int json_run(void *arg, uint64_t start, uint64_t pages, const struct gtt_translation *f)
{
	bool *first = arg;

	printf("%s{\"start\": %" PRIu64 ", \"pages\": %" PRIu64 ", \"kind\": \"%s\"", *first ? "" : ", ",
	       start, pages, !f->present ? "not-present" : f->scratch ? "scratch" : "mapped");
	if (f->present)
		printf(", \"addr\": %" PRIu64 ", \"page_size\": %" PRIu64 ", \"flags\": %u, "
		       "\"pte\": %" PRIu64, f->addr, f->page_size, f->flags, f->pte);
	printf("}");
	*first = false;
	return 0;
}

/* ---- dump --raw ---- */

/* Which fields an entry format has: PAT/cache bits, local memory, read-only. */
struct raw_format {
	bool ppgtt, cache_level, pat, lm, ro;
	unsigned int pte_size;
};

static struct raw_format raw_format_of(const struct target *t, bool ppgtt)
{
	enum gtt_intel_ggtt_format g = t->plat->ggtt_format;
	struct raw_format f = { .ppgtt = ppgtt, .pte_size = ppgtt ? 8 : t->plat->ggtt_pte_size };

	if (ppgtt) {
		f.pat = f.ro = true;
		f.lm = t->plat->ppgtt_format >= GTT_PPGTT_GEN12;
	} else {
		f.cache_level = g <= GTT_GGTT_HSW_EDRAM;	/* gen6/7: an i915 cache level */
		f.ro = g == GTT_GGTT_VLV;
		f.lm = g == GTT_GGTT_GEN12 || g == GTT_GGTT_MTL;
		f.pat = g == GTT_GGTT_MTL;
	}
	return f;
}

static const char *cache_name(unsigned int level)
{
	static const char *const names[] = { "uncached", "LLC", "L3+LLC", "write-through" };

	return level < 4 ? names[level] : "?";
}

/* One entry (or a run of @count like it), hex and decoded. */
static void raw_entry(const struct opts *o, const struct target *t, const struct raw_format *f,
		      uint64_t gpu, uint64_t count, const struct gtt_translation *tr, bool *first)
{
	struct gtt_intel_entry e;
	int bad = f->ppgtt ? gtt_intel_ppgtt_decode(t->plat->ppgtt_format, tr->level, tr->pte, &e)
			   : gtt_intel_ggtt_decode(t->plat->ggtt_format, tr->pte, &e);
	unsigned int pat = (e.flags & GTT_PTE_PAT_MASK) >> GTT_PTE_PAT_SHIFT;
	uint64_t bar_off = t->window_offset + gpu / PAGE * f->pte_size;
	bool lm = e.flags & GTT_PTE_LOCAL_MEM, ro = e.flags & GTT_PTE_READ_ONLY;

	if (o->json) {
		printf("%s{\"gpu\": %" PRIu64 ", \"count\": %" PRIu64 ", \"pte\": %" PRIu64
		       ", \"valid\": %s, \"decoded\": %s", *first ? "" : ", ", gpu, count, tr->pte,
		       e.present ? "true" : "false", bad ? "false" : "true");
		if (!f->ppgtt)
			printf(", \"bar_offset\": %" PRIu64, bar_off);
		if (!bad) {
			printf(", \"addr\": %" PRIu64 ", \"scratch\": %s", e.addr,
			       tr->scratch ? "true" : "false");
			if (f->cache_level)
				printf(", \"cache\": \"%s\"", cache_name(pat));
			if (f->pat)
				printf(", \"pat\": %u", pat);
			if (f->lm)
				printf(", \"lm\": %s", lm ? "true" : "false");
			if (f->ro)
				printf(", \"ro\": %s", ro ? "true" : "false");
			if (f->ppgtt)
				printf(", \"level\": %u, \"page_size\": %" PRIu64 ", \"null\": %s",
				       tr->level, tr->page_size, tr->null ? "true" : "false");
		}
		printf("}");
		*first = false;
		return;
	}
	printf("0x%012" PRIx64, gpu);
	if (!f->ppgtt)
		printf("  BAR%u+0x%07" PRIx64, t->bar, bar_off);
	printf("  0x%0*" PRIx64 "  ", (int)(2 * f->pte_size), tr->pte);
	if (bad) {
		printf("bits the format does not define");
	} else {
		printf("%s addr 0x%" PRIx64, e.present ? "valid" : "invalid", e.addr);
		if (f->cache_level)
			printf(" cache %s", cache_name(pat));
		if (f->pat)
			printf(" pat %u", pat);
		if (f->lm)
			printf(" lm %d", lm);
		if (f->ro)
			printf(" ro %d", ro);
		if (f->ppgtt && tr->page_size != PAGE)
			printf(" %" PRIu64 "K page (level %u)", tr->page_size >> 10, tr->level);
		if (tr->null)
			printf(" null");
		if (tr->scratch)
			printf(" scratch");
	}
	if (count > 1)
		printf("  x %" PRIu64, count);
	printf("\n");
}

struct raw_walk {
	const struct opts *o;
	const struct target *t;
	struct raw_format f;
	bool first;
};

/* A run of scratch or empty entries is one line; mapped runs every entry. */
static int raw_run(void *arg, uint64_t start, uint64_t pages, const struct gtt_translation *first)
{
	struct raw_walk *w = arg;
	uint64_t end = start + pages * PAGE, step;

	if (!first->present || first->scratch) {
		raw_entry(w->o, w->t, &w->f, start, pages, first, &w->first);
		return 0;
	}
	for (uint64_t a = start; a < end; a += step) {
		struct gtt_translation tr;
		int err = gtt_backend_translate(w->t->be, a, &tr);

		if (err)
			return err;
		raw_entry(w->o, w->t, &w->f, a, 1, &tr, &w->first);
		step = tr.page_size > PAGE ? tr.page_size - (a & (tr.page_size - 1)) : PAGE;
	}
	return 0;
}

static int dump_raw(const struct opts *o, const struct target *t, uint64_t start, uint64_t size)
{
	struct raw_walk w = { o, t, raw_format_of(t, o->ppgtt), true };
	int err;

	if (o->json) {
		printf("{\"target\": ");
		json_str(t->what);
		printf(", \"start\": %" PRIu64 ", \"size\": %" PRIu64 ", \"pte_size\": %u"
		       ", \"entries\": [", start, size, w.f.pte_size);
	} else {
		printf("%s, [0x%" PRIx64 ", +0x%" PRIx64 "), raw entries:\n", t->what, start, size);
	}
	err = gtt_backend_runs(t->be, start, size, raw_run, &w);
	if (o->json)
		printf("]}\n");
	return err;
}

static int cmd_dump(const struct opts *o, const char *a, const char *b)
{
	struct target t;
	uint64_t start = 0, size;
	bool first = true;
	int err;

	if ((a && !parse_u64(a, &start)) || (b && !parse_u64(b, &size)))
		return usage_error("dump wants START and SIZE numbers%s", "");
	err = open_target(o, false, &t);
	if (err)
		return err;
	if (!b)
		size = start <= t.size ? t.size - start : 0;
	if (start > t.size || size > t.size - start) {
		close_target(&t);
		return usage_error("range outside the table%s", "");
	}
	if (o->raw) {
		err = dump_raw(o, &t, start, size);
	} else if (o->json) {
		printf("{\"target\": ");
		json_str(t.what);
		printf(", \"start\": %" PRIu64 ", \"size\": %" PRIu64 ", \"runs\": [", start, size);
		err = gtt_backend_runs(t.be, start, size, json_run, &first);
		printf("]}\n");
	} else {
		printf("%s, [0x%" PRIx64 ", +0x%" PRIx64 "):\n", t.what, start, size);
		err = gtt_backend_dump(t.be, start, size, stdout);
	}
	close_target(&t);
	return err ? fail("dump") : 0;
}

/* ---- bind ---- */

struct bound {
	uint64_t gpu, dma, pte;
	bool ok;
};

static void print_bind(const struct opts *o, const struct target *t, uint64_t at,
		       const struct bound *e, uint64_t n, uint64_t good)
{
	/* gen6/7 PPGTT tables hold the GGTT's 4-byte entries. */
	bool gen6 = o->ppgtt && t->plat->ppgtt_format == GTT_PPGTT_NONE;
	unsigned int pte_size = o->ppgtt && !gen6 ? 8 : t->plat->ggtt_pte_size;
	int width = (int)pte_size * 2;

	if (o->json) {
		printf("{\"target\": ");
		json_str(t->what);
		printf(", \"dry_run\": %s, \"at\": %" PRIu64 ", \"pages\": %" PRIu64
		       ", \"read_back\": %" PRIu64, o->dry_run ? "true" : "false", at, n, good);
		if (t->root)
			printf(", \"ppgtt_root\": %" PRIu64, t->root);
		printf(", \"entries\": [");
		for (uint64_t i = 0; i < n; i++) {
			printf("%s{\"gpu\": %" PRIu64 ", \"dma\": %" PRIu64 ", \"pte\": %" PRIu64
			       ", \"ok\": %s", i ? ", " : "", e[i].gpu, e[i].dma, e[i].pte,
			       e[i].ok ? "true" : "false");
			if (!o->ppgtt)
				printf(", \"bar_offset\": %" PRIu64,
				       t->window_offset + e[i].gpu / PAGE * pte_size);
			printf("}");
		}
		printf("], \"invalidation\": [");
		if (!o->ppgtt)
			print_inval(t->plat, o->guc, true);
		printf("]}\n");
		return;
	}
	printf("%s%s: %" PRIu64 " pages at 0x%" PRIx64 "\n", o->dry_run ? "dry run, " : "",
	       t->what, n, at);
	if (t->root && gen6)
		printf("page directory in the GGTT entries of [0x%" PRIx64 ", +2 MiB): rings load it with "
		       "RING_PP_DIR_DCLV = 0xffffffff, RING_PP_DIR_BASE = 0x%" PRIx64 "\n",
		       t->root, t->root);
	else if (t->root)
		printf("PPGTT root table at IOVA 0x%" PRIx64 "\n", t->root);
	if (o->dry_run)
		printf("DMA addresses are placeholders: the IOMMU hands out the real ones\n");
	for (uint64_t i = 0; i < n; i++) {
		printf("  0x%012" PRIx64 " -> 0x%012" PRIx64 "  pte 0x%0*" PRIx64, e[i].gpu,
		       e[i].dma, width, e[i].pte);
		if (!o->ppgtt)
			printf("  BAR%u +0x%" PRIx64, t->bar,
			       t->window_offset + e[i].gpu / PAGE * pte_size);
		printf("  %s\n", e[i].ok ? "ok" : "WRONG");
	}
	if (!o->ppgtt) {
		printf("then a store fence, a read of the last entry, and TLB invalidation: ");
		print_inval(t->plat, o->guc, false);
		printf("\n");
	}
	printf("%" PRIu64 "/%" PRIu64 " entries %s\n", good, n,
	       o->dry_run ? "computed" : "read back as written");
}

/* Bind @n pages at @at through a vm over @t, check every entry, unbind. */
static int bind_and_check(const struct opts *o, struct target *t, uint64_t at, uint64_t n)
{
	struct gtt_vm_config vc = { .name = "gttctl", .start = 0, .size = t->size,
				    .backend = t->be };
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = at };
	struct bound *e = calloc(n, sizeof(*e));
	uint8_t *buf = NULL;
	uint64_t dma = FAKE_DMA, good = 0;
	struct gtt_pages_segment seg;
	struct gtt_pages *pages = NULL;
	struct gtt_vm *vm = NULL;
	gtt_vma_t h;
	int err = e ? 0 : -ENOMEM;

	if (!err && t->vfio && !o->dry_run) {
		buf = aligned_alloc(PAGE, n * PAGE);
		err = buf ? 0 : -ENOMEM;
		if (!err) {
			for (uint64_t i = 0; i < n * PAGE; i++)
				buf[i] = (uint8_t)(i / PAGE + 1);
			err = gtt_vfio_dma_map(t->be, buf, n * PAGE, &dma);
		}
	}
	seg = (struct gtt_pages_segment){ dma, n * PAGE };
	if (!err)
		err = gtt_pages_create(&seg, 1, 0, &pages);
	if (!err)
		err = gtt_vm_create(&vc, &vm);
	if (!err)
		err = gtt_vma_create(vm, pages, NULL, &h);
	if (!err)
		err = gtt_vma_bind(vm, h, &bi, NULL);
	for (uint64_t i = 0; !err && i < n; i++) {
		struct gtt_translation tr;

		e[i].gpu = at + i * PAGE;
		e[i].dma = dma + i * PAGE;
		if (gtt_backend_translate(t->be, e[i].gpu, &tr) == 0) {
			e[i].pte = tr.pte;
			e[i].ok = tr.present && !tr.scratch && tr.addr == e[i].dma;
		}
		good += e[i].ok;
	}
	if (!err && o->raw)		/* the entries as the device has them */
		err = dump_raw(o, t, at, n * PAGE);
	else if (!err)
		print_bind(o, t, at, e, n, good);
	if (err)
		fail("bind");
	gtt_vm_destroy(vm);		/* unbinds: the entries go back to scratch */
	gtt_pages_put(pages);
	if (buf && dma != FAKE_DMA)
		gtt_vfio_dma_unmap(t->be, dma, n * PAGE);
	free(buf);
	free(e);
	return err ? 1 : good == n ? 0 : 1;
}

static int cmd_bind(const struct opts *o, const char *a)
{
	struct target t;
	uint64_t at = 0x100000;
	int err;

	if (a && !parse_u64(a, &at))
		return usage_error("bind wants an address, not '%s'", a);
	if (at % PAGE || !o->pages || o->pages > (1u << 20))
		return usage_error("bind wants a 4 KiB aligned address and 1..1M pages%s", "");
	if (o->dry_run && o->vfio) {
		/* The same bind on a mock of the device's platform. */
		struct gtt_vfio_config c;
		const struct gtt_intel_platform *p;

		err = vfio_config(o, &c, &p);
		if (!err)
			err = mock_target(o, p, &t);
		if (err)
			return err;
		t.bar = c.bar;
		t.window_offset = o->profile ? c.window_offset : p->ggtt_bar_offset;
		snprintf(t.what, sizeof(t.what), "vfio %s %s %s", c.bdf, p->name,
			 o->ppgtt ? "PPGTT" : "GGTT");
	} else {
		err = open_target(o, true, &t);
		if (err)
			return err;
	}
	if (at > t.size || o->pages * PAGE > t.size - at) {
		close_target(&t);
		return usage_error("the buffer does not fit in the table%s", "");
	}
	err = bind_and_check(o, &t, at, o->pages);
	close_target(&t);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mock", required_argument, NULL, 'm' },
		{ "vfio", required_argument, NULL, 'v' },
		{ "profile", required_argument, NULL, 'P' },
		{ "ppgtt", no_argument, NULL, 'p' },
		{ "pages", required_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "guc", no_argument, NULL, 'g' },
		{ "force", no_argument, NULL, 'f' },
		{ "iommufd", no_argument, NULL, 'I' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "xe", required_argument, NULL, 'x' },
		{ "userptr", no_argument, NULL, 'u' },
		{ "pat", required_argument, NULL, 'T' },
		{ "raw", no_argument, NULL, 'r' },
		{ "width", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timing", required_argument, NULL, 'G' },
		{ "policy", required_argument, NULL, 'o' },
		{ "compare", required_argument, NULL, 'C' },
		{ "map", required_argument, NULL, 'M' },
		{ "plot", required_argument, NULL, 'L' },
		{ "map-width", required_argument, NULL, 'W' },
		{ "map-row", required_argument, NULL, 'R' },
		{ "plot-width", required_argument, NULL, 'H' },
		{ "dump-end", no_argument, NULL, 'U' },
		{ "time", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .pages = 16, .pat = -1, .interval = 1000 };
	uint64_t n;
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o.mock = optarg; break;
		case 'v': o.vfio = optarg; break;
		case 'P': o.profile = optarg; break;
		case 'p': o.ppgtt = true; break;
		case 'n':
			if (!parse_u64(optarg, &o.pages))
				return usage_error("--pages wants a number, not '%s'", optarg);
			break;
		case 'd': o.dry_run = true; break;
		case 'g': o.guc = true; break;
		case 'f': o.force = true; break;
		case 'I': o.iommufd = true; break;
		case 'a': o.all = true; break;
		case 'j': o.json = true; break;
		case 'x': o.xe = optarg; break;
		case 'u': o.userptr = true; break;
		case 'r': o.raw = true; break;
		case 'T':
			if (!parse_u64(optarg, &n) || n > 31)
				return usage_error("--pat wants a PAT index 0..31, not '%s'", optarg);
			o.pat = (int)n;
			break;
		case 'w':
			if (!parse_u64(optarg, &n) || (n != 1 && n != 2 && n != 4 && n != 8))
				return usage_error("--width wants 1, 2, 4 or 8, not '%s'", optarg);
			o.width = (unsigned int)n;
			break;
		case 'i':
			if (!parse_u64(optarg, &o.interval))
				return usage_error("--interval wants a number, not '%s'", optarg);
			o.interval_set = true;
			break;
		case 'M': o.map = optarg; break;
		case 'L': o.plot = optarg; break;
		case 'W':
			if (!parse_pixels(optarg, 16384, &o.map_width))
				return usage_error("--map-width wants 1 to 16384 pixels, not '%s'", optarg);
			break;
		case 'R':
			if (!parse_pixels(optarg, 256, &o.map_row))
				return usage_error("--map-row wants 1 to 256 pixels, not '%s'", optarg);
			break;
		case 'U':
			o.dump_end = true;
			break;
		case 'H':
			if (!parse_pixels(optarg, 16384, &o.plot_width))
				return usage_error("--plot-width wants 1 to 16384 pixels, not '%s'", optarg);
			break;
		case 'G':
			if (strcmp(optarg, "recorded") && strcmp(optarg, "asap"))
				return usage_error("--timing wants recorded or asap, not '%s'", optarg);
			o.asap = !strcmp(optarg, "asap");
			break;
		case 'o': o.policy = optarg; break;
		case 'C': o.compare = optarg; break;
		case 'E':
			if (!parse_u64(optarg, &o.time) || !o.time)
				return usage_error("--time wants a time in ns above 0, not '%s'", optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if ((o.map || o.plot || o.map_width || o.map_row || o.plot_width) && strcmp(cmd, "replay"))
		return usage_error("--map, --plot and their sizes go with replay%s", "");
	if (o.profile && !o.vfio && strcmp(cmd, "reg"))
		return usage_error("--profile goes with --vfio (or reg)%s", "");
	if (o.xe) {
		if (o.mock || o.vfio || o.profile || o.ppgtt || o.raw)
			return usage_error("--xe takes no --mock, --vfio, --profile, --ppgtt or --raw%s", "");
		return cmd_xe(&o, argc - optind + 1, argv + optind - 1);
	}
	if ((o.userptr || o.pat >= 0) && !o.xe)
		return usage_error("--userptr and --pat go with --xe%s", "");
	if (!strcmp(cmd, "reg"))
		return o.vfio ? usage_error("reg takes the SLOT as an argument, not --vfio%s", "")
			      : cmd_reg(&o, argc - optind, argv + optind);
	if (!strcmp(cmd, "list") && optind == argc)
		return cmd_list(&o);
	if (!strcmp(cmd, "info") && argc - optind <= 1)
		return cmd_info(&o, optind < argc ? argv[optind] : NULL);
	if (!strcmp(cmd, "dump") && argc - optind <= 2)
		return cmd_dump(&o, optind < argc ? argv[optind] : NULL,
				optind + 1 < argc ? argv[optind + 1] : NULL);
	if (!strcmp(cmd, "replay") && argc - optind <= 1) {
		if (o.vfio || o.raw || o.dry_run)
			return usage_error("replay runs on a mock: no --vfio, --raw or --dry-run%s", "");
		if (o.policy && o.compare)
			return usage_error("give --policy or --compare, not both%s", "");
		return cmd_replay(&o, optind < argc ? argv[optind] : NULL);
	}
	if (!strcmp(cmd, "explain") && argc - optind <= 2) {
		if (o.vfio || o.raw || o.dry_run)
			return usage_error("explain runs on a mock: no --vfio, --raw or --dry-run%s", "");
		return cmd_explain(&o, optind < argc ? argv[optind] : NULL,
				   optind + 1 < argc ? argv[optind + 1] : NULL);
	}
	if (!strcmp(cmd, "bind") && argc - optind <= 1)
		return cmd_bind(&o, optind < argc ? argv[optind] : NULL);
	return usage_error("unknown command or too many arguments: '%s'", cmd);
}
