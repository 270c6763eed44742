/* SPDX-License-Identifier: MIT */
/*
 * DOC: gttctl replay's pictures, drawn in memory
 *
 * A run (struct pic_run) keeps, for each interval of a replay, one row of
 * the address-space map — a state per pixel — and the interval's
 * fragmentation figures.  pic_map() and pic_plot() turn runs into RGB
 * images; writing them out is gttctl_png.c's job.
 *
 * A map row: pixel x covers the addresses [start + x * size / width,
 * start + (x + 1) * size / width) of the vm.  The allocator's nodes are
 * bound (a binding owns them) or guard (nothing does); the gaps between
 * nodes are free, except that under colour guards the first page of a
 * gap between nodes of different colours is guard (the page the rule
 * keeps free between them).  A pixel shows the state that covers most of
 * its bytes (ties: bound, guard, free), or pending when a bind into its
 * range would wait for an unbind whose clear has not run (gtt_vm_pending():
 * the unbind's range, and under colour guards a page more each side).
 *
 * Only the calling thread uses a run; the vm is read, never changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gtt/range_alloc.h>
#include <gtt/vm.h>

#include "gttctl_picture.h"

const uint8_t pic_state_rgb[PIC_STATES][3] = {
	[PIC_FREE] = { 0xff, 0xff, 0xff },	/* white */
	[PIC_BOUND] = { 0x1f, 0x77, 0xb4 },	/* blue */
	[PIC_GUARD] = { 0xd6, 0x27, 0x28 },	/* red */
	[PIC_PENDING] = { 0xff, 0x9f, 0x1c },	/* orange */
};

/* One colour per run of --compare, in order. */
const uint8_t pic_policy_rgb[PIC_POLICIES][3] = {
	{ 0x1f, 0x77, 0xb4 }, { 0xd6, 0x27, 0x28 }, { 0x2c, 0xa0, 0x2c },
	{ 0x94, 0x67, 0xbd }, { 0xff, 0x7f, 0x0e }, { 0x8c, 0x56, 0x4b },
	{ 0xe3, 0x77, 0xc2 }, { 0x17, 0xbe, 0xcf },
};
const uint8_t pic_gap_rgb[3] = { 0x80, 0x80, 0x80 };
const uint8_t pic_plot_bg_rgb[3] = { 0xff, 0xff, 0xff };
const uint8_t pic_strip_rgb[3] = { 0xee, 0xee, 0xee };
const uint8_t pic_grid_rgb[3] = { 0xcc, 0xcc, 0xcc };
const uint8_t pic_text_rgb[3] = { 0x20, 0x20, 0x20 };

struct pic_sample {
	uint64_t free, largest_hole, holes, frag_ppm;
};

struct pic_run {
	struct pic_vm vm;
	unsigned int width;
	uint8_t *rows;			/* width states per row */
	struct pic_sample *samples;	/* one per row */
	uint64_t nrows, cap;
	uint64_t (*bytes)[3];		/* per pixel: free, bound, guard bytes */
	int err;
};

struct pic_run *pic_run_new(const struct pic_vm *vm, unsigned int width)
{
	struct pic_run *r;

	/* At least a byte a pixel. */
	if (!width || width > PIC_MAX_WIDTH || !vm->size || !vm->page_size || width > vm->size)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->vm = *vm;
	r->width = width;
	r->bytes = calloc(width, sizeof(*r->bytes));
	if (!r->bytes) {
		free(r);
		return NULL;
	}
	return r;
}

void pic_run_free(struct pic_run *r)
{
	if (!r)
		return;
	free(r->rows);
	free(r->samples);
	free(r->bytes);
	free(r);
}

int pic_run_error(const struct pic_run *r)
{
	return r->err;
}

uint64_t pic_run_rows(const struct pic_run *r)
{
	return r->nrows;
}

enum pic_state pic_run_state(const struct pic_run *r, uint64_t row, unsigned int x)
{
	return (enum pic_state)r->rows[row * r->width + x];
}

/* First address of pixel @x (x == width: the vm's end). */
static uint64_t px_lo(const struct pic_run *r, unsigned int x)
{
	return r->vm.start + (uint64_t)((unsigned __int128)r->vm.size * x / r->width);
}

/* The pixel holding @addr (inside the vm). */
static unsigned int px_of(const struct pic_run *r, uint64_t addr)
{
	unsigned int x = (unsigned int)((unsigned __int128)(addr - r->vm.start) * r->width /
					r->vm.size);

	/* Rounding may put @addr one pixel off either way. */
	while (x > 0 && px_lo(r, x) > addr)
		x--;
	while (x + 1 < r->width && px_lo(r, x + 1) <= addr)
		x++;
	return x;
}

/* Count the bytes of [@a, @b) as state @s (PIC_FREE..PIC_GUARD). */
static void paint(struct pic_run *r, uint64_t a, uint64_t b, enum pic_state s)
{
	uint64_t end = r->vm.start + r->vm.size;

	if (a < r->vm.start)
		a = r->vm.start;
	if (b > end)
		b = end;
	if (a >= b)
		return;
	for (unsigned int x = px_of(r, a); x < r->width; x++) {
		uint64_t lo = px_lo(r, x), hi = px_lo(r, x + 1);

		if (lo >= b)
			break;
		r->bytes[x][s] += (hi < b ? hi : b) - (lo > a ? lo : a);
	}
}

/* The gap [@a, @b) between a node of colour @pc (if @has_prev) and one of
 * colour @nc (if @has_next). */
static void paint_gap(struct pic_run *r, uint64_t a, uint64_t b, bool has_prev,
		      uint32_t pc, bool has_next, uint32_t nc)
{
	if (a >= b)
		return;
	if (r->vm.color_guard && has_prev && has_next && pc != nc) {
		uint64_t g = b - a < r->vm.page_size ? b : a + r->vm.page_size;

		paint(r, a, g, PIC_GUARD);
		a = g;
	}
	paint(r, a, b, PIC_FREE);
}

static enum pic_state plurality(const uint64_t bytes[3])
{
	enum pic_state s = PIC_BOUND;

	if (bytes[PIC_GUARD] > bytes[s])
		s = PIC_GUARD;
	if (bytes[PIC_FREE] > bytes[s])
		s = PIC_FREE;
	return s;
}

/* Would a bind into [@lo, @hi) wait for a pending unbind? */
static bool pending_at(struct gtt_vm *vm, uint64_t lo, uint64_t hi)
{
	size_t n = 0;

	return gtt_vm_pending(vm, lo, hi - lo, &n) == 0 && n > 0;
}

static int grow(struct pic_run *r)
{
	uint64_t cap = r->cap ? r->cap * 2 : 256;
	uint8_t *rows;
	struct pic_sample *s;

	rows = realloc(r->rows, cap * r->width);
	if (!rows)
		return -ENOMEM;
	r->rows = rows;
	s = realloc(r->samples, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	r->samples = s;
	r->cap = cap;
	return 0;
}

void pic_run_add(struct pic_run *r, const struct gtt_replay_stats *st,
		 struct gtt_vm *vm)
{
	struct gtt_range_alloc *ra = gtt_vm_range_alloc(vm);
	struct gtt_range_node *n;
	uint64_t prev_end = r->vm.start;
	uint32_t pc = 0;
	bool has_prev = false;
	uint8_t *row;

	if (r->err)
		return;
	if (r->nrows == r->cap && (r->err = grow(r)))
		return;
	memset(r->bytes, 0, r->width * sizeof(*r->bytes));
	for (n = gtt_range_first(ra); n; n = gtt_range_next(ra, n)) {
		uint64_t s = gtt_range_node_start(n), e = s + gtt_range_node_size(n);
		uint32_t c = gtt_range_node_color(n);

		paint_gap(r, prev_end, s, has_prev, pc, true, c);
		paint(r, s, e, gtt_range_node_owner(n) ? PIC_BOUND : PIC_GUARD);
		prev_end = e;
		pc = c;
		has_prev = true;
	}
	paint_gap(r, prev_end, r->vm.start + r->vm.size, has_prev, pc, false, 0);
	row = r->rows + r->nrows * r->width;
	for (unsigned int x = 0; x < r->width; x++)
		row[x] = pending_at(vm, px_lo(r, x), px_lo(r, x + 1)) ?
			 PIC_PENDING : plurality(r->bytes[x]);
	r->samples[r->nrows++] = (struct pic_sample){
		.free = st->free, .largest_hole = st->largest_hole,
		.holes = st->holes, .frag_ppm = st->frag_ppm,
	};
}

/* ---- images ---- */

static int image_new(struct pic_image *img, unsigned int w, unsigned int h,
		     const uint8_t fill[3])
{
	img->w = w;
	img->h = h;
	img->rgb = malloc((size_t)w * h * 3);
	if (!img->rgb)
		return -ENOMEM;
	for (size_t i = 0; i < (size_t)w * h; i++)
		memcpy(img->rgb + i * 3, fill, 3);
	return 0;
}

static void put(struct pic_image *img, unsigned int x, unsigned int y, const uint8_t c[3])
{
	if (x < img->w && y < img->h)
		memcpy(img->rgb + ((size_t)y * img->w + x) * 3, c, 3);
}

void pic_image_free(struct pic_image *img)
{
	free(img->rgb);
	img->rgb = NULL;
}

unsigned int pic_map_top(const char *const *names)
{
	return names ? PIC_BAND : 0;
}

/* The colour key in the band from row @y: a swatch and a word per state. */
static void map_key(struct pic_image *img, unsigned int y)
{
	static const enum pic_state order[] = { PIC_BOUND, PIC_PENDING, PIC_FREE, PIC_GUARD };
	static const char *const words[] = {
		[PIC_BOUND] = "bound", [PIC_PENDING] = "pending unbind",
		[PIC_FREE] = "free", [PIC_GUARD] = "colour guard / reserved",
	};
	unsigned int x = 2, sw = PIC_GLYPH_H * PIC_TEXT_SCALE;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		for (unsigned int dy = 0; dy < sw; dy++)
			for (unsigned int dx = 0; dx < sw; dx++)
				put(img, x + dx, y + dy,
				    dx && dy && dx + 1 < sw && dy + 1 < sw ?
				    pic_state_rgb[order[i]] : pic_text_rgb);
		x += sw + PIC_TEXT_SCALE * 2;
		x += pic_text(img, x, y, PIC_TEXT_SCALE, words[order[i]], pic_text_rgb);
		x += PIC_GLYPH_W * PIC_TEXT_SCALE * 2;
	}
}

int pic_map(struct pic_run *const *runs, const char *const *names, int n,
	    unsigned int row_h, struct pic_image *out)
{
	unsigned int top = pic_map_top(names), ty = (PIC_BAND - PIC_GLYPH_H * PIC_TEXT_SCALE) / 2;
	uint64_t rows, w, h;
	int err;

	out->rgb = NULL;
	if (n < 1 || !row_h)
		return -EINVAL;
	rows = runs[0]->nrows;
	w = (uint64_t)(n - 1) * PIC_MAP_GAP;
	for (int i = 0; i < n; i++) {
		if (runs[i]->nrows != rows)
			return -EINVAL;
		w += runs[i]->width;
	}
	if (!rows || w > UINT32_MAX || rows > UINT32_MAX / row_h)
		return -EINVAL;
	h = top + rows * row_h + PIC_BAND;
	if (h > UINT32_MAX / w / 3)
		return -EINVAL;
	if ((err = image_new(out, (unsigned int)w, (unsigned int)h, pic_gap_rgb)))
		return err;
	for (unsigned int y = 0; y < PIC_BAND; y++)
		for (unsigned int x = 0; x < out->w; x++) {
			put(out, x, out->h - 1 - y, pic_plot_bg_rgb);
			if (top)
				put(out, x, y, pic_plot_bg_rgb);
		}
	for (int i = 0, x0 = 0; i < n; x0 += (int)runs[i]->width + PIC_MAP_GAP, i++) {
		for (uint64_t y = 0; y < rows * row_h; y++)
			for (unsigned int x = 0; x < runs[i]->width; x++)
				put(out, (unsigned int)x0 + x, top + (unsigned int)y,
				    pic_state_rgb[pic_run_state(runs[i], y / row_h, x)]);
		if (names)
			pic_text(out, (unsigned int)x0 + 2, ty, PIC_TEXT_SCALE, names[i],
				 pic_policy_rgb[i % PIC_POLICIES]);
	}
	map_key(out, out->h - PIC_BAND + ty);
	return 0;
}

unsigned int pic_plot_x(uint64_t i, uint64_t n, unsigned int width)
{
	return (unsigned int)((unsigned __int128)i * width / n);
}

unsigned int pic_plot_y(int strip, uint64_t num, uint64_t den)
{
	unsigned int top = PIC_BAND + (unsigned int)strip * (PIC_PLOT_STRIP_H + PIC_BAND);
	uint64_t up;

	if (!den || num > den)
		num = den = 1;
	up = (uint64_t)(((unsigned __int128)num * (PIC_PLOT_STRIP_H - 1) * 2 + den) / (2 * (unsigned __int128)den));
	return top + PIC_PLOT_STRIP_H - 1 - (unsigned int)up;
}

/* @bytes as "256M": the largest unit it is a whole multiple of. */
static void size_str(uint64_t bytes, char *out, size_t n)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(out, n, "%llu", (unsigned long long)bytes);
	else
		snprintf(out, n, "%llu%c", (unsigned long long)bytes, units[u]);
}

/* The strips with their grid lines and labels, and the curves' legend. */
static void plot_frame(struct pic_image *img, uint64_t vm_size, uint64_t max_holes,
		       const char *const *names, int n)
{
	char size[24], label[PIC_PLOT_STRIPS][96];
	unsigned int ty = (PIC_BAND - PIC_GLYPH_H * PIC_TEXT_SCALE) / 2, x;

	size_str(vm_size, size, sizeof(size));
	snprintf(label[0], sizeof(label[0]), "free space (0 to %s, the vm)", size);
	snprintf(label[1], sizeof(label[1]), "largest hole (0 to %s)", size);
	snprintf(label[2], sizeof(label[2]), "holes (0 to %llu)", (unsigned long long)max_holes);
	snprintf(label[3], sizeof(label[3]), "external fragmentation, 1 - largest hole / free (0 to 1)");
	for (int s = 0; s < PIC_PLOT_STRIPS; s++) {
		unsigned int top = pic_plot_y(s, 1, 1);

		for (unsigned int y = top; y < top + PIC_PLOT_STRIP_H; y++)
			for (unsigned int x = 0; x < img->w; x++)
				put(img, x, y, pic_strip_rgb);
		for (int q = 1; q < 4; q++)
			for (unsigned int x = 0; x < img->w; x++)
				put(img, x, pic_plot_y(s, (uint64_t)q, 4), pic_grid_rgb);
		pic_text(img, 2, top - PIC_BAND + ty, PIC_TEXT_SCALE, label[s], pic_text_rgb);
	}
	/* The legend, right-aligned in the first band: a name per curve. */
	x = img->w;
	for (int i = n - 1; names && i >= 0; i--) {
		unsigned int w = (unsigned int)(strlen(names[i]) + 1) * PIC_GLYPH_W * PIC_TEXT_SCALE;

		if (w + 2 > x)
			break;
		x -= w;
		pic_text(img, x, ty, PIC_TEXT_SCALE, names[i], pic_policy_rgb[i]);
	}
}

/* Value of strip @s for @smp as num/den. */
static void strip_value(int s, const struct pic_sample *smp, uint64_t vm_size,
			uint64_t max_holes, uint64_t *num, uint64_t *den)
{
	switch (s) {
	case 0: *num = smp->free; *den = vm_size; break;
	case 1: *num = smp->largest_hole; *den = vm_size; break;
	case 2: *num = smp->holes; *den = max_holes; break;
	default: *num = smp->frag_ppm; *den = 1000000; break;
	}
}

int pic_plot(struct pic_run *const *runs, const char *const *names, int n,
	     unsigned int width, struct pic_image *out)
{
	uint64_t rows, max_holes = 1;
	int err;

	out->rgb = NULL;
	if (n < 1 || n > PIC_POLICIES || !width || width > PIC_MAX_WIDTH)
		return -EINVAL;
	rows = runs[0]->nrows;
	for (int i = 0; i < n; i++) {
		if (runs[i]->nrows != rows)
			return -EINVAL;
		for (uint64_t j = 0; j < rows; j++)
			if (runs[i]->samples[j].holes > max_holes)
				max_holes = runs[i]->samples[j].holes;
	}
	if (!rows)
		return -EINVAL;
	if ((err = image_new(out, width, PIC_PLOT_H, pic_plot_bg_rgb)))
		return err;
	plot_frame(out, runs[0]->vm.size, max_holes, names, n);
	/* A step per interval, joined by a vertical line at its first
	 * column; later runs draw over earlier ones. */
	for (int i = 0; i < n; i++) {
		for (int s = 0; s < PIC_PLOT_STRIPS; s++) {
			unsigned int prev_y = 0;

			for (uint64_t j = 0; j < rows; j++) {
				unsigned int x0 = pic_plot_x(j, rows, width);
				unsigned int x1 = pic_plot_x(j + 1, rows, width), y;
				uint64_t num, den;

				strip_value(s, &runs[i]->samples[j], runs[i]->vm.size,
					    max_holes, &num, &den);
				y = pic_plot_y(s, num, den);
				if (j && x0 < width)
					for (unsigned int k = prev_y < y ? prev_y : y;
					     k <= (prev_y < y ? y : prev_y); k++)
						put(out, x0, k, pic_policy_rgb[i]);
				for (unsigned int x = x0; x < x1 || x == x0; x++)
					put(out, x, y, pic_policy_rgb[i]);
				prev_y = y;
			}
		}
	}
	return 0;
}
