/* SPDX-License-Identifier: MIT */
/*
 * Number and text formatting for the trace recorder (lib/trace/trace.c):
 * each helper writes at @p, checks no room (the caller made room for the
 * whole record) and returns the position after what it wrote.  Hex and
 * decimal are written the way docs/trace-format.md has them: "0x" and
 * lower-case digits without leading zeros, decimal without leading zeros,
 * "-" before a negative int.
 *
 * On little-endian machines a number's digits are made in registers, 8 at
 * a time, and stored with 8-byte stores that may write up to 7 bytes past
 * the number's end (TRACE_FMT_SLACK; the next field or the newline
 * overwrites them).  Elsewhere they are made one at a time.
 *
 * No state, no locking.
 */
#ifndef GTT_LIB_TRACE_FMT_H
#define GTT_LIB_TRACE_FMT_H

#include <stdint.h>
#include <string.h>

/* Bytes a helper may write past the end of what it returns. */
#define TRACE_FMT_SLACK 8

/* @s, a string literal, at @p. */
#define LIT(p, s) ((char *)memcpy((p), "" s, sizeof(s) - 1) + sizeof(s) - 1)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TRACE_FMT_SWAR 1
#endif

#ifdef TRACE_FMT_SWAR
/* The 8 hex digits of @x as 8 ASCII bytes, the first digit lowest. */
static inline __attribute__((always_inline)) uint64_t trace_hex8(uint32_t x)
{
	uint64_t t = x, letters;

	t = (t | (t << 16)) & 0x0000ffff0000ffffull;
	t = (t | (t << 8)) & 0x00ff00ff00ff00ffull;
	t = (t | (t << 4)) & 0x0f0f0f0f0f0f0f0full;
	t = __builtin_bswap64(t);	/* nibble 7 in the lowest byte */
	letters = ((t + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
	return t + 0x3030303030303030ull + letters * ('a' - '0' - 10);
}

/* The last @n bytes of @w (n in 1..8) at @p, with an 8-byte store. */
static inline __attribute__((always_inline)) void trace_store_tail(char *p, uint64_t w, int n)
{
	w >>= (8 - n) * 8;
	memcpy(p, &w, 8);
}
#endif

static inline __attribute__((always_inline)) char *put_hex(char *p, uint64_t v)
{
	int n = v ? (67 - __builtin_clzll(v)) >> 2 : 1;	/* digits */

	p[0] = '0';
	p[1] = 'x';
	p += 2;
#ifdef TRACE_FMT_SWAR
	if (n <= 8) {
		trace_store_tail(p, trace_hex8((uint32_t)v), n);
	} else {
		uint64_t lo = trace_hex8((uint32_t)v);

		trace_store_tail(p, trace_hex8((uint32_t)(v >> 32)), n - 8);
		memcpy(p + n - 8, &lo, 8);
	}
	return p + n;
#else
	{
		static const char digits[] = "0123456789abcdef";
		char *end = p + n;

		p = end;
		do {
			*--p = digits[v & 15];
			v >>= 4;
		} while (--n);
		return end;
	}
#endif
}

static const char trace_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Digits of @v, which is below 10^8. */
static inline __attribute__((always_inline)) int trace_dec_digits8(uint32_t v)
{
	return v < 10000 ? (v < 100 ? 1 + (v >= 10) : 3 + (v >= 1000)) :
	       (v < 1000000 ? 5 + (v >= 100000) : 7 + (v >= 10000000));
}

/* @v (below 10^8) as 8 digits with leading zeros at @p. */
static inline __attribute__((always_inline)) void trace_dec8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	memcpy(p, trace_pairs + 2 * (hi / 100), 2);
	memcpy(p + 2, trace_pairs + 2 * (hi % 100), 2);
	memcpy(p + 4, trace_pairs + 2 * (lo / 100), 2);
	memcpy(p + 6, trace_pairs + 2 * (lo % 100), 2);
}

/* @v (below 10^8) without leading zeros. */
static inline __attribute__((always_inline)) char *trace_dec_short(char *p, uint32_t v)
{
	int n = trace_dec_digits8(v);
	char tmp[8];

	if (n <= 2) {
		if (n == 1)
			*p = (char)('0' + v);
		else
			memcpy(p, trace_pairs + 2 * v, 2);
		return p + n;
	}
	trace_dec8(tmp, v);
#ifdef TRACE_FMT_SWAR
	{
		uint64_t w;

		memcpy(&w, tmp, 8);
		trace_store_tail(p, w, n);
	}
#else
	memcpy(p, tmp + 8 - n, (size_t)n);
#endif
	return p + n;
}

static inline __attribute__((always_inline)) char *put_dec(char *p, uint64_t v)
{
	if (v < 100000000)
		return trace_dec_short(p, (uint32_t)v);
	if (v < 10000000000000000ull) {
		p = trace_dec_short(p, (uint32_t)(v / 100000000));
		trace_dec8(p, (uint32_t)(v % 100000000));
		return p + 8;
	}
	p = trace_dec_short(p, (uint32_t)(v / 10000000000000000ull));
	v %= 10000000000000000ull;
	trace_dec8(p, (uint32_t)(v / 100000000));
	trace_dec8(p + 8, (uint32_t)(v % 100000000));
	return p + 16;
}

static inline __attribute__((always_inline)) char *put_int(char *p, int v)
{
	if (v >= 0)
		return put_dec(p, (uint64_t)v);
	*p = '-';
	return put_dec(p + 1, (uint64_t)-(int64_t)v);
}

#endif
