/* SPDX-License-Identifier: MIT */
/*
 * DOC: gttctl's PNG writer
 *
 * Writes an in-memory RGB image (gttctl_picture.h) as an 8-bit RGB PNG
 * with libpng, compressed at its best level (the maps are mostly runs of
 * one colour).  Without -Dpng (no GTTCTL_HAVE_PNG) it only says that it
 * cannot; gttctl replay refuses --map and --plot before that.  Each call
 * uses its own libpng objects: nothing is shared.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gttctl_picture.h"

#ifndef GTTCTL_HAVE_PNG
int pic_png_write(const struct pic_image *img, const char *path)
{
	(void)img;
	fprintf(stderr, "gttctl: cannot write %s: gttctl was built without libpng (-Dpng)\n", path);
	return -EOPNOTSUPP;
}
#else
#include <png.h>

/* libpng reports errors by longjmp; keep what it said. */
static void on_png_error(png_structp png, png_const_charp msg)
{
	fprintf(stderr, "gttctl: libpng: %s\n", msg);
	png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	fprintf(stderr, "gttctl: libpng warning: %s\n", msg);
}

/* The part that libpng may leave by longjmp: nothing here owns memory. */
static int write_rows(png_structp png, png_infop info, FILE *f,
		      const struct pic_image *img)
{
	if (setjmp(png_jmpbuf(png)))
		return -EIO;
	png_init_io(png, f);
	png_set_compression_level(png, 9);
	png_set_IHDR(png, info, img->w, img->h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (unsigned int y = 0; y < img->h; y++)
		png_write_row(png, img->rgb + (size_t)y * img->w * 3);
	png_write_end(png, info);
	return 0;
}

int pic_png_write(const struct pic_image *img, const char *path)
{
	png_structp png;
	png_infop info;
	FILE *f;
	int err;

	f = fopen(path, "wb");
	if (!f) {
		err = -errno;
		fprintf(stderr, "gttctl: cannot write %s: %s\n", path, strerror(errno));
		return err;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error,
				      on_png_warning);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		fclose(f);
		fprintf(stderr, "gttctl: %s: out of memory\n", path);
		return -ENOMEM;
	}
	err = write_rows(png, info, f, img);
	png_destroy_write_struct(&png, &info);
	if (fclose(f) && !err)
		err = -EIO;
	if (err)
		fprintf(stderr, "gttctl: writing %s failed\n", path);
	return err;
}
#endif
