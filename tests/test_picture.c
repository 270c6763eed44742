/* SPDX-License-Identifier: MIT */
/*
 * gttctl replay's pictures (tools/gttctl_picture.c, tools/gttctl_png.c):
 * a small trace with known states — two bound vmas of different colours
 * with a guard page between them, a third unbound while the GPU still
 * uses it, then the GPU done — replayed one record per interval; the map's
 * pixels must show each state at its address and time, the plot's curves
 * the figures at their rows, and the PNG must decode (libpng) to the same
 * pixels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "gttctl_picture.h"

#ifdef GTTCTL_HAVE_PNG
#include <png.h>
#endif

#define VM_START 0x10000ull
#define VM_PAGES 32u

/* The trace, recorded by the library itself. */
static char *record_trace(void)
{
	struct gtt_mock_config mc = { .start = VM_START, .size = VM_PAGES * PAGE };
	struct gtt_vm_config vc = { .name = "pic", .start = VM_START, .size = VM_PAGES * PAGE,
				    .flags = GTT_VM_COLOR_GUARD };
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	struct gtt_fence *gpu;
	gtt_vma_t v[3];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	/* pages 0-3 colour 0, 5-8 colour 1 (4: the guard), 12-15 colour 1 */
	static const uint64_t at[3] = { 0, 5, 12 };
	static const uint32_t color[3] = { 0, 1, 1 };

	assert_non_null(f);
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(gtt_executor_create_manual(&ex), 0);
	vc.backend = be;
	vc.executor = ex;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_vm_trace_start(vm, &(struct gtt_trace_config){
		.file = f, .flags = GTT_TRACE_NO_TIME }), 0);
	for (int i = 0; i < 3; i++) {
		struct gtt_pages_segment seg = { 0x100000000ull + (uint64_t)i * 0x100000, 4 * PAGE };
		struct gtt_pages *p;

		assert_int_equal(gtt_pages_create(&seg, 1, 0, &p), 0);
		assert_int_equal(gtt_vma_create(vm, p, NULL, &v[i]), 0);
		gtt_pages_put(p);
		assert_int_equal(gtt_vma_bind(vm, v[i], &(struct gtt_bind_info){
			.flags = GTT_BIND_FIXED, .offset = VM_START + at[i] * PAGE,
			.color = color[i] }, NULL), 0);
	}
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(vm, v[2], gpu), 0);
	assert_int_equal(gtt_vma_unbind(vm, v[2], GTT_UNBIND_ASYNC, NULL), 0);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(ex);
	gtt_fence_put(gpu);
	assert_int_equal(gtt_vm_trace_stop(vm), 0);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	fclose(f);
	return text;
}

struct collect {
	struct pic_run *run;
	struct gtt_replay_stats last;
	uint64_t max_holes;
};

static void on_vm(void *arg, struct gtt_vm *vm, const struct gtt_replay_stats *st)
{
	struct collect *c = arg;

	if (!st || st->interval == UINT64_MAX)
		return;
	pic_run_add(c->run, st, vm);
	c->last = *st;
	if (st->holes > c->max_holes)
		c->max_holes = st->holes;
}

/* Replay @text one record per interval into a run @width pixels wide. */
static struct pic_run *replay(const char *text, unsigned int width, struct collect *c)
{
	static const struct pic_vm pv = { .start = VM_START, .size = VM_PAGES * PAGE,
					  .page_size = PAGE, .color_guard = true };
	struct gtt_replay_config cfg = { .placement = GTT_REPLAY_AS_RECORDED,
					 .avoid_pending = GTT_REPLAY_AS_RECORDED,
					 .interval = 1, .on_vm = on_vm, .arg = c };
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	memset(c, 0, sizeof(*c));
	c->run = pic_run_new(&pv, width);
	assert_non_null(c->run);
	assert_non_null(f);
	assert_int_equal(gtt_trace_replay(f, &cfg, NULL, NULL), 0);
	fclose(f);
	assert_int_equal(pic_run_error(c->run), 0);
	return c->run;
}

/* Row @row's states of pages [@a, @b) (one page a pixel) are all @s. */
static void expect(const struct pic_run *r, uint64_t row, unsigned int a, unsigned int b,
		   enum pic_state s)
{
	for (unsigned int x = a; x < b; x++) {
		if (pic_run_state(r, row, x) != s)
			fail_msg("row %llu page %u: state %d, want %d", (unsigned long long)row,
				 x, pic_run_state(r, row, x), s);
	}
}

/* The first row where page 12 shows a pending unbind. */
static uint64_t pending_row(const struct pic_run *r)
{
	for (uint64_t y = 0; y < pic_run_rows(r); y++)
		if (pic_run_state(r, y, 12) == PIC_PENDING)
			return y;
	fail_msg("no row shows the pending unbind");
	return 0;
}

static void test_map_states(void **state)
{
	char *text = record_trace();
	struct collect c;
	struct pic_run *r = replay(text, VM_PAGES, &c);
	uint64_t rows = pic_run_rows(r), p;

	(void)state;
	assert_true(rows >= 8);
	/* Before any bind: all free. */
	expect(r, 0, 0, VM_PAGES, PIC_FREE);
	p = pending_row(r);
	assert_true(p >= 1 && p + 1 < rows);
	/* Just before the unbind: three vmas, the guard page between colours,
	 * and a free gap (9-11) between two nodes of one colour. */
	expect(r, p - 1, 0, 4, PIC_BOUND);
	expect(r, p - 1, 4, 5, PIC_GUARD);
	expect(r, p - 1, 5, 9, PIC_BOUND);
	expect(r, p - 1, 9, 12, PIC_FREE);
	expect(r, p - 1, 12, 16, PIC_BOUND);
	expect(r, p - 1, 16, VM_PAGES, PIC_FREE);
	/* The unbind: its range, and under colour guards a page each side
	 * (a bind there would wait too), until the GPU is done. */
	expect(r, p, 0, 4, PIC_BOUND);
	expect(r, p, 4, 5, PIC_GUARD);
	expect(r, p, 5, 9, PIC_BOUND);
	expect(r, p, 9, 11, PIC_FREE);
	expect(r, p, 11, 17, PIC_PENDING);
	expect(r, p, 17, VM_PAGES, PIC_FREE);
	/* At the end the clear has run. */
	expect(r, rows - 1, 0, 4, PIC_BOUND);
	expect(r, rows - 1, 4, 5, PIC_GUARD);
	expect(r, rows - 1, 5, 9, PIC_BOUND);
	expect(r, rows - 1, 9, VM_PAGES, PIC_FREE);
	pic_run_free(r);
	/* No size: none, and no more pixels than the vm has bytes. */
	assert_null(pic_run_new(&(struct pic_vm){ .size = 4096, .page_size = 4096 }, 4097));
	assert_null(pic_run_new(&(struct pic_vm){ .size = 4096, .page_size = 4096 }, 0));
	assert_null(pic_run_new(&(struct pic_vm){ .size = 1u << 30, .page_size = 4096 }, PIC_MAX_WIDTH + 1));
	r = pic_run_new(&(struct pic_vm){ .size = 4096, .page_size = 4096 }, 4096);
	assert_non_null(r);
	pic_run_free(r);

	/* Two pages a pixel: pixel 2 is the guard and a bound page, pixel 4
	 * a bound and a free page (ties: bound); pixels 5 (pages 10-11) to 8
	 * (16-17) pending; pixel 9 (18-19) free. */
	r = replay(text, VM_PAGES / 2, &c);
	assert_int_equal(pic_run_state(r, p, 2), PIC_BOUND);
	assert_int_equal(pic_run_state(r, p, 4), PIC_BOUND);
	for (unsigned int x = 5; x <= 8; x++)
		assert_int_equal(pic_run_state(r, p, x), PIC_PENDING);
	assert_int_equal(pic_run_state(r, p, 9), PIC_FREE);
	assert_int_equal(pic_run_state(r, rows - 1, 4), PIC_BOUND);
	assert_int_equal(pic_run_state(r, rows - 1, 5), PIC_FREE);
	assert_int_equal(pic_run_state(r, p - 1, 6), PIC_BOUND);
	pic_run_free(r);
	/* Four pixels a page: the guard page is pixels 16-19. */
	r = replay(text, VM_PAGES * 4, &c);
	for (unsigned int x = 12; x < 24; x++)
		assert_int_equal(pic_run_state(r, p - 1, x), x < 16 || x >= 20 ? PIC_BOUND : PIC_GUARD);
	pic_run_free(r);
	free(text);
}

static const uint8_t *pixel(const struct pic_image *img, unsigned int x, unsigned int y)
{
	assert_true(x < img->w && y < img->h);
	return img->rgb + ((size_t)y * img->w + x) * 3;
}

static void expect_rgb(const struct pic_image *img, unsigned int x, unsigned int y,
		       const uint8_t rgb[3])
{
	const uint8_t *px = pixel(img, x, y);

	if (memcmp(px, rgb, 3))
		fail_msg("pixel (%u, %u) is %02x%02x%02x, want %02x%02x%02x", x, y,
			 px[0], px[1], px[2], rgb[0], rgb[1], rgb[2]);
}

static void test_map_image(void **state)
{
	char *text = record_trace();
	struct collect c1, c2;
	struct pic_run *runs[2];
	struct pic_image img;
	uint64_t p;
	unsigned int x2 = VM_PAGES + PIC_MAP_GAP;

	(void)state;
	/* The four states in four distinct colours. */
	for (int a = 0; a < PIC_STATES; a++)
		for (int b = a + 1; b < PIC_STATES; b++)
			assert_memory_not_equal(pic_state_rgb[a], pic_state_rgb[b], 3);
	runs[0] = replay(text, VM_PAGES, &c1);
	runs[1] = replay(text, VM_PAGES, &c2);
	p = pending_row(runs[0]);
	assert_int_equal(pic_map(runs, (const char *const[]){ "a", "b" }, 2, 3, &img), 0);
	assert_int_equal(img.w, 2 * VM_PAGES + PIC_MAP_GAP);
	assert_int_equal(img.h, PIC_BAND + 3 * pic_run_rows(runs[0]) + PIC_BAND);
	assert_int_equal(pic_map_top((const char *const[]){ "a" }), PIC_BAND);
	assert_int_equal(pic_map_top(NULL), 0);
	/* The key's first swatch: bound, inside a dark outline. */
	expect_rgb(&img, 2, img.h - PIC_BAND + 2, pic_text_rgb);
	expect_rgb(&img, 4, img.h - PIC_BAND + 4, pic_state_rgb[PIC_BOUND]);
	/* The bands are white from edge to edge, the maps end just above. */
	for (unsigned int x = 0; x < img.w; x += img.w - 1) {
		expect_rgb(&img, x, 0, pic_plot_bg_rgb);
		expect_rgb(&img, x, PIC_BAND - 1, pic_plot_bg_rgb);
		expect_rgb(&img, x, img.h - 1, pic_plot_bg_rgb);
		expect_rgb(&img, x, img.h - PIC_BAND, pic_plot_bg_rgb);
	}
	expect_rgb(&img, 1, img.h - PIC_BAND - 1, pic_state_rgb[PIC_BOUND]);
	expect_rgb(&img, 1, PIC_BAND, pic_state_rgb[PIC_FREE]);
	/* Each interval is three rows below the names; the second run right
	 * of the gap. */
	for (unsigned int dy = 0; dy < 3; dy++) {
		unsigned int y = PIC_BAND + (unsigned int)p * 3 + dy;

		for (unsigned int x0 = 0; x0 <= x2; x0 += x2) {
			expect_rgb(&img, x0 + 1, y, pic_state_rgb[PIC_BOUND]);
			expect_rgb(&img, x0 + 4, y, pic_state_rgb[PIC_GUARD]);
			expect_rgb(&img, x0 + 10, y, pic_state_rgb[PIC_FREE]);
			expect_rgb(&img, x0 + 13, y, pic_state_rgb[PIC_PENDING]);
			expect_rgb(&img, x0 + 13, y - 3, pic_state_rgb[PIC_BOUND]);
		}
		expect_rgb(&img, VM_PAGES, y, pic_gap_rgb);
		expect_rgb(&img, x2 - 1, y, pic_gap_rgb);
	}
	pic_image_free(&img);
	assert_int_equal(pic_map(runs, NULL, 2, 0, &img), -EINVAL);
	/* Without names, no band above: interval 0 is row 0. */
	assert_int_equal(pic_map(runs, NULL, 1, 1, &img), 0);
	assert_int_equal(img.h, pic_run_rows(runs[0]) + PIC_BAND);
	expect_rgb(&img, 0, 0, pic_state_rgb[PIC_FREE]);
	expect_rgb(&img, 4, (unsigned int)p, pic_state_rgb[PIC_GUARD]);
	pic_image_free(&img);
	pic_run_free(runs[0]);
	pic_run_free(runs[1]);
	free(text);
}

/* In column @x of strip @s, the curve is at @y alone, in colour @rgb. */
static void expect_curve(const struct pic_image *img, int s, unsigned int x,
			 unsigned int y, const uint8_t rgb[3])
{
	unsigned int top = pic_plot_y(s, 1, 1);

	for (unsigned int k = top; k < top + PIC_PLOT_STRIP_H; k++) {
		const uint8_t *px = pixel(img, x, k);
		bool curve = !memcmp(px, pic_strip_rgb, 3) ? false :
			     !memcmp(px, pic_grid_rgb, 3) ? false : true;

		if (k == y)
			expect_rgb(img, x, k, rgb);
		else if (curve)
			fail_msg("strip %d column %u: curve at row %u too (want only %u)", s, x, k, y);
	}
}

static void test_plot(void **state)
{
	char *text = record_trace();
	struct collect c1, c2;
	struct pic_run *runs[2];
	struct pic_image img;
	const struct gtt_replay_stats *st = &c1.last;
	uint64_t rows;
	unsigned int x;

	(void)state;
	/* The geometry: strip tops and bottoms. */
	assert_int_equal(pic_plot_y(0, 1, 1), PIC_BAND);
	assert_int_equal(pic_plot_y(0, 0, 1), PIC_BAND + PIC_PLOT_STRIP_H - 1);
	assert_int_equal(pic_plot_y(3, 1, 1), PIC_BAND + 3 * (PIC_PLOT_STRIP_H + PIC_BAND));
	assert_int_equal(pic_plot_y(3, 0, 1) + 1 + PIC_PLOT_GAP, PIC_PLOT_H);
	/* A half: 49.5 of the 99 steps up rounds to 50. */
	assert_int_equal(pic_plot_y(1, 1, 2), 2 * PIC_BAND + PIC_PLOT_STRIP_H + 99 - 50);

	runs[0] = replay(text, VM_PAGES, &c1);
	rows = pic_run_rows(runs[0]);
	/* The last interval's figures: pages 0-3 and 5-8 bound, holes 4 and
	 * 9-31. */
	assert_int_equal(st->free, 24 * PAGE);
	assert_int_equal(st->largest_hole, 23 * PAGE);
	assert_int_equal(st->holes, 2);
	assert_int_equal(st->frag_ppm, 41667);
	assert_int_equal(pic_plot(runs, NULL, 1, 200, &img), 0);
	assert_int_equal(img.w, 200);
	assert_int_equal(img.h, PIC_PLOT_H);
	x = (pic_plot_x(rows - 1, rows, 200) + 200) / 2;	/* inside the last step */
	expect_curve(&img, 0, x, pic_plot_y(0, 24, VM_PAGES), pic_policy_rgb[0]);
	expect_curve(&img, 1, x, pic_plot_y(1, 23, VM_PAGES), pic_policy_rgb[0]);
	expect_curve(&img, 2, x, pic_plot_y(2, 2, c1.max_holes), pic_policy_rgb[0]);
	expect_curve(&img, 3, x, pic_plot_y(3, 41667, 1000000), pic_policy_rgb[0]);
	/* The first interval (the vm record): all free, one hole. */
	expect_curve(&img, 0, 0, pic_plot_y(0, 1, 1), pic_policy_rgb[0]);
	expect_curve(&img, 3, 0, pic_plot_y(3, 0, 1), pic_policy_rgb[0]);
	pic_image_free(&img);

	/* Two runs of one trace: the second's curve is drawn over the first. */
	runs[1] = replay(text, VM_PAGES, &c2);
	assert_int_equal(pic_plot(runs, (const char *const[]){ "a", "b" }, 2, 200, &img), 0);
	expect_curve(&img, 0, x, pic_plot_y(0, 24, VM_PAGES), pic_policy_rgb[1]);
	pic_image_free(&img);
	assert_int_equal(pic_plot(runs, NULL, 2, 0, &img), -EINVAL);
	pic_run_free(runs[0]);
	pic_run_free(runs[1]);
	free(text);
}

#ifdef GTTCTL_HAVE_PNG
/* Decode @path with libpng into a new RGB buffer; its size in *@w, *@h. */
static uint8_t *read_png(const char *path, unsigned int *w, unsigned int *h)
{
	png_image pi;
	uint8_t *buf;

	memset(&pi, 0, sizeof(pi));
	pi.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_file(&pi, path));
	pi.format = PNG_FORMAT_RGB;
	buf = malloc(PNG_IMAGE_SIZE(pi));
	assert_non_null(buf);
	assert_true(png_image_finish_read(&pi, NULL, buf, 0, NULL));
	*w = pi.width;
	*h = pi.height;
	return buf;
}

static void test_png_round_trip(void **state)
{
	char *text = record_trace();
	char path[] = "/tmp/test_picture_XXXXXX";
	struct collect c;
	struct pic_run *r;
	struct pic_image img;
	unsigned int w, h;
	uint8_t *back;
	uint64_t p;
	int fd = mkstemp(path);
	/* The colours docs/replay.md names. */
	static const uint8_t blue[3] = { 0x1f, 0x77, 0xb4 }, red[3] = { 0xd6, 0x27, 0x28 },
			     white[3] = { 0xff, 0xff, 0xff }, orange[3] = { 0xff, 0x9f, 0x1c };

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	r = replay(text, VM_PAGES, &c);
	p = pending_row(r);
	assert_int_equal(pic_map(&r, NULL, 1, 1, &img), 0);
	assert_int_equal(pic_png_write(&img, path), 0);
	back = read_png(path, &w, &h);
	assert_int_equal(w, img.w);
	assert_int_equal(h, img.h);
	assert_memory_equal(back, img.rgb, (size_t)w * h * 3);
	assert_memory_equal(back + (p * w + 1) * 3, blue, 3);
	assert_memory_equal(back + (p * w + 4) * 3, red, 3);
	assert_memory_equal(back + (p * w + 10) * 3, white, 3);
	assert_memory_equal(back + (p * w + 13) * 3, orange, 3);
	free(back);
	pic_image_free(&img);
	/* A file that cannot be made: an error, no crash. */
	assert_int_equal(pic_map(&r, NULL, 1, 1, &img), 0);
	assert_int_equal(pic_png_write(&img, "/nonexistent-dir/x.png"), -ENOENT);
	pic_image_free(&img);
	unlink(path);
	pic_run_free(r);
	free(text);
}
#else
/* Without libpng the writer refuses, and makes no file. */
static void test_png_refused(void **state)
{
	struct pic_image img = { 1, 1, (uint8_t[3]){ 0 } };

	(void)state;
	unlink("/tmp/test_picture_nopng.png");
	assert_int_equal(pic_png_write(&img, "/tmp/test_picture_nopng.png"), -EOPNOTSUPP);
	assert_int_equal(access("/tmp/test_picture_nopng.png", F_OK), -1);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_states),
		cmocka_unit_test(test_map_image),
		cmocka_unit_test(test_plot),
#ifdef GTTCTL_HAVE_PNG
		cmocka_unit_test(test_png_round_trip),
#else
		cmocka_unit_test(test_png_refused),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
