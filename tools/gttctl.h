/* SPDX-License-Identifier: MIT */
/*
 * gttctl's parts: gttctl.c (options, list, info, dump, bind), gttctl_reg.c
 * (reg: registers through VFIO), gttctl_xe.c (--xe: a vm over the xe
 * backend), gttctl_replay.c (replay), gttctl_explain.c (explain).  What they share: the options and the output helpers.
 */
#ifndef GTTCTL_H
#define GTTCTL_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE ((uint64_t)4096)

struct opts {
	const char *mock, *vfio, *profile, *xe;
	const char *policy, *compare;	/* replay */
	bool ppgtt, dry_run, guc, force, all, json, iommufd, raw, userptr;
	bool asap;			/* replay --timing asap */
	uint64_t interval;		/* replay: records per interval */
	bool interval_set;		/* replay: --interval given */
	const char *map, *plot;		/* replay: PNG files to draw */
	bool dump_end;			/* replay --dump-end */
	unsigned int map_width, map_row, plot_width;	/* replay: 0 for the defaults */
	uint64_t time;			/* explain --time: 0 for the end */
	uint64_t pages;
	unsigned int width;	/* reg: bytes per access, 0 for the register's own */
	int pat;		/* --xe: PAT index, -1 for the platform's coherent WB */
};

/* "gttctl: WHAT: <the library's last error>" on stderr; returns 1. */
int fail(const char *what);
/* "gttctl: <fmt with arg> (try --help)" on stderr; returns 2. */
int usage_error(const char *fmt, const char *arg);
/* A number with 0x and K/M/G suffixes. */
bool parse_u64(const char *s, uint64_t *out);
/* A JSON string (escaped) on stdout. */
void json_str(const char *s);
/* --profile BAR:OFFSET:SIZE:PLATFORM into @c (0, or 2 after a usage error). */
struct gtt_vfio_config;
int parse_profile(const char *s, struct gtt_vfio_config *c);

/* reg read|write: argv holds what follows "reg". */
int cmd_reg(const struct opts *o, int argc, char **argv);
/* replay TRACE (gttctl_replay.c). */
int cmd_replay(const struct opts *o, const char *path);
/* The --mock PLATFORM backend of a replay (NULL: the library's generic
 * one); 0, or gttctl's exit status after an error. */
struct gtt_backend;
int replay_backend(const struct opts *o, struct gtt_backend **be, uint64_t *size);
/* explain ADDR TRACE (gttctl_explain.c). */
int cmd_explain(const struct opts *o, const char *addr, const char *path);
/* --xe: argv holds the commands (bind [ADDR], unbind ADDR, dump). */
int cmd_xe(const struct opts *o, int argc, char **argv);

#endif
