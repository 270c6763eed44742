/* SPDX-License-Identifier: MIT */
/*
 * Trace replay (gtt/trace.h): read a trace line by line, check each record
 * completely before acting on it, and perform it on a new vm over a mock,
 * with a manual executor run to completion after every record.
 *
 * The trace names vmas by the recording's handles, fences and pages by
 * trace ids; three maps (struct idmap) translate them to this replay's
 * objects, and, for a journal enabled on the replayed vm by on_vm, two more
 * translate back.  Nothing a trace says is trusted: unknown names, numbers
 * out of range, a missing field, a record after "end" or no "end" at all
 * make the replay stop with -EBADMSG and the line in gtt_last_error().  What a
 * trace can make the replay do is bounded too (docs/trace-format.md,
 * "Limits of the reader"): the line length (MAX_LINE), a batch's size
 * (MAX_BATCH) and the pages mapped in all (rp->max_work, see charge()).
 *
 * Everything runs in the calling thread; nothing here is shared.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <gtt/map.h>
#include <gtt/mock.h>
#include <gtt/trace.h>

#include "base/util.h"
#include "vm/journal.h"

#define MAX_LINE (16u << 20)
#define MAX_FIELDS 32
#define MAX_BATCH (1u << 20)
#define DMA_START (1ull << 32)	/* the replay's pages' DMA addresses */
#define DMA_END (1ull << 38)

/* ---- id maps: u64 key (non-zero) -> u64 value, open addressing ---- */

struct idslot {
	uint64_t key;
	uint64_t val;		/* 0: gone */
	unsigned int aux;	/* fences: FENCE_OUTSIDE; vmas: place in rp->fifo */
};

struct idmap {
	struct idslot *s;
	size_t cap, used;
	unsigned int shift;	/* 64 - log2(cap) */
};

/* The home slot: the product's top bits (its low bits are the key's low
 * bits, all alike for handles that are multiples of a power of two). */
static size_t idmap_home(const struct idmap *m, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> m->shift);
}

static struct idslot *idmap_find(const struct idmap *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = idmap_home(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->s[i].key == key)
			return &m->s[i];
		if (!m->s[i].key)
			return NULL;
	}
}

/* The slot for @key, made if new (its val 0).  NULL: out of memory. */
static struct idslot *idmap_slot(struct idmap *m, uint64_t key)
{
	struct idslot *sl = idmap_find(m, key);
	size_t i;

	if (sl)
		return sl;
	if ((m->used + 1) * 2 > m->cap) {
		struct idmap n = { .cap = m->cap ? m->cap * 2 : 256,
				   .shift = m->cap ? m->shift - 1 : 64 - 8 };

		n.s = mem_zalloc(n.cap * sizeof(*n.s));
		if (!n.s)
			return NULL;
		for (size_t j = 0; j < m->cap; j++)
			if (m->s[j].key)
				*idmap_slot(&n, m->s[j].key) = m->s[j];
		mem_free(m->s);
		*m = n;
	}
	for (i = idmap_home(m, key); m->s[i].key; i = (i + 1) & (m->cap - 1))
		;
	m->s[i].key = key;
	m->used++;
	return &m->s[i];
}

/* ---- the replay ---- */

enum { FENCE_OUTSIDE = 1 };
#define NOT_IN_FIFO UINT32_MAX

struct rp {
	FILE *in;
	const struct gtt_replay_config *cfg;
	uint64_t line;
	char *buf;
	size_t cap;
	/* the current record */
	char *kind;
	char *key[MAX_FIELDS], *val[MAX_FIELDS];
	int nf;

	struct gtt_backend *be;
	bool own_be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	uint64_t page_size, vm_size;

	struct idmap vmas;	/* recorded handle -> ours */
	struct idmap fences;	/* id -> struct gtt_fence * (aux: FENCE_OUTSIDE) */
	struct idmap pages;	/* id -> struct gtt_pages * */
	struct idmap ctxs;	/* recorded context -> ours */
	/* With a journal on the vm (rp->names): our vma handles -> the trace's,
	 * our pages pointers -> the trace's ids. */
	struct idmap vma_names, pages_names;
	uint64_t dma_next;

	struct gtt_map_op *ops;
	size_t nops, opscap;

	/* GTT_EVICT_ROSTER: the live vmas in creation order (ours 0: gone),
	 * compacted when half are gone. */
	struct fifo_entry {
		uint64_t key;		/* the recorded handle */
		gtt_vma_t ours;
	} *fifo;
	size_t nfifo, fifocap, fifodead;

	bool seen_header, seen_vm, seen_end;
	bool names;		/* the vm has a journal: keep the trace's names */
	uint64_t records;
	uint64_t t;		/* the current record's t= (a journal's clock) */
	uint64_t work, max_work;	/* pages mapped so far, the bound */
	/* counters of our own (the rest come from the vm and the mock) */
	uint64_t binds_failed, batches, placement_diffs, result_diffs;
	struct gtt_replay_stats base;	/* cumulative figures at interval start */
	uint64_t interval, in_interval, first_line;
};

static int bad(struct rp *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct rp *rp, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return set_error(-EBADMSG, "trace line %" PRIu64 ": %s", rp->line, msg);
}

/* Double rp->buf (the first time: 4 KiB).  0, or an error. */
static int grow_line(struct rp *rp)
{
	size_t cap = rp->cap ? rp->cap * 2 : 4096;
	char *nb;

	if (cap > MAX_LINE)
		return bad(rp, "line longer than %u bytes", MAX_LINE - 1);
	nb = mem_realloc(rp->buf, cap);
	if (!nb)
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	rp->buf = nb;
	rp->cap = cap;
	return 0;
}

/*
 * One line into rp->buf, without its newline: 1, 0 at the end, or an
 * error.  Read a byte at a time (gtt_trace_replay() holds the stream's
 * lock): a NUL byte is an error, not the end of a string.  rp->line counts
 * the line being read, so that an error names it.
 */
static int read_line(struct rp *rp)
{
	size_t len = 0;
	int c, err;

	if (!rp->cap && (err = grow_line(rp)))
		return err;
	while ((c = getc_unlocked(rp->in)) != EOF) {
		if (!len)
			rp->line++;
		if (c == '\n' || !c) {
			rp->buf[len] = 0;
			if (c)
				return 1;
			return bad(rp, "a NUL byte at column %zu", len + 1);
		}
		if (len + 1 == rp->cap && (err = grow_line(rp)))
			return err;
		rp->buf[len++] = (char)c;
	}
	if (ferror(rp->in))
		return set_error(-EIO, "gtt_trace_replay: reading the trace failed at line %" PRIu64,
				 rp->line + !!len);
	if (!len)
		return 0;
	return bad(rp, "the last line has no newline (truncated trace?)");
}

/* Split rp->buf into the kind and key=value fields.  0, or an error. */
static int split(struct rp *rp)
{
	char *p = rp->buf, *tok;

	rp->nf = 0;
	rp->kind = NULL;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			*p++ = 0;
		if (!*p)
			break;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (!rp->kind) {
			rp->kind = tok;
			continue;
		}
		if (rp->nf == MAX_FIELDS)
			return bad(rp, "more than %d fields", MAX_FIELDS);
		rp->key[rp->nf] = tok;
		while (*tok && *tok != '=' && tok < p)
			tok++;
		if (*tok != '=')
			return bad(rp, "field '%.40s' is not key=value", rp->key[rp->nf]);
		*tok = 0;
		rp->val[rp->nf++] = tok + 1;
	}
	return 0;
}

/* The field's text, or NULL. */
static const char *field(struct rp *rp, const char *k)
{
	for (int i = 0; i < rp->nf; i++)
		if (!strcmp(rp->key[i], k))
			return rp->val[i];
	return NULL;
}

/* Strict unsigned number: 0x hex or decimal, the whole text. */
static bool num(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return true;
}

static int need(struct rp *rp, const char *k, uint64_t *out)
{
	const char *s = field(rp, k);

	if (!s)
		return bad(rp, "%s record without its %s field", rp->kind, k);
	if (!num(s, out))
		return bad(rp, "%s=%.40s is not a number", k, s);
	return 0;
}

static int need32(struct rp *rp, const char *k, uint32_t *out)
{
	uint64_t v;
	int err = need(rp, k, &v);

	if (err)
		return err;
	if (v > UINT32_MAX)
		return bad(rp, "%s=0x%" PRIx64 " does not fit in 32 bits", k, v);
	*out = (uint32_t)v;
	return 0;
}

/* A negative errno or 0, as "ret=" and "err=" carry. */
static int need_err(struct rp *rp, const char *k, int *out)
{
	const char *s = field(rp, k);
	uint64_t v;

	if (!s)
		return bad(rp, "%s record without its %s field", rp->kind, k);
	if (!num(s[0] == '-' ? s + 1 : s, &v) || v > 4095 || (v && s[0] != '-'))
		return bad(rp, "%s=%.40s is not 0 or a negative errno", k, s);
	*out = -(int)v;
	return 0;
}

static int vma_of(struct rp *rp, const char *k, gtt_vma_t *out)
{
	uint64_t h;
	struct idslot *sl;
	int err = need(rp, k, &h);

	if (err)
		return err;
	sl = h ? idmap_find(&rp->vmas, h) : NULL;
	if (!sl || !sl->val) {
		const char *ret = field(rp, "ret");

		/* A call on a handle that was gone failed in the recording
		 * too: nothing to replay (1: skip the record). */
		if (ret && ret[0] == '-' && (!sl || h))
			return 1;
		return bad(rp, "%s=0x%" PRIx64 " names no live vma", k, h);
	}
	*out = sl->val;
	return 0;
}

static int fence_by_id(struct rp *rp, uint64_t id, struct idslot **out)
{
	struct idslot *sl = id ? idmap_find(&rp->fences, id) : NULL;

	*out = sl;	/* set on every path: gcc -O3 cannot see that bad() fails */
	if (!sl || !sl->val)
		return bad(rp, "fence %" PRIu64 " is not declared (or already signalled)", id);
	return 0;
}

/* "deps=1,2" or "deps=-": into a new array (*@n entries). */
static int deps_of(struct rp *rp, struct gtt_fence ***out, size_t *n)
{
	const char *s = field(rp, "deps");
	struct gtt_fence **d;
	size_t cap = 1;

	*out = NULL;
	*n = 0;
	if (!s)
		return bad(rp, "%s record without its deps field", rp->kind);
	if (!strcmp(s, "-"))
		return 0;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	d = mem_alloc(cap * sizeof(*d));
	if (!d)
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	while (*s) {
		char tmp[24];
		size_t len = strcspn(s, ",");
		uint64_t id;
		struct idslot *sl = NULL;
		int err;

		if (!len || len >= sizeof(tmp)) {
			mem_free(d);
			return bad(rp, "deps list '%.40s' is malformed", field(rp, "deps"));
		}
		memcpy(tmp, s, len);
		tmp[len] = 0;
		if (!num(tmp, &id)) {
			mem_free(d);
			return bad(rp, "deps entry '%s' is not a number", tmp);
		}
		err = fence_by_id(rp, id, &sl);
		if (err) {
			mem_free(d);
			return err;
		}
		d[(*n)++] = (struct gtt_fence *)(uintptr_t)sl->val;
		s += len;
		if (*s == ',' && !*++s) {
			mem_free(d);
			return bad(rp, "deps list ends with a comma");
		}
	}
	*out = d;
	return 0;
}

/* Remember the fence a call returned under the trace's id. */
static int keep_produced(struct rp *rp, uint64_t id, struct gtt_fence *f)
{
	struct idslot *sl;

	if (!id || !f) {
		gtt_fence_put(f);
		return 0;
	}
	sl = idmap_slot(&rp->fences, id);
	if (!sl) {
		gtt_fence_put(f);
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	}
	if (sl->val) {
		gtt_fence_put(f);
		return bad(rp, "fence %" PRIu64 " is declared twice", id);
	}
	sl->val = (uint64_t)(uintptr_t)f;
	sl->aux = 0;
	return 0;
}

/*
 * A call that gave the recording fence @id failed here (@err): later
 * records may still name the fence (a signal, a dependency, an active
 * fence), so it stands in as a fence that failed with the call's error —
 * what depends on it fails too, as it would on a kernel's queue.
 */
static int keep_failed(struct rp *rp, uint64_t id, int err)
{
	struct gtt_fence *f;

	if (!id)
		return 0;
	if (gtt_fence_create(0, 0, &f))
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	gtt_fence_signal(f, err < 0 ? err : -ECANCELED);
	return keep_produced(rp, id, f);
}

/* An object of @size bytes that one call may map whole: within the bound? */
static int check_size(struct rp *rp, const char *what, uint64_t size)
{
	if (size / rp->page_size > rp->max_work)
		return bad(rp, "%s of 0x%" PRIx64 " bytes is more than the replay maps in all (max_work %" PRIu64 " pages)",
			   what, size, rp->max_work);
	return 0;
}

/* Count @size bytes mapped; past the bound the replay stops. */
static int charge(struct rp *rp, uint64_t size)
{
	uint64_t pages = size / rp->page_size + !!(size % rp->page_size);

	if (pages > rp->max_work - rp->work)
		return bad(rp, "the trace maps more than the replay's max_work (%" PRIu64 " pages)",
			   rp->max_work);
	rp->work += pages;
	return 0;
}

/*
 * Count a result other than the recording's.  Return: -ENOMEM when the
 * replay ran out of memory where the recording did not (the machine's
 * trouble, not the trace's: going on would give other figures without a
 * word), else 0.
 */
static int note_result(struct rp *rp, int got, int recorded)
{
	rp->result_diffs += got != recorded;
	return got == -ENOMEM && recorded != -ENOMEM ? got : 0;
}

/* ---- the fifo roster (GTT_EVICT_ROSTER on replay) ---- */

/* Called under the vm lock: reads rp->fifo only. */
static int fifo_roster(void *arg, const struct gtt_range_request *req,
		       uint64_t *cursor, gtt_vma_t *vmas, unsigned int max)
{
	struct rp *rp = arg;
	unsigned int k = 0;

	(void)req;
	while (k < max && *cursor < rp->nfifo) {
		gtt_vma_t h = rp->fifo[(*cursor)++].ours;

		if (h)
			vmas[k++] = h;
	}
	return (int)k;
}

static int fifo_add(struct rp *rp, struct idslot *sl)
{
	if (rp->nfifo == rp->fifocap) {
		size_t cap = rp->fifocap ? rp->fifocap * 2 : 64;
		struct fifo_entry *n = mem_realloc(rp->fifo, cap * sizeof(*n));

		if (!n)
			return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
		rp->fifo = n;
		rp->fifocap = cap;
	}
	sl->aux = (unsigned int)rp->nfifo;
	rp->fifo[rp->nfifo++] = (struct fifo_entry){ sl->key, sl->val };
	return 0;
}

static void fifo_remove(struct rp *rp, struct idslot *sl)
{
	size_t k = 0;

	rp->fifo[sl->aux].ours = 0;
	if (++rp->fifodead * 2 < rp->nfifo)
		return;
	for (size_t i = 0; i < rp->nfifo; i++) {
		if (!rp->fifo[i].ours)
			continue;
		idmap_find(&rp->vmas, rp->fifo[i].key)->aux = (unsigned int)k;
		rp->fifo[k++] = rp->fifo[i];
	}
	rp->nfifo = k;
	rp->fifodead = 0;
}

/* ---- records ---- */

/* A journal's view of the replay (journal_set_source()): the trace's
 * time, and its names for our vmas and pages (0 when unknown). */
static uint64_t replay_clock(void *arg)
{
	return ((const struct rp *)arg)->t;
}

static gtt_vma_t replay_vma_name(void *arg, gtt_vma_t h)
{
	const struct idslot *sl = idmap_find(&((const struct rp *)arg)->vma_names, h);

	return sl ? sl->val : 0;
}

static uint64_t replay_pages_name(void *arg, const struct gtt_pages *p)
{
	const struct idslot *sl = idmap_find(&((const struct rp *)arg)->pages_names,
					     (uint64_t)(uintptr_t)p);

	return sl ? sl->val : 0;
}

/* With a journal: remember the trace's name of our vma or pages @ours. */
static int add_name(struct rp *rp, struct idmap *m, uint64_t ours, uint64_t name)
{
	struct idslot *sl;

	if (!rp->names)
		return 0;
	sl = idmap_slot(m, ours);
	if (!sl)
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	sl->val = name;
	return 0;
}

static int rec_vm(struct rp *rp)
{
	uint64_t start, size, page, flags;
	struct gtt_vm_config vc = { 0 };
	const char *name = field(rp, "name");
	int err;

	if (rp->seen_vm)
		return bad(rp, "a second vm record");
	if ((err = need(rp, "start", &start)) || (err = need(rp, "size", &size)) ||
	    (err = need(rp, "page_size", &page)) || (err = need(rp, "flags", &flags)))
		return err;
	if (!page || page & (page - 1) || page < 4096 || !size || size % page ||
	    start % page || start > UINT64_MAX - size)
		return bad(rp, "vm [0x%" PRIx64 ", +0x%" PRIx64 ") with page size 0x%" PRIx64 " is not a valid vm",
			   start, size, page);
	rp->page_size = page;
	rp->vm_size = size;
	if (!rp->cfg->backend) {
		struct gtt_mock_config mc = { .start = start, .size = size, .page_size = page };

		err = gtt_mock_create(&mc, &rp->be);
		if (err)
			return err;
		rp->own_be = true;
	} else {
		rp->be = rp->cfg->backend;
	}
	err = gtt_executor_create_manual(&rp->ex);
	if (err)
		return err;
	vc.name = name && strcmp(name, "-") ? name : "replay";
	vc.start = start;
	vc.size = size;
	vc.page_size = page;
	vc.flags = (unsigned int)(flags & GTT_VM_COLOR_GUARD);
	vc.backend = rp->be;
	vc.executor = rp->ex;
	vc.evict_order = (enum gtt_evict_order)rp->cfg->evict_order;
	if (vc.evict_order == GTT_EVICT_ROSTER) {
		vc.evict_roster = fifo_roster;
		vc.evict_roster_arg = rp;
	}
	err = gtt_vm_create(&vc, &rp->vm);
	if (err == -ENOMEM)
		return err;	/* the machine's trouble, not the trace's */
	if (err) {
		char why[200];

		snprintf(why, sizeof(why), "%s", gtt_last_error());
		return bad(rp, "the vm cannot be made here: %s", why);
	}
	rp->seen_vm = true;
	if (rp->cfg->on_vm) {
		const struct journal_source src = {
			.clock = replay_clock, .vma_name = replay_vma_name,
			.pages_name = replay_pages_name, .arg = rp,
		};

		rp->cfg->on_vm(rp->cfg->arg, rp->vm, NULL);
		rp->names = journal_set_source(rp->vm, &src);
	}
	return 0;
}

static int rec_pages(struct rp *rp)
{
	uint64_t id, size, flags;
	struct gtt_pages_segment seg;
	struct gtt_pages *p;
	struct idslot *sl;
	int err;

	if ((err = need(rp, "id", &id)) || (err = need(rp, "size", &size)) ||
	    (err = need(rp, "flags", &flags)))
		return err;
	if (!id)
		return bad(rp, "pages id 0");
	if (!size || size % rp->page_size || size > (1ull << 48))
		return bad(rp, "pages size 0x%" PRIx64 " is zero, not a multiple of the page size or above 2^48", size);
	if ((err = check_size(rp, "a pages object", size)))
		return err;
	/* Made-up DMA addresses, reused in turn below 2^38, so that every
	 * platform's mock (39-bit DMA at the least) can encode them. */
	if (size > DMA_END - DMA_START || rp->dma_next > DMA_END - size)
		rp->dma_next = DMA_START;	/* larger than the window: from its start */
	seg = (struct gtt_pages_segment){ rp->dma_next, size };
	rp->dma_next += size;
	/* Borrowed pages are replayed refcounted (see gtt/trace.h). */
	err = gtt_pages_create(&seg, 1, 0, &p);
	if (err)
		return err;
	sl = add_name(rp, &rp->pages_names, (uint64_t)(uintptr_t)p, id) ? NULL :
	     idmap_slot(&rp->pages, id);
	if (!sl) {
		gtt_pages_put(p);
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	}
	/* A pages object at a reused address: the id now names the new one. */
	gtt_pages_put((struct gtt_pages *)(uintptr_t)sl->val);
	sl->val = (uint64_t)(uintptr_t)p;
	return 0;
}

static int rec_fence(struct rp *rp)
{
	uint64_t id, ctx, seqno;
	struct gtt_fence *f;
	struct idslot *sl, *cs = NULL;
	int err;

	if ((err = need(rp, "id", &id)) || (err = need(rp, "ctx", &ctx)) ||
	    (err = need(rp, "seqno", &seqno)))
		return err;
	if (!id)
		return bad(rp, "fence id 0");
	sl = idmap_find(&rp->fences, id);
	if (sl && sl->val)
		return bad(rp, "fence %" PRIu64 " is declared twice", id);
	if (ctx) {
		cs = idmap_slot(&rp->ctxs, ctx);
		if (!cs)
			return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
		if (!cs->val)
			cs->val = gtt_fence_context_alloc(1);
	}
	err = gtt_fence_create(cs ? cs->val : 0, seqno, &f);
	if (err)
		return err;
	sl = idmap_slot(&rp->fences, id);
	if (!sl) {
		gtt_fence_put(f);
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	}
	sl->val = (uint64_t)(uintptr_t)f;
	sl->aux = FENCE_OUTSIDE;
	if (rp->cfg->timing == GTT_REPLAY_ASAP)
		gtt_fence_signal(f, 0);
	return 0;
}

static int rec_signal(struct rp *rp)
{
	uint64_t id;
	struct idslot *sl;
	struct gtt_fence *f;
	int e, err;

	if ((err = need(rp, "fence", &id)) || (err = need_err(rp, "err", &e)) ||
	    (err = fence_by_id(rp, id, &sl)))
		return err;
	f = (struct gtt_fence *)(uintptr_t)sl->val;
	if (sl->aux & FENCE_OUTSIDE)
		gtt_fence_signal(f, e);	/* -EALREADY with ASAP: fine */
	/* The id is dead from here on (the recorder forgets it). */
	gtt_fence_put(f);
	sl->val = 0;
	return 0;
}

static int add_vma(struct rp *rp, uint64_t h, gtt_vma_t ours)
{
	struct idslot *sl = add_name(rp, &rp->vma_names, ours, h) ? NULL :
			     idmap_slot(&rp->vmas, h);

	if (!sl) {
		gtt_vma_destroy(rp->vm, ours);
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	}
	sl->val = ours;
	return 0;
}

static int new_vma_handle(struct rp *rp, uint64_t *h)
{
	struct idslot *sl;
	int err = need(rp, "vma", h);

	if (err)
		return err;
	sl = *h ? idmap_find(&rp->vmas, *h) : NULL;
	if (!*h || (sl && sl->val))
		return bad(rp, "vma 0x%" PRIx64 " is 0 or already live", *h);
	return 0;
}

static int rec_vma(struct rp *rp)
{
	uint64_t h, pid;
	struct idslot *ps;
	gtt_vma_t ours;
	int err;

	if ((err = new_vma_handle(rp, &h)) || (err = need(rp, "pages", &pid)))
		return err;
	ps = pid ? idmap_find(&rp->pages, pid) : NULL;
	if (!ps || !ps->val)
		return bad(rp, "pages %" PRIu64 " is not declared", pid);
	err = gtt_vma_create(rp->vm, (struct gtt_pages *)(uintptr_t)ps->val, NULL, &ours);
	if (!err)
		err = add_vma(rp, h, ours);
	if (!err && rp->cfg->evict_order == GTT_EVICT_ROSTER)
		err = fifo_add(rp, idmap_find(&rp->vmas, h));
	return err;
}

static int rec_sparse(struct rp *rp)
{
	uint64_t h, size;
	gtt_vma_t ours;
	int err;

	if ((err = new_vma_handle(rp, &h)) || (err = need(rp, "size", &size)))
		return err;
	if (!size || size % rp->page_size)
		return bad(rp, "sparse size 0x%" PRIx64 " is zero or not a multiple of the page size", size);
	if ((err = check_size(rp, "a sparse vma", size)))
		return err;
	err = gtt_vma_create_sparse(rp->vm, size, NULL, &ours);
	if (!err)
		err = add_vma(rp, h, ours);
	if (!err)	/* never evicted: not in the fifo */
		idmap_find(&rp->vmas, h)->aux = NOT_IN_FIFO;
	return err;
}

static int rec_destroy(struct rp *rp)
{
	struct gtt_vma_info vi = { 0 };
	gtt_vma_t v;
	uint64_t h;
	int ret, err;

	if ((err = vma_of(rp, "vma", &v)) || (err = need_err(rp, "ret", &ret)) ||
	    (err = need(rp, "vma", &h)))
		return err;
	/* Unbound first, asynchronously: the destroy must not wait. */
	if (!gtt_vma_query(rp->vm, v, &vi) && vi.bound && !vi.pin_count)
		gtt_vma_unbind(rp->vm, v, GTT_UNBIND_ASYNC, NULL);
	err = gtt_vma_destroy(rp->vm, v);
	if (note_result(rp, err, ret))
		return err;
	if (!err) {
		struct idslot *sl = idmap_find(&rp->vmas, h);

		if (rp->cfg->evict_order == GTT_EVICT_ROSTER && sl->aux != NOT_IN_FIFO)
			fifo_remove(rp, sl);
		sl->val = 0;
	}
	return 0;
}

static int placement_of(struct rp *rp, enum gtt_placement *out)
{
	const char *s = field(rp, "placement");

	if (!s)
		return bad(rp, "bind record without its placement field");
	if (!strcmp(s, "best"))
		*out = GTT_PLACE_BEST;
	else if (!strcmp(s, "low"))
		*out = GTT_PLACE_LOW;
	else if (!strcmp(s, "high"))
		*out = GTT_PLACE_HIGH;
	else
		return bad(rp, "placement '%.20s' is not best, low or high", s);
	return 0;
}

static int rec_bind(struct rp *rp)
{
	struct gtt_vma_info vi = { 0 };
	struct gtt_bind_info bi = { 0 };
	struct gtt_fence **deps = NULL, *f = NULL;
	const char *at_s = field(rp, "at");
	uint64_t flags, at = 0, fid;
	gtt_vma_t v;
	int ret, err;

	if ((err = vma_of(rp, "vma", &v)) || (err = need(rp, "flags", &flags)) ||
	    (err = need(rp, "offset", &bi.offset)) || (err = need(rp, "size", &bi.size)) ||
	    (err = need(rp, "align", &bi.alignment)) || (err = need32(rp, "color", &bi.color)) ||
	    (err = need(rp, "range_start", &bi.range_start)) ||
	    (err = need(rp, "range_end", &bi.range_end)) ||
	    (err = placement_of(rp, &bi.placement)) || (err = need32(rp, "pte", &bi.pte_flags)) ||
	    (err = need(rp, "pages_offset", &bi.pages_offset)) ||
	    (err = need(rp, "fence", &fid)) || (err = need_err(rp, "ret", &ret)))
		return err;
	if (flags > UINT32_MAX)
		return bad(rp, "bind flags 0x%" PRIx64 " do not fit in 32 bits", flags);
	if (!at_s)
		return bad(rp, "bind record without its at field");
	if (strcmp(at_s, "-") && !num(at_s, &at))
		return bad(rp, "at=%.40s is neither a number nor -", at_s);
	if ((err = deps_of(rp, &deps, &bi.num_deps)))
		return err;
	bi.deps = deps;
	bi.flags = (unsigned int)flags | GTT_BIND_ASYNC;
	if (rp->cfg->placement != GTT_REPLAY_AS_RECORDED)
		bi.placement = (enum gtt_placement)rp->cfg->placement;
	if (rp->cfg->avoid_pending == 0)
		bi.flags |= GTT_BIND_ANYWHERE;
	else if (rp->cfg->avoid_pending == 1)
		bi.flags &= ~(unsigned int)GTT_BIND_ANYWHERE;
	err = gtt_vma_bind(rp->vm, v, &bi, &f);
	mem_free(deps);
	if (note_result(rp, err, ret))
		return err;
	if (err) {
		rp->binds_failed++;
		return keep_failed(rp, fid, err);
	}
	if (!gtt_vma_query(rp->vm, v, &vi)) {
		if (!ret && strcmp(at_s, "-") && vi.offset != at)
			rp->placement_diffs++;
		err = charge(rp, vi.size);
	}
	if (err) {
		gtt_fence_put(f);
		return err;
	}
	return keep_produced(rp, fid, f);
}

static int rec_unbind(struct rp *rp)
{
	struct gtt_fence *f = NULL;
	uint64_t flags, fid;
	gtt_vma_t v;
	int ret, err;

	if ((err = vma_of(rp, "vma", &v)) || (err = need(rp, "flags", &flags)) ||
	    (err = need(rp, "fence", &fid)) || (err = need_err(rp, "ret", &ret)))
		return err;
	if (flags > UINT32_MAX)
		return bad(rp, "unbind flags 0x%" PRIx64 " do not fit in 32 bits", flags);
	flags = (flags | GTT_UNBIND_ASYNC) & ~(uint64_t)GTT_UNBIND_TRYLOCK;
	err = gtt_vma_unbind(rp->vm, v, (unsigned int)flags, &f);
	if (note_result(rp, err, ret))
		return err;
	return err ? keep_failed(rp, fid, err) : keep_produced(rp, fid, f);
}

static int rec_pin(struct rp *rp, bool pin)
{
	gtt_vma_t v;
	int ret, err;

	if ((err = vma_of(rp, "vma", &v)) || (err = need_err(rp, "ret", &ret)))
		return err;
	err = pin ? gtt_vma_pin(rp->vm, v) : gtt_vma_unpin(rp->vm, v);
	if (note_result(rp, err, ret))
		return err;
	return 0;
}

static int rec_active(struct rp *rp)
{
	const char *vs = field(rp, "vma");
	struct idslot *sl;
	gtt_vma_t v = 0;
	uint64_t fid;
	int ret, err;

	if ((err = need(rp, "fence", &fid)) || (err = need_err(rp, "ret", &ret)))
		return err;
	if (!vs)
		return bad(rp, "active record without its vma field");
	if (strcmp(vs, "vm") && (err = vma_of(rp, "vma", &v)))
		return err;
	if (!fid)
		return 0;	/* it had signalled: nothing to wait for */
	if ((err = fence_by_id(rp, fid, &sl)))
		return err;
	err = v ? gtt_vma_add_active(rp->vm, v, (struct gtt_fence *)(uintptr_t)sl->val) :
		  gtt_vm_add_active(rp->vm, (struct gtt_fence *)(uintptr_t)sl->val);
	if (note_result(rp, err, ret))
		return err;
	return 0;
}

static int rec_active_many(struct rp *rp)
{
	const char *s = field(rp, "vmas");
	gtt_vma_t *vmas;
	struct idslot *sl;
	uint64_t fid;
	size_t n = 0, cap = 1;
	int ret, err;

	if ((err = need(rp, "fence", &fid)) || (err = need_err(rp, "ret", &ret)))
		return err;
	if (!s)
		return bad(rp, "active_many record without its vmas field");
	if (!fid)
		return 0;
	if ((err = fence_by_id(rp, fid, &sl)))
		return err;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	vmas = mem_alloc(cap * sizeof(*vmas));
	if (!vmas)
		return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
	while (strcmp(s, "-") && *s) {
		char tmp[24];
		size_t len = strcspn(s, ",");
		uint64_t h;
		struct idslot *vs;

		if (!len || len >= sizeof(tmp)) {
			mem_free(vmas);
			return bad(rp, "vmas list is malformed");
		}
		memcpy(tmp, s, len);
		tmp[len] = 0;
		vs = num(tmp, &h) && h ? idmap_find(&rp->vmas, h) : NULL;
		if (!vs || !vs->val) {
			mem_free(vmas);
			return bad(rp, "vmas entry '%s' names no live vma", tmp);
		}
		vmas[n++] = vs->val;
		s += len;
		if (*s == ',' && !*++s) {
			mem_free(vmas);
			return bad(rp, "vmas list ends with a comma");
		}
	}
	err = gtt_vma_add_active_many(rp->vm, vmas, n, (struct gtt_fence *)(uintptr_t)sl->val);
	mem_free(vmas);
	if (note_result(rp, err, ret))
		return err;
	return 0;
}

/*
 * The replayed bind that follows evicts for itself (maybe other vmas): the
 * record only names the eviction's fence, which later records may use.
 * It stands in as a signalled fence (it orders nothing here).
 */
static int rec_evict(struct rp *rp)
{
	struct gtt_fence *f;
	uint64_t fid;
	int err;

	if ((err = need(rp, "fence", &fid)))
		return err;
	if (!fid)
		return 0;
	if ((err = gtt_fence_create(0, 0, &f)))
		return err;
	gtt_fence_signal(f, 0);
	return keep_produced(rp, fid, f);
}

static int rec_mapop(struct rp *rp)
{
	const char *kind = field(rp, "kind");
	struct gtt_map_op op = { 0 };
	uint64_t pid;
	uint32_t pte = 0;
	int err;

	if (!kind || (strcmp(kind, "map") && strcmp(kind, "unmap")))
		return bad(rp, "mapop kind is not map or unmap");
	if ((err = vma_of(rp, "vma", &op.vma)) || (err = need(rp, "offset", &op.offset)) ||
	    (err = need(rp, "size", &op.size)) || (err = need(rp, "pages", &pid)) ||
	    (err = need(rp, "pages_offset", &op.pages_offset)) ||
	    (err = need32(rp, "pte", &pte)))
		return err;
	op.kind = strcmp(kind, "map") ? GTT_OP_UNMAP : GTT_OP_MAP;
	op.pte_flags = pte;
	if (pid) {
		struct idslot *ps = idmap_find(&rp->pages, pid);

		if (!ps || !ps->val)
			return bad(rp, "pages %" PRIu64 " is not declared", pid);
		op.pages = (struct gtt_pages *)(uintptr_t)ps->val;
	}
	if (rp->nops == MAX_BATCH)
		return bad(rp, "more than %u mapop records in one batch", MAX_BATCH);
	if (rp->nops == rp->opscap) {
		size_t cap = rp->opscap ? rp->opscap * 2 : 16;
		struct gtt_map_op *n = mem_realloc(rp->ops, cap * sizeof(*n));

		if (!n)
			return set_error(-ENOMEM, "gtt_trace_replay: out of memory");
		rp->ops = n;
		rp->opscap = cap;
	}
	rp->ops[rp->nops++] = op;
	return 0;
}

static int rec_batch(struct rp *rp)
{
	struct gtt_map_info mi = { 0 };
	struct gtt_fence **deps = NULL, *f = NULL;
	uint64_t n, flags, fid;
	int ret, err;

	if ((err = need(rp, "n", &n)) || (err = need(rp, "flags", &flags)) ||
	    (err = need(rp, "fence", &fid)) || (err = need_err(rp, "ret", &ret)))
		return err;
	if (n != rp->nops || !n)
		return bad(rp, "batch of n=%" PRIu64 " follows %zu mapop records", n, rp->nops);
	if (flags > UINT32_MAX)
		return bad(rp, "batch flags 0x%" PRIx64 " do not fit in 32 bits", flags);
	for (size_t i = 0; i < rp->nops; i++)
		if ((err = charge(rp, rp->ops[i].size)))
			return err;
	if ((err = deps_of(rp, &deps, &mi.num_deps)))
		return err;
	mi.deps = deps;
	mi.flags = ((unsigned int)flags | GTT_MAP_ASYNC) & ~(unsigned int)GTT_MAP_TRYLOCK;
	err = gtt_vm_map_batch(rp->vm, rp->ops, rp->nops, &mi, &f);
	mem_free(deps);
	rp->nops = 0;
	if (note_result(rp, err, ret))
		return err;
	if (err)
		return keep_failed(rp, fid, err);
	rp->batches++;
	return keep_produced(rp, fid, f);
}

static int rec_end(struct rp *rp)
{
	uint64_t records, dropped;
	int err;

	if ((err = need(rp, "records", &records)) || (err = need(rp, "dropped", &dropped)))
		return err;
	if (dropped)
		return bad(rp, "the recording dropped %" PRIu64 " records (out of memory): it cannot be replayed faithfully",
			   dropped);
	if (records != rp->records)
		return bad(rp, "the end record counts %" PRIu64 " records, the trace has %" PRIu64 " (lines lost?)",
			   records, rp->records);
	rp->seen_end = true;
	return 0;
}

static int dispatch(struct rp *rp)
{
	const char *k = rp->kind;

	if (!strcmp(k, "vm"))
		return rec_vm(rp);
	if (!rp->seen_vm)
		return bad(rp, "%.20s record before the vm record", k);
	if (rp->nops && strcmp(k, "mapop") && strcmp(k, "batch") &&
	    strcmp(k, "pages") && strcmp(k, "fence"))
		return bad(rp, "%.20s record inside a batch (%zu mapop records without their batch record)",
			   k, rp->nops);
	if (!strcmp(k, "pages"))
		return rec_pages(rp);
	if (!strcmp(k, "fence"))
		return rec_fence(rp);
	if (!strcmp(k, "signal"))
		return rec_signal(rp);
	if (!strcmp(k, "vma"))
		return rec_vma(rp);
	if (!strcmp(k, "sparse"))
		return rec_sparse(rp);
	if (!strcmp(k, "destroy"))
		return rec_destroy(rp);
	if (!strcmp(k, "bind"))
		return rec_bind(rp);
	if (!strcmp(k, "unbind"))
		return rec_unbind(rp);
	if (!strcmp(k, "pin"))
		return rec_pin(rp, true);
	if (!strcmp(k, "unpin"))
		return rec_pin(rp, false);
	if (!strcmp(k, "active"))
		return rec_active(rp);
	if (!strcmp(k, "active_many"))
		return rec_active_many(rp);
	if (!strcmp(k, "evict"))
		return rec_evict(rp);
	if (!strcmp(k, "mapop"))
		return rec_mapop(rp);
	if (!strcmp(k, "batch"))
		return rec_batch(rp);
	if (!strcmp(k, "end"))
		return rec_end(rp);
	return bad(rp, "unknown record kind '%.20s'", k);
}

/* ---- figures ---- */

/* Cumulative figures now (state fields: the state now). */
static void snapshot(struct rp *rp, struct gtt_replay_stats *s)
{
	struct gtt_vm_stats vs = { 0 };
	struct gtt_mock_stats ms = { 0 };
	struct gtt_range_stats rs = { 0 };

	memset(s, 0, sizeof(*s));
	if (rp->vm) {
		gtt_vm_stats(rp->vm, &vs);
		gtt_range_alloc_stats(gtt_vm_range_alloc(rp->vm), &rs);
	}
	if (rp->be && gtt_mock_stats(rp->be, &ms))
		memset(&ms, 0, sizeof(ms));
	s->records = rp->records;
	s->binds = vs.binds;
	s->binds_failed = rp->binds_failed;
	s->bind_waits = vs.bind_waits_on_unbind;
	s->unbinds = vs.unbinds;
	s->evictions = vs.evictions;
	s->batches = rp->batches;
	s->pte_writes = ms.entries_written;
	s->pte_clears = ms.entries_cleared;
	s->invalidations = ms.invalidations;
	s->placement_diffs = rp->placement_diffs;
	s->result_diffs = rp->result_diffs;
	s->free = rs.free;
	s->largest_hole = rs.largest_hole;
	s->holes = rs.holes;
	s->backend_errors = vs.backend_errors;
	s->frag_ppm = rs.free ? 1000000 - (uint64_t)((double)rs.largest_hole * 1e6 / (double)rs.free + 0.5) : 0;
}

/* @now minus @base for the counters; the state as in @now. */
static void delta(struct gtt_replay_stats *d, const struct gtt_replay_stats *now,
		  const struct gtt_replay_stats *base)
{
	*d = *now;
	d->records -= base->records;
	d->binds -= base->binds;
	d->binds_failed -= base->binds_failed;
	d->bind_waits -= base->bind_waits;
	d->unbinds -= base->unbinds;
	d->evictions -= base->evictions;
	d->batches -= base->batches;
	d->pte_writes -= base->pte_writes;
	d->pte_clears -= base->pte_clears;
	d->backend_errors -= base->backend_errors;
	d->invalidations -= base->invalidations;
	d->placement_diffs -= base->placement_diffs;
	d->result_diffs -= base->result_diffs;
}

static void end_interval(struct rp *rp)
{
	struct gtt_replay_stats now, d;

	if (!rp->in_interval)
		return;
	snapshot(rp, &now);
	delta(&d, &now, &rp->base);
	d.interval = rp->interval++;
	d.first_line = rp->first_line;
	d.last_line = rp->line;
	if (rp->cfg->on_interval)
		rp->cfg->on_interval(rp->cfg->arg, &d);
	if (rp->cfg->on_vm && rp->vm)
		rp->cfg->on_vm(rp->cfg->arg, rp->vm, &d);
	rp->base = now;
	rp->in_interval = 0;
}

/* ---- driver ---- */

/* The version line: "gtt-trace 1". */
static int header(struct rp *rp)
{
	const char *p = rp->buf;
	uint64_t v;

	if (strncmp(p, "gtt-trace ", 10))
		return bad(rp, "not a libgtt trace (no 'gtt-trace %d' header)", GTT_TRACE_VERSION);
	p += 10;
	if (!num(p, &v))
		return bad(rp, "the header's version '%.20s' is not a number", p);
	if (v != GTT_TRACE_VERSION)
		return bad(rp, "trace format version %" PRIu64 "; this libgtt reads version %d",
			   v, GTT_TRACE_VERSION);
	rp->seen_header = true;
	return 0;
}

/* The record's t=, for a journal's clock (checked by nothing else: a
 * trace without it, or with a bad one, keeps the last good time). */
static void stamp(struct rp *rp)
{
	const char *t = field(rp, "t");
	uint64_t v;

	if (t && num(t, &v))
		rp->t = v;
}

/* An empty line, blanks only, or a comment (its first non-blank is '#'):
 * split() would take a comment's words for fields. */
static bool is_comment(const char *p)
{
	p += strspn(p, " \t\r");
	return !*p || *p == '#';
}

static int run(struct rp *rp)
{
	int err;

	for (;;) {
		err = read_line(rp);
		if (err <= 0)
			break;
		if (is_comment(rp->buf))
			continue;
		if (!rp->seen_header) {
			if ((err = header(rp)))
				return err;
			continue;
		}
		if ((err = split(rp)))
			return err;
		if (rp->seen_end)
			return bad(rp, "%.20s record after the end record", rp->kind);
		rp->records++;
		stamp(rp);
		if (!rp->in_interval)
			rp->first_line = rp->line;
		err = dispatch(rp);
		if (err < 0)
			return err;
		gtt_executor_run_all(rp->ex);
		rp->in_interval++;
		if (rp->cfg->interval && rp->in_interval == rp->cfg->interval)
			end_interval(rp);
	}
	if (err < 0)
		return err;
	if (!rp->seen_header)
		return bad(rp, "empty trace (no 'gtt-trace %d' header)", GTT_TRACE_VERSION);
	if (rp->nops)
		return bad(rp, "the trace ends inside a batch (truncated?)");
	if (!rp->seen_end)
		return bad(rp, "the trace ends without its end record (truncated?)");
	return 0;
}

static void put_all(struct idmap *m, int what)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->s[i].key || !m->s[i].val)
			continue;
		if (what == 0)
			gtt_fence_put((struct gtt_fence *)(uintptr_t)m->s[i].val);
		else
			gtt_pages_put((struct gtt_pages *)(uintptr_t)m->s[i].val);
	}
	mem_free(m->s);
	m->s = NULL;
	m->cap = m->used = 0;
}

static void teardown(struct rp *rp)
{
	/* Fences from outside that never signalled in the trace signal now,
	 * so that nothing waits for them forever. */
	for (size_t i = 0; i < rp->fences.cap; i++)
		if (rp->fences.s[i].key && rp->fences.s[i].val &&
		    (rp->fences.s[i].aux & FENCE_OUTSIDE))
			gtt_fence_signal((struct gtt_fence *)(uintptr_t)rp->fences.s[i].val, 0);
	if (rp->ex)
		gtt_executor_run_all(rp->ex);
	gtt_vm_destroy(rp->vm);
	gtt_executor_destroy(rp->ex);
	if (rp->own_be)
		gtt_backend_destroy(rp->be);
	put_all(&rp->fences, 0);
	put_all(&rp->pages, 1);
	mem_free(rp->vmas.s);
	mem_free(rp->ctxs.s);
	mem_free(rp->vma_names.s);
	mem_free(rp->pages_names.s);
	mem_free(rp->ops);
	mem_free(rp->fifo);
	mem_free(rp->buf);
}

GTT_API int gtt_trace_replay(FILE *in, const struct gtt_replay_config *cfg,
			     struct gtt_replay_stats *total, uint64_t *line)
{
	static const struct gtt_replay_config as_recorded = {
		.placement = GTT_REPLAY_AS_RECORDED,
		.avoid_pending = GTT_REPLAY_AS_RECORDED,
	};
	struct gtt_replay_stats now, tot, zero = { 0 };
	struct rp rp = { .in = in, .dma_next = DMA_START };
	char msg[320];
	int err;

	if (line)
		*line = 0;
	if (!in)
		return set_error(-EINVAL, "gtt_trace_replay: in is NULL");
	if (!cfg)
		cfg = &as_recorded;
	if (!reserved_zero(cfg->reserved, sizeof(cfg->reserved)))
		return set_error(-EINVAL, "gtt_trace_replay: the config has non-zero reserved fields (built against a newer libgtt?)");
	if (cfg->placement != GTT_REPLAY_AS_RECORDED &&
	    (cfg->placement < GTT_PLACE_BEST || cfg->placement > GTT_PLACE_HIGH))
		return set_error(-EINVAL, "gtt_trace_replay: placement %d is not a gtt_placement", cfg->placement);
	if (cfg->avoid_pending < GTT_REPLAY_AS_RECORDED || cfg->avoid_pending > 1)
		return set_error(-EINVAL, "gtt_trace_replay: avoid_pending %d is not -1, 0 or 1", cfg->avoid_pending);
	if (cfg->timing > GTT_REPLAY_ASAP)
		return set_error(-EINVAL, "gtt_trace_replay: unknown timing %u", cfg->timing);
	if (cfg->evict_order < GTT_EVICT_FEWEST || cfg->evict_order > GTT_EVICT_ROSTER)
		return set_error(-EINVAL, "gtt_trace_replay: evict_order %d is not a gtt_evict_order", cfg->evict_order);
	rp.cfg = cfg;
	rp.max_work = cfg->max_work ? cfg->max_work : GTT_REPLAY_MAX_WORK;
	flockfile(in);
	err = run(&rp);
	funlockfile(in);
	if (!err) {
		if (cfg->interval)
			end_interval(&rp);
		snapshot(&rp, &now);
		delta(&tot, &now, &zero);
		tot.interval = UINT64_MAX;
		tot.first_line = 1;
		tot.last_line = rp.line;
		if (total)
			*total = tot;
		if (cfg->on_vm && rp.vm)
			cfg->on_vm(cfg->arg, rp.vm, &tot);
	}
	if (err && line)
		*line = rp.line;
	/* The teardown's own calls must not overwrite the reason. */
	snprintf(msg, sizeof(msg), "%s", gtt_last_error());
	teardown(&rp);
	if (err)
		set_error(err, "%s", msg);
	return err;
}
