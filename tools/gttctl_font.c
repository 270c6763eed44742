/* SPDX-License-Identifier: MIT */
/*
 * DOC: gttctl's picture labels: a 3x5 bitmap font
 *
 * Upper-case letters (lower case is drawn as upper case), digits, and
 * " .,:-+=/%()"; anything else is drawn as a blank.  Each glyph is five
 * rows of three bits, the left column the highest bit, drawn @scale
 * pixels a dot with one blank column between glyphs.  No state.
 */
#include <ctype.h>
#include <string.h>

#include "gttctl_picture.h"

/* The glyph of @c: five rows, each a digit 0-7 (bit 2: left column). */
static const char *glyph(char c)
{
	static const char *const letters[26] = {
		"25755", "65656", "34443", "65556", "74647", "74644", "34553",
		"55755", "72227", "11152", "55655", "44447", "57755", "65555",
		"25552", "65644", "25563", "65655", "34216", "72222", "55557",
		"55552", "55775", "55255", "55222", "71247",
	};
	static const char *const digits[10] = {
		"75557", "26227", "71747", "71317", "55711", "74717", "74757",
		"71122", "75757", "75717",
	};
	static const char marks[] = " .,:-+=/%()";
	static const char *const mark_glyphs[] = {
		"00000", "00002", "00024", "02020", "00700", "02720", "07070",
		"11244", "51245", "12221", "42224",
	};
	const char *m;

	c = (char)toupper((unsigned char)c);
	if (c >= 'A' && c <= 'Z')
		return letters[c - 'A'];
	if (c >= '0' && c <= '9')
		return digits[c - '0'];
	m = c ? strchr(marks, c) : NULL;
	return m ? mark_glyphs[m - marks] : mark_glyphs[0];
}

unsigned int pic_text(struct pic_image *img, unsigned int x, unsigned int y,
		      unsigned int scale, const char *s, const uint8_t rgb[3])
{
	unsigned int x0 = x;

	for (; *s; s++, x += PIC_GLYPH_W * scale) {
		const char *g = glyph(*s);

		for (unsigned int row = 0; row < 5; row++)
			for (unsigned int col = 0; col < 3; col++) {
				if (!((g[row] - '0') & (4 >> col)))
					continue;
				for (unsigned int dy = 0; dy < scale; dy++)
					for (unsigned int dx = 0; dx < scale; dx++) {
						unsigned int px = x + col * scale + dx;
						unsigned int py = y + row * scale + dy;

						if (px < img->w && py < img->h)
							memcpy(img->rgb + ((size_t)py * img->w + px) * 3, rgb, 3);
					}
			}
	}
	return x - x0;
}
