/* SPDX-License-Identifier: MIT */
/*
 * gttctl replay's pictures: what a replay's intervals are turned into
 * (gttctl_picture.c: an RGB image in memory), their labels (gttctl_font.c)
 * and how an image becomes a file (gttctl_png.c).  The geometry and colours are here so that tests
 * can check pixels; docs/replay.md describes them for readers.
 */
#ifndef GTTCTL_PICTURE_H
#define GTTCTL_PICTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <gtt/trace.h>

/* What a pixel of the map shows. */
enum pic_state {
	PIC_FREE,	/* in a hole */
	PIC_BOUND,	/* in a node of a binding (a sparse vma: all of it) */
	PIC_GUARD,	/* a colour-guard page, or a node with no binding */
	PIC_PENDING,	/* a bind there would wait for a pending unbind */
	PIC_STATES,
};

#define PIC_POLICIES 8		/* curve colours of --plot (--compare's limit) */
#define PIC_MAP_GAP 8		/* grey columns between the maps of two runs */
#define PIC_PLOT_STRIPS 4	/* free, largest hole, holes, fragmentation */
#define PIC_PLOT_STRIP_H 100	/* pixels of one strip's curve area */
#define PIC_BAND 14	/* rows of a label band (map, above each strip) */
#define PIC_PLOT_GAP 6		/* rows below the last strip */
#define PIC_PLOT_H (PIC_PLOT_STRIPS * (PIC_BAND + PIC_PLOT_STRIP_H) + PIC_PLOT_GAP)
#define PIC_MAX_WIDTH 16384	/* --map-width, --plot-width */
#define PIC_GLYPH_W 4		/* font dots across a character, its gap included */
#define PIC_GLYPH_H 5		/* font dots down */
#define PIC_TEXT_SCALE 2	/* pixels a dot in the labels */

extern const uint8_t pic_state_rgb[PIC_STATES][3];
extern const uint8_t pic_policy_rgb[PIC_POLICIES][3];
extern const uint8_t pic_gap_rgb[3];		/* between maps */
extern const uint8_t pic_plot_bg_rgb[3];	/* the plot around its strips */
extern const uint8_t pic_strip_rgb[3];		/* a strip's background */
extern const uint8_t pic_grid_rgb[3];		/* its lines at 1/4, 1/2, 3/4 */
extern const uint8_t pic_text_rgb[3];		/* labels */

/* An 8-bit RGB image, rows top down, 3 bytes a pixel. */
struct pic_image {
	unsigned int w, h;
	uint8_t *rgb;
};

/* The replayed vm's range (from the trace's vm record). */
struct pic_vm {
	uint64_t start, size, page_size;
	bool color_guard;
};

/* What one replay leaves for the pictures: a map row and the figures of
 * every interval. */
struct pic_run;

/* A run drawing maps @width pixels wide (1 to PIC_MAX_WIDTH, at most a
 * pixel a byte of the vm).  NULL: out of memory or a bad size. */
struct pic_run *pic_run_new(const struct pic_vm *vm, unsigned int width);
void pic_run_free(struct pic_run *r);
/*
 * Take the state of @vm at the end of the interval @st (call it from a
 * gtt_replay_vm_fn).  A failure (out of memory) is kept and returned by
 * pic_run_error().
 */
void pic_run_add(struct pic_run *r, const struct gtt_replay_stats *st,
		 struct gtt_vm *vm);
/* 0, or the first error of pic_run_add(). */
int pic_run_error(const struct pic_run *r);
/* Intervals taken so far. */
uint64_t pic_run_rows(const struct pic_run *r);
/* The map state of pixel @x in the row of interval @row. */
enum pic_state pic_run_state(const struct pic_run *r, uint64_t row, unsigned int x);

/*
 * The map of @n runs side by side (left to right, PIC_MAP_GAP grey columns
 * between them), @row_h pixels per interval, top down, from row
 * pic_map_top(@names); with @names (or NULL) a band of PIC_BAND rows above
 * names the runs, and one below is the colour key.  The runs must have as
 * many rows.  0, -EINVAL, -ENOMEM.
 */
int pic_map(struct pic_run *const *runs, const char *const *names, int n,
	    unsigned int row_h, struct pic_image *out);
/* The first row of the map's intervals. */
unsigned int pic_map_top(const char *const *names);
/*
 * The figures of @n runs (at most PIC_POLICIES) over time, @width pixels
 * wide, PIC_PLOT_H high: see pic_plot_y().  Each strip is labelled above
 * with its figure and scale; @names (or NULL) label the curves' colours.
 * 0, -EINVAL, -ENOMEM.
 */
int pic_plot(struct pic_run *const *runs, const char *const *names, int n,
	     unsigned int width, struct pic_image *out);
/* The first column of interval @i of @n in a plot @width wide. */
unsigned int pic_plot_x(uint64_t i, uint64_t n, unsigned int width);
/* The row of value @num / @den (clamped to [0, 1]) in strip @strip. */
unsigned int pic_plot_y(int strip, uint64_t num, uint64_t den);
void pic_image_free(struct pic_image *img);
/* Draw @s at (@x, @y), its top left, @scale pixels a dot (gttctl_font.c);
 * clipped to the image.  Return: the width drawn. */
unsigned int pic_text(struct pic_image *img, unsigned int x, unsigned int y,
		      unsigned int scale, const char *s, const uint8_t rgb[3]);

/* Write @img to @path as a PNG (gttctl_png.c).  0, or -errno / -EIO with
 * a message on stderr. */
int pic_png_write(const struct pic_image *img, const char *path);

#endif
