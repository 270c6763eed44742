/* SPDX-License-Identifier: MIT */
/*
 * gttctl reg: read or write one register of a device on vfio-pci, in its
 * BAR (the MMIO registers, BAR0 on Intel GPUs) or its PCI config space,
 * through gtt_vfio_reg_read() / gtt_vfio_reg_write() on a backend opened
 * with regs_only (the GGTT is not taken over).  Registers libgtt uses have
 * names; what the facts sheet leaves UNCONFIRMED about them is printed
 * with them.  A dry run opens nothing and applies the library's refusals
 * to the layout discovery (or --mock PLATFORM) describes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gtt/gtt.h>
#include <gtt/pci.h>
#include <gtt/vfio.h>

#include "gttctl.h"

/* Registers libgtt writes or reads, and what the facts sheet says of them
 * (docs/intel.md; i915/xe register headers named there). */
struct reg_name {
	const char *name;
	bool config;			/* PCI config space, else the MMIO BAR */
	uint32_t offset;
	unsigned int width;
	const char *what;
	const char *unconfirmed;	/* NULL: confirmed by the sources */
};

static const struct reg_name reg_names[] = {
	{ "GFX_FLSH_CNTL", false, 0x101008, 4,
	  "GGTT TLB flush: 1 after the entries on gen6-10 except BXT/GLK (read back on gen6/7)",
	  "on gen8-10 i915 writes it only for its write-combined GGTT mapping; after libgtt's "
	  "uncached writes it is presumed harmless" },
	{ "GEN8_GTCR", false, 0x4274, 4,
	  "GuC GGTT TLB invalidation on gen9-11 (written with --guc)",
	  "whether it needs forcewake when no kernel driver runs" },
	{ "GUC_TLB_INV_CR", false, 0xcee8, 4,
	  "GuC GGTT TLB invalidation on gen12 through 12.70, TGL ... DG2, MTL, ARL (with --guc)",
	  "whether it needs forcewake while the GT is in RC6" },
	{ "GUC_TLB_INV_DESC0", false, 0xcf7c, 4,
	  "GuC GGTT TLB invalidation on Xe2 (LNL, BMG): bit 0, after DESC1 (with --guc)", NULL },
	{ "GUC_TLB_INV_DESC1", false, 0xcf80, 4,
	  "GuC GGTT TLB invalidation on Xe2 (LNL, BMG): bit 6, before DESC0 (with --guc)", NULL },
	{ "GMD_ID", false, 0xd8c, 4,
	  "graphics IP on MTL and later: arch 31:22, release 21:14, step 5:0 (libgtt does not "
	  "read it yet)", NULL },
	{ "GGC_MMIO", false, 0x108040, 4, "MMIO mirror of GGC: GMS 15:8, GGMS 7:6", NULL },
	{ "DSMBASE", false, 0x1080c0, 8, "base of data stolen memory (gen11+: bits 63:20)", NULL },
	{ "GSMBASE", false, 0x108100, 8, "base of GTT stolen memory (bits 63:20)", NULL },
	{ "GEN8_PRIVATE_PAT_LO", false, 0x40e0, 4,
	  "PPAT entries 0-3 on BDW-KBL (GEN10_PAT_INDEX(0) on ICL)", NULL },
	{ "GEN8_PRIVATE_PAT_HI", false, 0x40e4, 4, "PPAT entries 4-7 on BDW-KBL", NULL },
	{ "GEN12_PAT_INDEX0", false, 0x4800, 4,
	  "PAT index 0 on gen12 (index i at 0x4800 + 4i; MCR on DG2 and later)", NULL },
	{ "ID", true, 0x00, 4, "vendor ID 15:0, device ID 31:16", NULL },
	{ "COMMAND", true, 0x04, 2,
	  "bit 1 memory decoding, bit 2 bus mastering (libgtt sets both before binding)", NULL },
	{ "GGC", true, 0x50, 2,
	  "graphics control: GTT stolen size (GGMS) and data stolen size (GMS); gttctl decodes a value it reads",
	  "whether vfio-pci passes it through raw (outside every capability) on every platform" },
	{ "BDSM", true, 0x5c, 4, "base of data stolen memory on gen3-10 (bits 31:20)",
	  "whether vfio-pci passes it through raw (outside every capability) on every platform" },
	{ "BDSM_LO", true, 0xc0, 4, "base of data stolen memory on gen11+, low half (bits 31:20)",
	  NULL },
	{ "BDSM_HI", true, 0xc4, 4, "base of data stolen memory on gen11+, high half", NULL },
	{ "ASLS", true, 0xfc, 4, "OpRegion address (vfio-pci virtualises it)", NULL },
};

#define NREGS (sizeof(reg_names) / sizeof(reg_names[0]))

static int reg_list(const struct opts *o)
{
	if (o->json) {
		printf("{\"registers\": [");
		for (size_t i = 0; i < NREGS; i++) {
			const struct reg_name *r = &reg_names[i];

			printf("%s{\"name\": \"%s\", \"space\": \"%s\", \"offset\": %u, \"width\": %u, "
			       "\"what\": ", i ? ", " : "", r->name, r->config ? "config" : "bar",
			       r->offset, r->width);
			json_str(r->what);
			printf(", \"unconfirmed\": ");
			if (r->unconfirmed)
				json_str(r->unconfirmed);
			else
				printf("null");
			printf("}");
		}
		printf("]}\n");
		return 0;
	}
	printf("%-20s %-6s %-9s %s\n", "NAME", "SPACE", "OFFSET", "WIDTH  WHAT");
	for (size_t i = 0; i < NREGS; i++) {
		const struct reg_name *r = &reg_names[i];

		printf("%-20s %-6s 0x%-7x %u      %s\n", r->name, r->config ? "config" : "BAR0",
		       r->offset, r->width, r->what);
		if (r->unconfirmed)
			printf("%-45sUNCONFIRMED: %s\n", "", r->unconfirmed);
	}
	return 0;
}

/* Where a register is: its name, or OFFSET (the BAR), or config:OFFSET. */
struct reg_at {
	const struct reg_name *name;	/* NULL for a bare offset */
	bool config;
	uint64_t offset;
	unsigned int width;
};

static int parse_reg(const struct opts *o, const char *s, struct reg_at *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < NREGS; i++)
		if (!strcasecmp(s, reg_names[i].name)) {
			r->name = &reg_names[i];
			r->config = r->name->config;
			r->offset = r->name->offset;
			r->width = r->name->width;
		}
	if (!r->name) {
		r->config = !strncasecmp(s, "config:", 7);
		if (!parse_u64(r->config ? s + 7 : s, &r->offset))
			return usage_error("reg wants a register name (gttctl reg names), an offset or "
					   "config:OFFSET, not '%s'", s);
		r->width = 4;
	}
	if (o->width)
		r->width = o->width;
	if (r->config ? r->width != 1 && r->width != 2 && r->width != 4
		      : r->width != 4 && r->width != 8)
		return usage_error("--width: %s accesses are 4 or 8 bytes in the BAR, 1, 2 or 4 in "
				   "config space", s);
	if (r->offset % r->width)
		return usage_error("%s is not aligned to its width", s);
	return 0;
}

static void print_value(const struct reg_at *r, uint64_t v)
{
	printf("0x%0*" PRIx64, (int)(2 * r->width), v);
}

/* What is known about the register, after the value line. */
static void print_notes(const struct reg_at *r, const struct gtt_intel_platform *p,
			bool have_value, uint64_t v)
{
	uint64_t gsm, ggtt;

	if (r->name)
		printf("  %s\n", r->name->what);
	if (r->name && r->name->unconfirmed)
		printf("  UNCONFIRMED: %s\n", r->name->unconfirmed);
	if (have_value && r->name && !strcmp(r->name->name, "GGC") && p) {
		if (!gtt_intel_ggtt_size(p, (uint16_t)v, &gsm, &ggtt))
			printf("  %s: %" PRIu64 " MiB of entries, %" PRIu64 " MiB of GGTT\n", p->name,
			       gsm >> 20, ggtt >> 20);
		else
			printf("  %s: %s\n", p->name, gtt_last_error());
	}
}

static void reg_json(const char *who, const struct reg_at *r, bool write, bool dry,
		     bool have_value, uint64_t v)
{
	printf("{\"device\": ");
	json_str(who);
	printf(", \"op\": \"%s\", \"dry_run\": %s, \"space\": \"%s\", \"offset\": %" PRIu64
	       ", \"width\": %u, \"name\": ", write ? "write" : "read", dry ? "true" : "false",
	       r->config ? "config" : "bar", r->offset, r->width);
	if (r->name)
		json_str(r->name->name);
	else
		printf("null");
	printf(", \"unconfirmed\": ");
	if (r->name && r->name->unconfirmed)
		json_str(r->name->unconfirmed);
	else
		printf("null");
	if (have_value)
		printf(", \"value\": %" PRIu64, v);
	printf("}\n");
}

static void reg_line(const char *who, unsigned int bar, const struct reg_at *r, bool write,
		     bool dry, bool have_value, uint64_t v)
{
	printf("%s%s ", dry ? (write ? "dry run, would write: " : "dry run, would read: ") : "",
	       who);
	if (r->config)
		printf("config + 0x%" PRIx64, r->offset);
	else
		printf("BAR%u + 0x%" PRIx64, bar, r->offset);
	if (r->name)
		printf(" %s", r->name->name);
	printf(" (%u bytes)", r->width);
	if (write) {
		printf(" <- ");
		print_value(r, v);
		printf(r->config ? " through the VFIO config region" :
				   ", one aligned store, then a full fence");
	} else if (have_value) {
		printf(" = ");
		print_value(r, v);
	}
	printf("\n");
}

/*
 * The dry run's view of the device: the platform, the BAR size and the
 * entry window, from --mock PLATFORM or from discovery of @slot.
 */
struct dry_dev {
	const struct gtt_intel_platform *p;
	uint64_t bar_size, win_off, win_size;
	char who[64];
};

static int dry_device(const struct opts *o, const char *slot, struct dry_dev *d)
{
	struct gtt_pci_device pd;

	memset(d, 0, sizeof(*d));
	if (o->mock) {
		d->p = gtt_intel_find(o->mock);
		if (!d->p)
			return usage_error("unknown platform '%s'", o->mock);
		snprintf(d->who, sizeof(d->who), "mock %s", d->p->name);
	} else {
		if (gtt_pci_inspect(slot, &pd))
			return fail("reg");
		d->p = pd.platform;
		d->bar_size = pd.bar_size[0];
		snprintf(d->who, sizeof(d->who), "%s%s%s", pd.slot, d->p ? " " : "",
			 d->p ? d->p->name : "");
	}
	if (d->p) {		/* BAR0: registers, then the entries (half of it) */
		d->win_off = d->p->ggtt_bar_offset;
		d->win_size = d->p->ggtt_bar_offset;
		if (!d->bar_size)
			d->bar_size = 2 * d->p->ggtt_bar_offset;
	}
	return 0;
}

/* The library's refusals, on the dry run's view. */
static int dry_refusal(const struct opts *o, const struct dry_dev *d, const struct reg_at *r,
		       bool write)
{
	const char *why = NULL;
	char buf[160];

	if (!r->config && d->bar_size && (r->offset >= d->bar_size ||
					  r->width > d->bar_size - r->offset)) {
		snprintf(buf, sizeof(buf), "BAR0 offset 0x%" PRIx64 " is outside the 0x%" PRIx64
			 "-byte BAR", r->offset, d->bar_size);
		why = buf;
	} else if (r->config && r->offset + r->width > 4096) {
		why = "past the 4 KiB config space";
	} else if (write && d->p && d->p->cpu_ggtt_write_risky && !o->force) {
		snprintf(buf, sizeof(buf), "CPU writes through the BAR are known to hang the %s GPU; "
			 "--force to try anyway", d->p->name);
		why = buf;
	} else if (write && !r->config && d->win_size && r->offset + r->width > d->win_off &&
		   r->offset < d->win_off + d->win_size) {
		snprintf(buf, sizeof(buf), "BAR0 offset 0x%" PRIx64 " is in the GGTT entry window "
			 "[0x%" PRIx64 ", +0x%" PRIx64 "): entries are written by bind", r->offset,
			 d->win_off, d->win_size);
		why = buf;
	}
	if (why)
		fprintf(stderr, "gttctl: reg: %s would be refused: %s\n", d->who, why);
	return why ? 1 : 0;
}

static int reg_dry_run(const struct opts *o, const char *slot, const struct reg_at *r,
		       bool write, uint64_t value)
{
	struct dry_dev d;
	int err = dry_device(o, slot, &d);

	if (!err)
		err = dry_refusal(o, &d, r, write);
	if (err)
		return err;
	if (o->json) {
		reg_json(d.who, r, write, true, write, value);
		return 0;
	}
	reg_line(d.who, 0, r, write, true, write, value);
	if (!d.bar_size && !r->config)
		printf("  BAR size unknown here: the real run refuses offsets outside the mapped BAR\n");
	print_notes(r, d.p, false, 0);
	return 0;
}

/* The device on vfio-pci, opened for register access only. */
static int reg_open(const struct opts *o, const char *slot, bool write,
		    struct gtt_backend **be, struct gtt_vfio_info *info)
{
	struct gtt_vfio_config c = { .force = o->force, .iommufd = o->iommufd,
				     .read_only = !write, .regs_only = true };
	struct gtt_pci_device d;
	int err;

	if (o->profile && (err = parse_profile(o->profile, &c)))
		return err;
	if (gtt_pci_inspect(slot, &d))
		return fail("reg");
	if (!d.vfio_ready && !(o->iommufd && !strncmp(d.problem, "/dev/vfio/", 10))) {
		fprintf(stderr, "gttctl: %s cannot be used through VFIO:\n%s\n", d.slot, d.problem);
		return 1;
	}
	c.group = d.iommu_group;
	c.bdf = d.slot;
	if (gtt_vfio_create(&c, be))
		return fail("reg");
	gtt_vfio_info(*be, info);
	return 0;
}

int cmd_reg(const struct opts *o, int argc, char **argv)
{
	const char *slot = NULL, *op;
	struct gtt_backend *be;
	struct gtt_vfio_info info;
	struct reg_at r;
	uint64_t value = 0;
	bool write;
	int i = 1, err;
	char who[64];

	if (argc >= 1 && !strcmp(argv[0], "names") && argc == 1)
		return reg_list(o);
	if (argc < 1 || (strcmp(argv[0], "read") && strcmp(argv[0], "write")))
		return usage_error("reg wants read, write or names%s", "");
	op = argv[0];
	write = !strcmp(op, "write");
	if (!(o->mock && o->dry_run)) {		/* --mock PLATFORM --dry-run needs no SLOT */
		if (o->mock)
			return usage_error("reg on --mock is a dry run only: add --dry-run%s", "");
		slot = i < argc ? argv[i++] : NULL;
	}
	if (i >= argc || argc - i != (write ? 2 : 1))
		return usage_error(write ? "reg write wants %sOFFSET VALUE" : "reg read wants %sOFFSET",
				   o->mock ? "" : "SLOT ");
	err = parse_reg(o, argv[i], &r);
	if (err)
		return err;
	if (write && (!parse_u64(argv[i + 1], &value) ||
		      (r.width < 8 && value >> (8 * r.width))))
		return usage_error("reg write wants a VALUE that fits the register, not '%s'",
				   argv[i + 1]);
	if (o->dry_run)
		return reg_dry_run(o, slot, &r, write, value);
	err = reg_open(o, slot, write, &be, &info);
	if (err)
		return err;
	snprintf(who, sizeof(who), "%s%s%s", slot, info.platform ? " " : "",
		 info.platform ? info.platform->name : "");
	err = write ? gtt_vfio_reg_write(be, r.config ? GTT_VFIO_SPACE_CONFIG : GTT_VFIO_SPACE_BAR,
					 r.offset, r.width, value)
		    : gtt_vfio_reg_read(be, r.config ? GTT_VFIO_SPACE_CONFIG : GTT_VFIO_SPACE_BAR,
					r.offset, r.width, &value);
	if (err) {
		fail("reg");
	} else if (o->json) {
		reg_json(who, &r, write, false, true, value);
	} else {
		reg_line(who, info.bar, &r, write, false, true, value);
		print_notes(&r, info.platform, !write, value);
	}
	gtt_backend_destroy(be);
	return err ? 1 : 0;
}
