/* SPDX-License-Identifier: MIT */
/*
 * The trace recorder (gtt/trace.h): the vm calls it at the hooks of
 * trace_hooks.h, with the vm lock held; it formats one line per record
 * into a buffer that goes to the sink between records.
 *
 * Fences get ids.  A fence the recorder has seen unsignalled sits in a hash
 * table (pointer -> id) with a reference and a callback on it; the callback
 * writes the "signal" record, takes the fence out of the table and drops
 * the reference.  A fence that had signalled when it appeared is id 0: it
 * orders nothing.  Pages objects get ids the same way (a pointer table that
 * only grows; an entry whose size or flags no longer match is a new object
 * at a reused address and gets a new id).
 *
 * Locking: tr->lock guards everything in struct gtt_trace.  It is taken
 * under the vm lock (hooks) and under a fence's lock (the callback), and
 * no fence or vm lock is ever taken while it is held: callbacks are added
 * after it is dropped (still under the vm lock, which orders them against
 * gtt_vm_trace_stop()).  A hook takes it only while a callback is armed
 * (tr->armed, see hook_begin()): the hooks themselves are kept apart by
 * the vm lock.
 */
#include <inttypes.h>
#include <string.h>

#include <gtt/trace.h>

#include "trace/trace_clock.h"
#include "trace/trace_fmt.h"
#include "vm/vm_internal.h"

struct fence_entry {
	struct gtt_fence_cb cb;
	struct gtt_trace *tr;
	struct gtt_fence *fence;	/* one reference */
	uint64_t id;
	struct fence_entry *next;	/* hash chain */
	struct fence_entry *watch;	/* to be given its callback */
	bool claimed;			/* taken by gtt_vm_trace_stop() */
};

struct pages_entry {
	const struct gtt_pages *pages;
	uint64_t id;
	uint64_t size;
	unsigned int flags;
	struct pages_entry *next;
};

/*
 * The text of a bind record's fields from flags= to pages_offset= and the
 * struct gtt_bind_info fields it was made from: a driver binds with the
 * same info over and over, and then the text is copied, not formatted.
 */
struct bind_text {
	uint64_t offset, size, alignment, range_start, range_end, pages_offset;
	unsigned int flags;
	uint32_t color, pte_flags;
	enum gtt_placement placement;
	uint32_t len;			/* 0: none yet */
	char text[256 + 32];		/* 231 at most, copied in 32-byte pieces */
};

/*
 * What every record reads and writes comes first, in three cache lines
 * (in a driver's loop the vm's own data pushes them out of L1 between
 * records); the rest after.
 */
struct gtt_trace {
	char *buf;
	size_t len, cap;
	uint64_t records;
	int error;			/* the sink's first error */
	unsigned int flags;
	_Atomic unsigned int armed;	/* callbacks that may still run */
	bool hook_locked;		/* the current hook took tr->lock */
	struct fence_entry *to_watch;	/* created by the current hook */
	struct trace_clock clock;
	/* The last record's handle field, and its time's digits above the
	 * last 8 (both change seldom from one record to the next). */
	gtt_vma_t last_vma;
	size_t last_vma_at;		/* where it is in buf */
	uint32_t last_vma_len;		/* 0: none yet */
	uint32_t last_t_hi_len;
	uint64_t last_t_hi;		/* 0: none yet */
	char last_t_hi_text[32];

	struct bind_text last_bind;	/* the fields of the last bind record */
	pthread_mutex_t lock;
	FILE *file;
	gtt_trace_write_fn write;
	void *arg;
	uint64_t dropped;
	uint64_t next_fence, next_pages;
	struct fence_entry **fb;	/* fence buckets */
	size_t fnb, fcount;
	struct pages_entry **pb;	/* pages buckets */
	size_t pnb, pcount;
};

#define FLUSH_AT (48u << 10)

static size_t hash_ptr(const void *p, size_t nb)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 29;
	return (size_t)x & (nb - 1);
}

/* ---- output ---- */

/*
 * A record is formatted straight into tr->buf: rec_open() makes room for
 * the most the record can take (REC_MAX, plus its lists), writes its kind
 * and its t= field and returns the write position; the hook writes its
 * fields with the LIT() and put_*() helpers of trace_fmt.h, which check
 * nothing;
 * rec_close() ends the line.  Nothing between the two may write another
 * record (the buffer can move when it grows).
 */
#define REC_MAX 512		/* the longest fixed part (bind: under 400) */
#define DEC_MAX 20

static int sink(struct gtt_trace *tr, const char *data, size_t len)
{
	if (!len || tr->error)
		return tr->error;
	if (tr->file) {
		if (fwrite(data, 1, len, tr->file) != len)
			tr->error = -EIO;
	} else {
		int err = tr->write(tr->arg, data, len);

		if (err)
			tr->error = err < 0 ? err : -EIO;
	}
	return tr->error;
}

static int flush_locked(struct gtt_trace *tr)
{
	int err = sink(tr, tr->buf, tr->len);

	tr->len = 0;
	tr->last_vma_len = 0;	/* put_vma() copies from the buffer */
	if (!err && tr->file && fflush(tr->file))
		tr->error = err = -EIO;
	return err;
}

static bool grow(struct gtt_trace *tr, size_t n)
{
	size_t cap;
	char *nb;

	if (n > SIZE_MAX / 4 - tr->len)
		return false;
	cap = tr->cap * 2;
	while (cap < tr->len + n)
		cap *= 2;
	nb = mem_realloc(tr->buf, cap);
	if (!nb)
		return false;
	tr->buf = nb;
	tr->cap = cap;
	return true;
}

static inline __attribute__((always_inline)) bool room(struct gtt_trace *tr, size_t n)
{
	return tr->len + n <= tr->cap || grow(tr, n);
}

/* The clock's reading; its digits above the last 8 are those of the
 * record before, most of the time. */
static inline __attribute__((always_inline)) char *put_time(struct gtt_trace *tr, char *p)
{
	uint64_t t = tr->flags & GTT_TRACE_NO_TIME ? 0 : trace_clock_read(&tr->clock), hi;

	if (t < 100000000)
		return put_dec(p, t);
	hi = t / 100000000;
	if (hi != tr->last_t_hi) {
		tr->last_t_hi = hi;
		tr->last_t_hi_len = (uint32_t)(put_dec(tr->last_t_hi_text, hi) - tr->last_t_hi_text);
	}
	memcpy(p, tr->last_t_hi_text, 16);	/* hi < 2^64 / 10^8: 12 digits at most */
	p += tr->last_t_hi_len;
	trace_dec8(p, (uint32_t)(t % 100000000));
	return p + 8;
}

/* Room for @max bytes, then "@kind t=N": where the fields go, or NULL
 * (no memory, or the sink failed: the record is dropped). */
static inline __attribute__((always_inline)) char *rec_open(struct gtt_trace *tr, const char *kind,
							    size_t kind_len, size_t max)
{
	char *p;

	if (tr->error || !room(tr, kind_len + 4 + DEC_MAX + max + TRACE_FMT_SLACK)) {
		tr->dropped++;
		return NULL;
	}
	p = tr->buf + tr->len;
	memcpy(p, kind, kind_len);
	return put_time(tr, LIT(p + kind_len, " t="));
}

/*
 * " vma=<@h>", copied from the last record that had one when it is the
 * same handle.  The copy comes from the buffer, where that record put it
 * (until a flush empties the buffer): copying it to a cache of its own
 * right after formatting would wait for those stores to land.
 */
static inline __attribute__((always_inline)) char *put_vma(struct gtt_trace *tr, char *p, gtt_vma_t h)
{
	size_t at = (size_t)(p - tr->buf);

	if (h == tr->last_vma && tr->last_vma_len) {
		/* memmove: a record with a short handle and few fields may
		 * end less than 24 bytes before this one's field. */
		memmove(p, tr->buf + tr->last_vma_at, 24);	/* " vma=0x" and 16 digits at most */
		p += tr->last_vma_len;
	} else {
		p = put_hex(LIT(p, " vma="), h);
		tr->last_vma = h;
		tr->last_vma_len = (uint32_t)((size_t)(p - tr->buf) - at);
	}
	tr->last_vma_at = at;
	return p;
}

/* @kind: a string literal. */
#define REC_OPEN(tr, kind, max) rec_open((tr), "" kind, sizeof(kind) - 1, (max))

static void rec_close(struct gtt_trace *tr, char *p)
{
	*p++ = '\n';
	tr->len = (size_t)(p - tr->buf);
	tr->records++;
	if (tr->len >= FLUSH_AT)
		flush_locked(tr);
}

/* A record opened that must not be written after all (a part of it is
 * missing for lack of memory). */
static void rec_drop(struct gtt_trace *tr)
{
	tr->dropped++;
}

/* ---- fences ---- */

static struct fence_entry *fence_find(struct gtt_trace *tr,
				      const struct gtt_fence *f)
{
	struct fence_entry *e;

	if (!tr->fnb)
		return NULL;
	for (e = tr->fb[hash_ptr(f, tr->fnb)]; e; e = e->next)
		if (e->fence == f)
			return e;
	return NULL;
}

static bool fence_grow(struct gtt_trace *tr)
{
	size_t nb = tr->fnb ? tr->fnb * 2 : 64;
	struct fence_entry **b = mem_zalloc(nb * sizeof(*b));

	if (!b)
		return false;
	for (size_t i = 0; i < tr->fnb; i++) {
		struct fence_entry *e, *n;

		for (e = tr->fb[i]; e; e = n) {
			size_t h = hash_ptr(e->fence, nb);

			n = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	mem_free(tr->fb);
	tr->fb = b;
	tr->fnb = nb;
	return true;
}

static void fence_unlink(struct gtt_trace *tr, struct fence_entry *e)
{
	struct fence_entry **pp = &tr->fb[hash_ptr(e->fence, tr->fnb)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	tr->fcount--;
}

/* A new watched fence (its callback comes once the lock is dropped). */
static struct fence_entry *fence_add(struct gtt_trace *tr, struct gtt_fence *f)
{
	struct fence_entry *e;
	size_t h;

	if (tr->fcount >= tr->fnb && !fence_grow(tr))
		return NULL;
	e = mem_zalloc(sizeof(*e));
	if (!e)
		return NULL;
	e->tr = tr;
	e->fence = gtt_fence_get(f);
	e->id = ++tr->next_fence;
	h = hash_ptr(f, tr->fnb);
	e->next = tr->fb[h];
	tr->fb[h] = e;
	tr->fcount++;
	e->watch = tr->to_watch;
	tr->to_watch = e;
	return e;
}

/* The id of a fence the vm was handed: 0 if it had signalled. */
static uint64_t fence_id(struct gtt_trace *tr, struct gtt_fence *f)
{
	struct fence_entry *e = f ? fence_find(tr, f) : NULL;

	return e ? e->id : 0;
}

/* Declare @f (a "fence" record) if it is new and unsignalled.  Call
 * before the record that names it. */
static void fence_declare(struct gtt_trace *tr, struct gtt_fence *f)
{
	struct fence_entry *e;
	uint64_t id;
	char *p;

	if (!f || gtt_fence_is_signaled(f) || fence_find(tr, f))
		return;
	e = fence_add(tr, f);
	if (!e) {
		tr->dropped++;
		return;
	}
	id = e->id;
	p = REC_OPEN(tr, "fence", REC_MAX);
	if (!p)
		return;
	p = put_dec(LIT(p, " id="), id);
	p = put_hex(LIT(p, " ctx="), gtt_fence_context(f));
	p = put_dec(LIT(p, " seqno="), gtt_fence_seqno(f));
	rec_close(tr, p);
}

/* The id of a fence the vm hands out (0: none, or signalled already). */
static uint64_t fence_produced(struct gtt_trace *tr, struct gtt_fence *f)
{
	struct fence_entry *e;

	if (!f || gtt_fence_is_signaled(f))
		return 0;
	e = fence_find(tr, f);
	if (!e)
		e = fence_add(tr, f);
	return e ? e->id : 0;
}

static void on_signal(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct fence_entry *e = container_of(cb, struct fence_entry, cb);
	struct gtt_trace *tr = e->tr;
	char *p;

	pthread_mutex_lock(&tr->lock);
	if (e->claimed) {
		pthread_mutex_unlock(&tr->lock);
		return;
	}
	fence_unlink(tr, e);
	p = REC_OPEN(tr, "signal", REC_MAX);
	if (p) {
		p = put_dec(LIT(p, " fence="), e->id);
		p = put_int(LIT(p, " err="), gtt_fence_status(f) < 0 ? gtt_fence_status(f) : 0);
		rec_close(tr, p);
	}
	/* Last, still locked: a hook that sees 0 writes without the lock
	 * (and gtt_vm_trace_stop() may free tr once it is unlocked). */
	atomic_fetch_sub_explicit(&tr->armed, 1, memory_order_release);
	pthread_mutex_unlock(&tr->lock);
	gtt_fence_put(f);
	mem_free(e);
}

/* After a hook: give the new fences their callbacks (tr->lock dropped). */
static void watch_new(struct gtt_trace *tr)
{
	struct fence_entry *e = tr->to_watch, *next;

	tr->to_watch = NULL;
	for (; e; e = next) {
		next = e->watch;
		atomic_fetch_add_explicit(&tr->armed, 1, memory_order_relaxed);
		if (!gtt_fence_add_callback(e->fence, &e->cb, on_signal))
			continue;
		/* Signalled meanwhile: as the callback would. */
		on_signal(e->fence, &e->cb);
	}
}

/*
 * Hooks: lock, format, unlock, watch.  Hooks run one at a time under the
 * vm lock; tr->lock keeps them apart from on_signal(), which runs in
 * whichever thread signals a watched fence.  With no callback armed none
 * can run until this hook arms its own (in watch_new(), after it is done
 * with the buffer), so the hook need not take the lock: the acquire load
 * pairs with on_signal()'s release decrement, made after its writes.
 */
static struct gtt_trace *hook_begin(struct gtt_vm *vm)
{
	struct gtt_trace *tr = vm->trace;

	tr->hook_locked = atomic_load_explicit(&tr->armed, memory_order_acquire) != 0;
	if (tr->hook_locked)
		pthread_mutex_lock(&tr->lock);
	return tr;
}

static void hook_end(struct gtt_trace *tr)
{
	if (tr->hook_locked)
		pthread_mutex_unlock(&tr->lock);
	if (tr->to_watch)
		watch_new(tr);
}

/* ---- pages ---- */

static uint64_t pages_ref(struct gtt_trace *tr, const struct gtt_pages *p)
{
	struct pages_entry *e;
	char *w;
	size_t h;

	if (tr->pcount >= tr->pnb) {
		size_t nb = tr->pnb ? tr->pnb * 2 : 64;
		struct pages_entry **b = mem_zalloc(nb * sizeof(*b));

		if (!b)
			return 0;
		for (size_t i = 0; i < tr->pnb; i++) {
			struct pages_entry *n;

			for (e = tr->pb[i]; e; e = n) {
				n = e->next;
				h = hash_ptr(e->pages, nb);
				e->next = b[h];
				b[h] = e;
			}
		}
		mem_free(tr->pb);
		tr->pb = b;
		tr->pnb = nb;
	}
	h = hash_ptr(p, tr->pnb);
	for (e = tr->pb[h]; e; e = e->next)
		if (e->pages == p)
			break;
	if (e && e->size == gtt_pages_size(p) && e->flags == gtt_pages_flags(p))
		return e->id;
	if (!e) {
		e = mem_zalloc(sizeof(*e));
		if (!e)
			return 0;
		e->pages = p;
		e->next = tr->pb[h];
		tr->pb[h] = e;
		tr->pcount++;
	}
	e->id = ++tr->next_pages;
	e->size = gtt_pages_size(p);
	e->flags = gtt_pages_flags(p);
	w = REC_OPEN(tr, "pages", REC_MAX);
	if (w) {
		w = put_dec(LIT(w, " id="), e->id);
		w = put_hex(LIT(w, " size="), e->size);
		w = put_hex(LIT(w, " flags="), e->flags);
		rec_close(tr, w);
	}
	return e->id;
}

/* ---- hooks ---- */

void trace_rec_vma(struct gtt_vm *vm, const struct vma *v)
{
	struct gtt_trace *tr = hook_begin(vm);
	uint64_t pid = v->sparse ? 0 : pages_ref(tr, v->pages);
	char *p;

	if (!v->sparse && !pid) {
		rec_drop(tr);
	} else if (v->sparse) {
		p = REC_OPEN(tr, "sparse", REC_MAX);
		if (p) {
			p = put_vma(tr, p, v->handle);
			p = put_hex(LIT(p, " size="), vma_sparse(v)->size);
			p = put_dec(LIT(p, " resv="), v->resv != NULL);
			rec_close(tr, p);
		}
	} else {
		p = REC_OPEN(tr, "vma", REC_MAX);
		if (p) {
			p = put_vma(tr, p, v->handle);
			p = put_dec(LIT(p, " pages="), pid);
			p = put_dec(LIT(p, " resv="), v->resv != NULL);
			rec_close(tr, p);
		}
	}
	hook_end(tr);
}

static inline __attribute__((always_inline)) char *put_ret(char *p, int err)
{
	return err ? put_int(LIT(p, " ret="), err) : LIT(p, " ret=0");
}

void trace_rec_destroy(struct gtt_vm *vm, gtt_vma_t h, int err)
{
	struct gtt_trace *tr = hook_begin(vm);
	char *p = REC_OPEN(tr, "destroy", REC_MAX);

	if (p) {
		p = put_vma(tr, p, h);
		rec_close(tr, put_ret(p, err));
	}
	hook_end(tr);
}

/* Room a deps= list of @n fences can take. */
static size_t deps_room(size_t n)
{
	return n > SIZE_MAX / 32 ? SIZE_MAX / 2 : n * (DEC_MAX + 1);
}

static char *put_deps(struct gtt_trace *tr, char *p, struct gtt_fence *const *deps,
		      size_t n)
{
	char *start;

	p = LIT(p, " deps=");
	start = p;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = fence_id(tr, deps[i]);

		if (!id)
			continue;
		if (p != start)
			*p++ = ',';
		p = put_dec(p, id);
	}
	if (p == start)
		*p++ = '-';
	return p;
}

static char *put_placement(char *p, enum gtt_placement pl)
{
	switch (pl) {
	case GTT_PLACE_LOW:
		return LIT(p, "low");
	case GTT_PLACE_HIGH:
		return LIT(p, "high");
	case GTT_PLACE_BEST:
		return LIT(p, "best");
	}
	return LIT(p, "?");
}

static bool same_fields(const struct bind_text *a, const struct gtt_bind_info *b)
{
	return a->flags == b->flags && a->offset == b->offset && a->size == b->size &&
	       a->alignment == b->alignment && a->color == b->color &&
	       a->range_start == b->range_start && a->range_end == b->range_end &&
	       a->placement == b->placement && a->pte_flags == b->pte_flags &&
	       a->pages_offset == b->pages_offset;
}

/* " flags=... pages_offset=..." of @info, from tr->last_bind when it has them. */
static char *put_bind_fields(struct gtt_trace *tr, char *p, const struct gtt_bind_info *info)
{
	struct bind_text *c = &tr->last_bind;
	char *start = p;

	if (c->len && same_fields(c, info)) {
		/* In whole 32-byte pieces: the bytes past len are overwritten
		 * next (REC_MAX has room for them). */
		for (uint32_t i = 0; i < c->len; i += 32)
			memcpy(p + i, c->text + i, 32);
		return p + c->len;
	}
	p = put_hex(LIT(p, " flags="), info->flags);
	p = put_hex(LIT(p, " offset="), info->offset);
	p = put_hex(LIT(p, " size="), info->size);
	p = put_hex(LIT(p, " align="), info->alignment);
	p = put_hex(LIT(p, " color="), info->color);
	p = put_hex(LIT(p, " range_start="), info->range_start);
	p = put_hex(LIT(p, " range_end="), info->range_end);
	p = put_placement(LIT(p, " placement="), info->placement);
	p = put_hex(LIT(p, " pte="), info->pte_flags);
	p = put_hex(LIT(p, " pages_offset="), info->pages_offset);
	c->offset = info->offset;
	c->size = info->size;
	c->alignment = info->alignment;
	c->range_start = info->range_start;
	c->range_end = info->range_end;
	c->pages_offset = info->pages_offset;
	c->flags = info->flags;
	c->color = info->color;
	c->pte_flags = info->pte_flags;
	c->placement = info->placement;
	c->len = (uint32_t)(p - start);
	memcpy(c->text, start, c->len);
	return p;
}

void trace_rec_bind(struct gtt_vm *vm, gtt_vma_t h,
		    const struct gtt_bind_info *info, int err,
		    const struct gtt_binding *b)
{
	struct gtt_trace *tr = hook_begin(vm);
	uint64_t fid;
	char *p;

	for (size_t i = 0; i < info->num_deps; i++)
		fence_declare(tr, info->deps[i]);
	fid = !err && b ? fence_produced(tr, b->bind_fence) : 0;
	p = REC_OPEN(tr, "bind", REC_MAX + deps_room(info->num_deps));
	if (p) {
		p = put_vma(tr, p, h);
		p = put_bind_fields(tr, p, info);
		p = put_deps(tr, p, info->deps, info->num_deps);
		if (!err && b) {
			p = put_hex(LIT(p, " at="), b->start);
			p = put_hex(LIT(p, " mapped="), b->size);
		} else {
			p = LIT(p, " at=- mapped=-");
		}
		if (!fid && !err)
			p = LIT(p, " fence=0 ret=0");
		else
			p = put_ret(put_dec(LIT(p, " fence="), fid), err);
		rec_close(tr, p);
	}
	hook_end(tr);
}

void trace_rec_unbind(struct gtt_vm *vm, gtt_vma_t h, unsigned int flags,
		      int err, struct gtt_fence *f)
{
	struct gtt_trace *tr = hook_begin(vm);
	uint64_t fid = err ? 0 : fence_produced(tr, f);
	char *p = REC_OPEN(tr, "unbind", REC_MAX);

	if (p) {
		p = put_vma(tr, p, h);
		if (!flags && !fid && !err) {
			p = LIT(p, " flags=0x0 fence=0 ret=0");
		} else {
			p = put_hex(LIT(p, " flags="), flags);
			p = put_ret(put_dec(LIT(p, " fence="), fid), err);
		}
		rec_close(tr, p);
	}
	hook_end(tr);
}

void trace_rec_pin(struct gtt_vm *vm, gtt_vma_t h, bool pin, int err)
{
	struct gtt_trace *tr = hook_begin(vm);
	char *p = pin ? REC_OPEN(tr, "pin", REC_MAX) : REC_OPEN(tr, "unpin", REC_MAX);

	if (p) {
		p = put_vma(tr, p, h);
		rec_close(tr, put_ret(p, err));
	}
	hook_end(tr);
}

void trace_rec_active(struct gtt_vm *vm, gtt_vma_t h, struct gtt_fence *f,
		      int err)
{
	struct gtt_trace *tr = hook_begin(vm);
	char *p;

	fence_declare(tr, f);
	p = REC_OPEN(tr, "active", REC_MAX);
	if (p) {
		p = h ? put_hex(LIT(p, " vma="), h) : LIT(p, " vma=vm");
		p = put_dec(LIT(p, " fence="), fence_id(tr, f));
		rec_close(tr, put_ret(p, err));
	}
	hook_end(tr);
}

void trace_rec_active_many(struct gtt_vm *vm, const gtt_vma_t *vmas,
			   size_t count, struct gtt_fence *f, int err)
{
	struct gtt_trace *tr = hook_begin(vm);
	char *p;

	fence_declare(tr, f);
	p = REC_OPEN(tr, "active_many", REC_MAX + deps_room(count));
	if (p) {
		p = LIT(p, " vmas=");
		for (size_t i = 0; i < count; i++) {
			if (i)
				*p++ = ',';
			p = put_hex(p, vmas[i]);
		}
		if (!count)
			*p++ = '-';
		p = put_dec(LIT(p, " fence="), fence_id(tr, f));
		rec_close(tr, put_ret(p, err));
	}
	hook_end(tr);
}

void trace_rec_evict(struct gtt_vm *vm, const struct vma *v)
{
	struct gtt_trace *tr = hook_begin(vm);
	struct gtt_binding *b = v->binding;
	uint64_t fid = b ? fence_produced(tr, &b->unbind_fence) : 0;
	char *p = REC_OPEN(tr, "evict", REC_MAX);

	if (p) {
		p = put_vma(tr, p, v->handle);
		p = put_hex(LIT(p, " at="), b ? b->start : 0);
		p = put_hex(LIT(p, " size="), b ? b->size : 0);
		p = put_dec(LIT(p, " fence="), fid);
		rec_close(tr, p);
	}
	hook_end(tr);
}

void trace_rec_batch(struct gtt_vm *vm, const struct gtt_map_op *ops,
		     size_t count, const struct gtt_map_info *info,
		     struct gtt_fence *f, const char *who)
{
	struct gtt_trace *tr = hook_begin(vm);
	size_t who_len;
	uint64_t fid;
	char *p;

	for (size_t i = 0; i < info->num_deps; i++)
		fence_declare(tr, info->deps[i]);
	for (size_t i = 0; i < count; i++) {
		uint64_t pid = ops[i].pages ? pages_ref(tr, ops[i].pages) : 0;

		if (ops[i].pages && !pid) {
			rec_drop(tr);
			continue;
		}
		p = REC_OPEN(tr, "mapop", REC_MAX);
		if (!p)
			continue;
		p = ops[i].kind == GTT_OP_MAP ? LIT(p, " kind=map") : LIT(p, " kind=unmap");
		p = put_vma(tr, p, ops[i].vma);
		p = put_hex(LIT(p, " offset="), ops[i].offset);
		p = put_hex(LIT(p, " size="), ops[i].size);
		p = put_dec(LIT(p, " pages="), pid);
		p = put_hex(LIT(p, " pages_offset="), ops[i].pages_offset);
		p = put_hex(LIT(p, " pte="), ops[i].pte_flags);
		rec_close(tr, p);
	}
	fid = fence_produced(tr, f);
	if (!strncmp(who, "gtt_", 4))
		who += 4;
	who_len = strlen(who);
	p = REC_OPEN(tr, "batch", REC_MAX + who_len + deps_room(info->num_deps));
	if (p) {
		p = put_dec(LIT(p, " n="), count);
		p = put_hex(LIT(p, " flags="), info->flags);
		p = put_deps(tr, p, info->deps, info->num_deps);
		p = LIT(p, " call=");
		memcpy(p, who, who_len);
		p = put_dec(LIT(p + who_len, " fence="), fid);
		rec_close(tr, put_ret(p, 0));
	}
	hook_end(tr);
}

void trace_rec_vm_gone(struct gtt_vm *vm)
{
	gtt_vm_trace_stop(vm);
}

/* ---- public ---- */

static void trace_free(struct gtt_trace *tr)
{
	for (size_t i = 0; i < tr->pnb; i++) {
		struct pages_entry *e, *n;

		for (e = tr->pb[i]; e; e = n) {
			n = e->next;
			mem_free(e);
		}
	}
	mem_free(tr->pb);
	mem_free(tr->fb);
	mem_free(tr->buf);
	pthread_mutex_destroy(&tr->lock);
	mem_free(tr);
}

GTT_API int gtt_vm_trace_start(struct gtt_vm *vm,
			       const struct gtt_trace_config *cfg)
{
	const unsigned int known = GTT_TRACE_NO_TIME;
	struct gtt_trace *tr;
	const char *name;
	size_t name_len;
	char *p;
	int err;

	if (!vm || !cfg)
		return set_error(-EINVAL, "gtt_vm_trace_start: vm or cfg is NULL");
	if (!reserved_zero(cfg->reserved, sizeof(cfg->reserved)))
		return set_error(-EINVAL, "gtt_vm_trace_start: the config has non-zero reserved fields (built against a newer libgtt?)");
	if (!cfg->file == !cfg->write)
		return set_error(-EINVAL, "gtt_vm_trace_start: give exactly one of file and write");
	if (cfg->flags & ~known)
		return set_error(-EINVAL, "gtt_vm_trace_start: unknown flags 0x%x", cfg->flags);
	tr = mem_zalloc(sizeof(*tr));
	if (!tr || !(tr->buf = mem_alloc(64u << 10))) {
		mem_free(tr);
		return set_error(-ENOMEM, "gtt_vm_trace_start: out of memory");
	}
	pthread_mutex_init(&tr->lock, NULL);
	tr->cap = 64u << 10;
	tr->file = cfg->file;
	tr->write = cfg->write;
	tr->arg = cfg->arg;
	tr->flags = cfg->flags;
	trace_clock_start(&tr->clock);

	pthread_mutex_lock(&vm->lock);
	if (vm->trace) {
		pthread_mutex_unlock(&vm->lock);
		trace_free(tr);
		return set_error(-EBUSY, "gtt_vm_trace_start: vm '%s' is already recording", vm->name);
	}
	/* The header is not a record; the fresh buffer has room for both. */
	p = put_dec(LIT(tr->buf, "gtt-trace "), GTT_TRACE_VERSION);
	*p++ = '\n';
	tr->len = (size_t)(p - tr->buf);
	name = vm->name[0] ? vm->name : "-";
	name_len = strlen(name);
	p = REC_OPEN(tr, "vm", REC_MAX + name_len);
	memcpy(LIT(p, " name="), name, name_len);
	p = put_hex(LIT(p + 6 + name_len, " start="), vm->start);
	p = put_hex(LIT(p, " size="), vm->end - vm->start);
	p = put_hex(LIT(p, " page_size="), vm->page_size);
	p = put_hex(LIT(p, " flags="), vm->flags);
	rec_close(tr, p);
	err = flush_locked(tr);
	if (err) {
		pthread_mutex_unlock(&vm->lock);
		trace_free(tr);
		return set_error(err, "gtt_vm_trace_start: writing the header failed (%s)",
				 gtt_strerror(err));
	}
	vm->trace = tr;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

GTT_API int gtt_vm_trace_flush(struct gtt_vm *vm)
{
	struct gtt_trace *tr;
	int err;

	if (!vm)
		return set_error(-EINVAL, "gtt_vm_trace_flush: vm is NULL");
	pthread_mutex_lock(&vm->lock);
	tr = vm->trace;
	if (!tr) {
		pthread_mutex_unlock(&vm->lock);
		return set_error(-EINVAL, "gtt_vm_trace_flush: vm '%s' is not recording", vm->name);
	}
	pthread_mutex_lock(&tr->lock);
	err = flush_locked(tr);
	pthread_mutex_unlock(&tr->lock);
	pthread_mutex_unlock(&vm->lock);
	return err ? set_error(err, "gtt_vm_trace_flush: the sink failed (%s)", gtt_strerror(err)) : 0;
}

GTT_API int gtt_vm_trace_stop(struct gtt_vm *vm)
{
	struct fence_entry *claimed = NULL, *e, *n;
	struct gtt_trace *tr;
	uint64_t dropped;
	char *p;
	int err;

	if (!vm)
		return set_error(-EINVAL, "gtt_vm_trace_stop: vm is NULL");
	pthread_mutex_lock(&vm->lock);
	tr = vm->trace;
	vm->trace = NULL;
	pthread_mutex_unlock(&vm->lock);
	if (!tr)
		return set_error(-EINVAL, "gtt_vm_trace_stop: vm '%s' is not recording", vm->name);

	/* Let every watched fence go: claimed entries are ours even if
	 * their callback is running right now. */
	pthread_mutex_lock(&tr->lock);
	for (size_t i = 0; i < tr->fnb; i++) {
		for (e = tr->fb[i]; e; e = n) {
			n = e->next;
			e->claimed = true;
			gtt_fence_get(e->fence);
			e->next = claimed;
			claimed = e;
		}
		tr->fb[i] = NULL;
	}
	tr->fcount = 0;
	pthread_mutex_unlock(&tr->lock);
	for (e = claimed; e; e = n) {
		n = e->next;
		gtt_fence_remove_callback(e->fence, &e->cb);
		gtt_fence_put(e->fence);
		gtt_fence_put(e->fence);
		mem_free(e);
	}

	pthread_mutex_lock(&tr->lock);
	p = REC_OPEN(tr, "end", REC_MAX);
	if (p) {
		p = put_dec(LIT(p, " records="), tr->records + 1);
		p = put_dec(LIT(p, " dropped="), tr->dropped);
		rec_close(tr, p);
	}
	err = flush_locked(tr);
	dropped = tr->dropped;
	pthread_mutex_unlock(&tr->lock);
	trace_free(tr);
	if (err)
		return set_error(err, "gtt_vm_trace_stop: the sink failed (%s)", gtt_strerror(err));
	if (dropped)
		return set_error(-ENOSPC, "gtt_vm_trace_stop: %" PRIu64 " records were dropped for lack of memory",
				 dropped);
	return 0;
}
