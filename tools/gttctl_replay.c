/* SPDX-License-Identifier: MIT */
/*
 * gttctl replay TRACE: replay a recorded trace (gtt/trace.h) on a mock and
 * print, per interval and in total, what the vm did and how fragmented its
 * address space was; --compare replays it once per policy.  --map and
 * --plot hand each interval's vm to gttctl_picture.c and write what it
 * draws with gttctl_png.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gtt/gtt.h>

#include "gttctl.h"
#include "gttctl_picture.h"

#define MAX_POLICIES 8
#define EXIT_BAD_TRACE 3
#define PIC_ROWS 256		/* rows a picture aims at without --interval */
#define PIC_WIDTH 1024		/* default --map-width and --plot-width */

struct policy {
	char name[64];
	struct gtt_replay_config cfg;
};

struct run {
	const struct opts *o;
	bool first_interval;
	struct pic_run *pic;	/* --map/--plot, or NULL */
	struct gtt_backend *be;	/* --mock's table, or NULL (generic) */
	uint64_t be_size;	/* its size */
	int dump_err;		/* --dump-end's */
	bool total_printed;	/* by --dump-end, before the state */
};

static const char *placement_str(int p)
{
	return p == GTT_PLACE_BEST ? "best" : p == GTT_PLACE_LOW ? "low" :
	       p == GTT_PLACE_HIGH ? "high" : "recorded";
}

static const char *avoid_str(int a)
{
	return a == 1 ? "on" : a == 0 ? "off" : "recorded";
}

/* ROSTER on replay is the replay's fifo roster (gtt/trace.h). */
static const char *evict_str(int e)
{
	return e == GTT_EVICT_LRU ? "lru" : e == GTT_EVICT_ROSTER ? "fifo" : "fewest";
}

/* "placement=low+avoid=off+evict=lru" into @p (0, or 2 after a usage error). */
static int parse_policy(const char *spec, struct policy *p)
{
	char buf[128], *save = NULL, *tok;

	p->cfg.placement = GTT_REPLAY_AS_RECORDED;
	p->cfg.avoid_pending = GTT_REPLAY_AS_RECORDED;
	if (strlen(spec) >= sizeof(buf))
		return usage_error("policy '%s' is too long", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		if (!strcmp(tok, "placement=best"))
			p->cfg.placement = GTT_PLACE_BEST;
		else if (!strcmp(tok, "placement=low"))
			p->cfg.placement = GTT_PLACE_LOW;
		else if (!strcmp(tok, "placement=high"))
			p->cfg.placement = GTT_PLACE_HIGH;
		else if (!strcmp(tok, "placement=recorded"))
			p->cfg.placement = GTT_REPLAY_AS_RECORDED;
		else if (!strcmp(tok, "avoid=on"))
			p->cfg.avoid_pending = 1;
		else if (!strcmp(tok, "avoid=off"))
			p->cfg.avoid_pending = 0;
		else if (!strcmp(tok, "avoid=recorded"))
			p->cfg.avoid_pending = GTT_REPLAY_AS_RECORDED;
		else if (!strcmp(tok, "evict=fewest"))
			p->cfg.evict_order = GTT_EVICT_FEWEST;
		else if (!strcmp(tok, "evict=lru"))
			p->cfg.evict_order = GTT_EVICT_LRU;
		else if (!strcmp(tok, "evict=fifo"))
			p->cfg.evict_order = GTT_EVICT_ROSTER;
		else
			return usage_error("unknown policy '%s' (placement=best|low|high|recorded, avoid=on|off|recorded, evict=fewest|lru|fifo, joined with +)", tok);
	}
	snprintf(p->name, sizeof(p->name), "placement=%s+avoid=%s+evict=%s",
		 placement_str(p->cfg.placement), avoid_str(p->cfg.avoid_pending),
		 evict_str(p->cfg.evict_order));
	return 0;
}

static void frag_str(uint64_t ppm, char *out, size_t n)
{
	snprintf(out, n, "%" PRIu64 ".%04" PRIu64, ppm / 1000000, ppm % 1000000 / 100);
}

static void print_header(void)
{
	printf("%9s %15s %8s %7s %7s %8s %11s %11s %8s %12s %12s %7s %7s\n",
	       "interval", "lines", "binds", "waited", "failed", "evicted",
	       "pte_writes", "pte_clears", "inval", "free", "largest_hole",
	       "holes", "frag");
}

static void print_row(const struct gtt_replay_stats *s)
{
	char lines[48], iv[24], frag[24];

	snprintf(lines, sizeof(lines), "%" PRIu64 "-%" PRIu64, s->first_line, s->last_line);
	if (s->interval == UINT64_MAX)
		snprintf(iv, sizeof(iv), "total");
	else
		snprintf(iv, sizeof(iv), "%" PRIu64, s->interval);
	frag_str(s->frag_ppm, frag, sizeof(frag));
	printf("%9s %15s %8" PRIu64 " %7" PRIu64 " %7" PRIu64 " %8" PRIu64 " %11" PRIu64
	       " %11" PRIu64 " %8" PRIu64 " %#12" PRIx64 " %#12" PRIx64 " %7" PRIu64 " %7s\n",
	       iv, lines, s->binds, s->bind_waits, s->binds_failed, s->evictions,
	       s->pte_writes, s->pte_clears, s->invalidations, s->free,
	       s->largest_hole, s->holes, frag);
}

static void json_row(const struct gtt_replay_stats *s)
{
	char frag[24];

	frag_str(s->frag_ppm, frag, sizeof(frag));
	printf("{");
	if (s->interval != UINT64_MAX)
		printf("\"interval\": %" PRIu64 ", ", s->interval);
	printf("\"first_line\": %" PRIu64 ", \"last_line\": %" PRIu64 ", \"records\": %" PRIu64
	       ", \"binds\": %" PRIu64 ", \"binds_waited\": %" PRIu64 ", \"binds_failed\": %" PRIu64
	       ", \"unbinds\": %" PRIu64 ", \"evictions\": %" PRIu64 ", \"batches\": %" PRIu64
	       ", \"pte_writes\": %" PRIu64 ", \"pte_clears\": %" PRIu64 ", \"invalidations\": %" PRIu64
	       ", \"placement_diffs\": %" PRIu64 ", \"result_diffs\": %" PRIu64
	       ", \"free\": %" PRIu64 ", \"largest_hole\": %" PRIu64 ", \"holes\": %" PRIu64
	       ", \"fragmentation\": %s, \"backend_errors\": %" PRIu64 "}",
	       s->first_line, s->last_line, s->records, s->binds, s->bind_waits,
	       s->binds_failed, s->unbinds, s->evictions, s->batches, s->pte_writes,
	       s->pte_clears, s->invalidations, s->placement_diffs, s->result_diffs,
	       s->free, s->largest_hole, s->holes, frag, s->backend_errors);
}

static void on_interval(void *arg, const struct gtt_replay_stats *st)
{
	struct run *r = arg;

	if (!r->o->json) {
		print_row(st);
		return;
	}
	printf("%s\n      ", r->first_interval ? "" : ",");
	json_row(st);
	r->first_interval = false;
}

static void on_vm(void *arg, struct gtt_vm *vm, const struct gtt_replay_stats *st)
{
	struct run *r = arg;

	if (!st)
		return;
	if (st->interval != UINT64_MAX) {
		if (r->pic)
			pic_run_add(r->pic, st, vm);
		return;
	}
	/* --dump-end: the state the trace left, before the vm goes. */
	if (r->o->dump_end) {
		print_row(st);
		r->total_printed = true;
		printf("state at the end of the trace:\n");
		r->dump_err = gtt_vm_dump(vm, stdout);
		if (!r->dump_err && r->be) {
			printf("the table, [0x0, +0x%" PRIx64 "):\n", r->be_size);
			r->dump_err = gtt_backend_dump(r->be, 0, r->be_size, stdout);
		}
	}
}

/* The --mock PLATFORM backend for one run (NULL: the library's generic one). */
int replay_backend(const struct opts *o, struct gtt_backend **be, uint64_t *size)
{
	const struct gtt_intel_platform *p;
	struct gtt_mock_config mc = { .page_size = PAGE, .scratch_addr = 0x1000 };

	*be = NULL;
	if (!o->mock)
		return 0;
	p = gtt_intel_find(o->mock);
	if (!p)
		return usage_error("unknown platform '%s'", o->mock);
	if (o->ppgtt && !p->ppgtt_levels)
		return usage_error("%s has no PPGTT layout here (gen6 and later)", p->name);
	mc.intel_family = p->family;
	mc.mode = o->ppgtt ? GTT_MOCK_INTEL_PPGTT : GTT_MOCK_INTEL_GGTT;
	mc.size = o->ppgtt ? 1ull << p->ppgtt_bits : 4ull << 30;
	if (gtt_mock_create(&mc, be))
		return fail("mock");
	if (size)
		*size = mc.size;
	return 0;
}

static int replay_one(const struct opts *o, const char *path, struct policy *p,
		      bool first, struct pic_run *pic)
{
	struct run r = { .o = o, .first_interval = true, .pic = pic };
	struct gtt_replay_stats total;
	struct gtt_backend *be;
	uint64_t line = 0;
	FILE *in;
	int err;

	err = replay_backend(o, &be, &r.be_size);
	if (err)
		return err;
	r.be = be;
	in = fopen(path, "r");
	if (!in) {
		fprintf(stderr, "gttctl: replay: cannot open %s: %s\n", path, strerror(errno));
		gtt_backend_destroy(be);
		return 1;
	}
	p->cfg.backend = be;
	p->cfg.on_interval = on_interval;
	p->cfg.on_vm = pic || o->dump_end ? on_vm : NULL;
	p->cfg.arg = &r;
	if (o->json)
		printf("%s\n    {\"policy\": {\"placement\": \"%s\", \"avoid_pending\": \"%s\", \"evict\": \"%s\", \"timing\": \"%s\"},\n     \"intervals\": [",
		       first ? "" : ",", placement_str(p->cfg.placement),
		       avoid_str(p->cfg.avoid_pending), evict_str(p->cfg.evict_order),
		       p->cfg.timing == GTT_REPLAY_ASAP ? "asap" : "recorded");
	else
		printf("%spolicy %s, timing %s, on %s\n", first ? "" : "\n", p->name,
		       p->cfg.timing == GTT_REPLAY_ASAP ? "asap" : "recorded",
		       o->mock ? o->mock : "a generic mock");
	if (!o->json)
		print_header();
	err = gtt_trace_replay(in, &p->cfg, &total, &line);
	fclose(in);
	gtt_backend_destroy(be);
	if (err) {
		fflush(stdout);
		fprintf(stderr, "gttctl: replay %s: %s\n", path, gtt_last_error());
		return err == -EBADMSG ? EXIT_BAD_TRACE : 1;
	}
	if (r.dump_err) {
		fprintf(stderr, "gttctl: replay %s: --dump-end: %s\n", path, gtt_last_error());
		return 1;
	}
	if (pic && pic_run_error(pic)) {
		fprintf(stderr, "gttctl: replay %s: out of memory for the pictures\n", path);
		return 1;
	}
	if (o->json) {
		printf("],\n     \"total\": ");
		json_row(&total);
		printf("}");
	} else {
		if (!r.total_printed)
			print_row(&total);
		if (total.backend_errors)
			printf("%9s %" PRIu64 " backend calls failed (PTE writes the mock refused: failed asynchronous binds are counted here only)\n",
			       "", total.backend_errors);
		if (total.placement_diffs || total.result_diffs)
			printf("%9s %" PRIu64 " binds placed elsewhere than recorded, %" PRIu64 " calls with another result\n",
			       "", total.placement_diffs, total.result_diffs);
	}
	return 0;
}

/* "key=0x..." of a vm record's text into @out: false if it is missing. */
static bool vm_field(const char *line, const char *key, uint64_t *out)
{
	for (const char *p = strstr(line, key); p; p = strstr(p + 1, key))
		if (p[-1] == ' ') {
			char num[32];
			size_t len = strcspn(p + strlen(key), " \t");

			if (len >= sizeof(num))
				return false;
			memcpy(num, p + strlen(key), len);
			num[len] = 0;
			return parse_u64(num, out);
		}
	return false;
}

/* A vm the replay can make (its rec_vm() checks): else the replay, not the
 * pictures, says what is wrong with the record. */
static bool pic_vm_valid(const struct pic_vm *vm)
{
	uint64_t page = vm->page_size;

	return page >= 4096 && !(page & (page - 1)) && vm->size && !(vm->size % page) &&
	       !(vm->start % page) && vm->start <= UINT64_MAX - vm->size;
}

/*
 * What the pictures need before the replay: the records (to choose the
 * interval) and the vm's range.  False if the trace cannot be read or has
 * no well-formed vm record; the replay then says what is wrong with it.
 */
static bool scan_trace(const char *path, uint64_t *records, struct pic_vm *vm)
{
	char *line = NULL;
	size_t cap = 0;
	bool header = false, found = false;
	uint64_t flags = 0;
	FILE *f = fopen(path, "r");

	*records = 0;
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!header) {
			header = true;
			continue;
		}
		++*records;
		if (!found && !strncmp(line, "vm ", 3))
			found = vm_field(line, "start=", &vm->start) &&
				vm_field(line, "size=", &vm->size) &&
				vm_field(line, "page_size=", &vm->page_size) &&
				vm_field(line, "flags=", &flags) && pic_vm_valid(vm);
	}
	free(line);
	fclose(f);
	vm->color_guard = flags & GTT_VM_COLOR_GUARD;
	return found;
}

static int write_picture(const char *path, int err, struct pic_image *img,
			 const char *what)
{
	if (err) {
		fprintf(stderr, "gttctl: replay: cannot draw the %s: %s\n", what, strerror(-err));
		return 1;
	}
	err = pic_png_write(img, path);
	if (!err)
		fprintf(stderr, "gttctl: replay: %s %s, %ux%u\n", what, path, img->w, img->h);
	pic_image_free(img);
	return err ? 1 : 0;
}

/* --map and --plot of the runs (0, or the exit status). */
static int draw(const struct opts *o, struct pic_run *const *runs,
		const struct policy *pol, int n, uint64_t rows)
{
	const char *names[MAX_POLICIES];
	struct pic_image img;
	unsigned int row_h = o->map_row;
	int rc = 0;

	if (!row_h)
		row_h = rows >= PIC_ROWS ? 1 : rows * 16 <= PIC_ROWS ? 16 : (unsigned int)(PIC_ROWS / rows);
	for (int i = 0; i < n; i++)
		names[i] = pol[i].name;
	if (o->map)
		rc = write_picture(o->map, pic_map(runs, n > 1 ? names : NULL, n, row_h, &img),
				   &img, "map");
	if (o->plot && !rc)
		rc = write_picture(o->plot, pic_plot(runs, n > 1 ? names : NULL, n,
						     o->plot_width ? o->plot_width : PIC_WIDTH, &img),
				   &img, "plot");
	return rc;
}

/* The pictures' checks and the interval they want (0, or the exit status). */
static int pictures_setup(struct opts *o, const char *path, struct pic_vm *vm,
			  bool *have_vm)
{
	uint64_t records;

#ifndef GTTCTL_HAVE_PNG
	fprintf(stderr, "gttctl: --map and --plot need a gttctl built with libpng (Debian libpng-dev; meson -Dpng=enabled)\n");
	return 2;
#endif
	*have_vm = scan_trace(path, &records, vm);
	if (*have_vm && o->map_width > vm->size) {
		char w[16];

		snprintf(w, sizeof(w), "%u", o->map_width);
		return usage_error("--map-width %s is more pixels than the vm has bytes", w);
	}
	if (o->interval_set && !o->interval)
		return usage_error("--map and --plot draw intervals: --interval %s is not one", "0");
	if (!o->interval_set)
		o->interval = records > PIC_ROWS ? (records + PIC_ROWS - 1) / PIC_ROWS : 1;
	return 0;
}

int cmd_replay(const struct opts *o_in, const char *path)
{
	struct policy pol[MAX_POLICIES];
	struct pic_run *pics[MAX_POLICIES] = { 0 };
	struct pic_vm vm = { 0 };
	struct opts o = *o_in;
	bool want_pics = o.map || o.plot, have_vm = false;
	int n = 0, err;

	if (!path)
		return usage_error("replay needs a TRACE%s", "");
	if (o.dump_end && o.json)
		return usage_error("--dump-end prints text: not with --json%s", "");
	if (want_pics && (err = pictures_setup(&o, path, &vm, &have_vm)))
		return err;
	memset(pol, 0, sizeof(pol));
	if (o.compare) {
		char buf[512], *save = NULL, *tok;

		if (strlen(o.compare) >= sizeof(buf))
			return usage_error("--compare '%s' is too long", o.compare);
		snprintf(buf, sizeof(buf), "%s", o.compare);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (n == MAX_POLICIES)
				return usage_error("--compare takes at most 8 policies%s", "");
			if ((err = parse_policy(tok, &pol[n++])))
				return err;
		}
		if (n < 1)
			return usage_error("--compare wants POLICY,POLICY...%s", "");
	} else if ((err = parse_policy(o.policy ? o.policy : "", &pol[n++]))) {
		return err;
	}
	for (int i = 0; i < n; i++) {
		pol[i].cfg.interval = o.interval;
		pol[i].cfg.timing = o.asap ? GTT_REPLAY_ASAP : GTT_REPLAY_RECORDED;
		if (want_pics && have_vm &&
		    !(pics[i] = pic_run_new(&vm, o.map_width ? o.map_width : PIC_WIDTH))) {
			fprintf(stderr, "gttctl: replay: out of memory for the pictures\n");
			err = 1;
			goto out;
		}
	}
	if (o.json) {
		printf("{\"trace\": ");
		json_str(path);
		printf(", \"runs\": [");
	}
	for (int i = 0; i < n; i++) {
		err = replay_one(&o, path, &pol[i], i == 0, pics[i]);
		if (err)
			goto out;
	}
	if (o.json)
		printf("\n  ]}\n");
	fflush(stdout);
	err = 0;
	if (want_pics && !have_vm) {
		fprintf(stderr, "gttctl: replay %s: no vm record that the pictures can read\n", path);
		err = EXIT_BAD_TRACE;
	} else if (want_pics) {
		err = draw(&o, pics, pol, n, pic_run_rows(pics[0]));
	}
out:
	for (int i = 0; i < n; i++)
		pic_run_free(pics[i]);
	return err;
}
