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
 * gtt_vm_trace_stop()).
 */
#include <inttypes.h>
#include <string.h>

#include <gtt/trace.h>

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

struct gtt_trace {
	pthread_mutex_t lock;
	FILE *file;
	gtt_trace_write_fn write;
	void *arg;
	unsigned int flags;
	uint64_t t0;
	char *buf;
	size_t len, cap;
	size_t rec_start;
	bool rec_oom;
	int error;			/* the sink's first error */
	uint64_t records, dropped;
	uint64_t next_fence, next_pages;
	struct fence_entry **fb;	/* fence buckets */
	size_t fnb, fcount;
	struct pages_entry **pb;	/* pages buckets */
	size_t pnb, pcount;
	struct fence_entry *to_watch;	/* created by the current hook */
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
	if (!err && tr->file && fflush(tr->file))
		tr->error = err = -EIO;
	return err;
}

static bool room(struct gtt_trace *tr, size_t n)
{
	size_t cap;
	char *nb;

	if (tr->rec_oom)
		return false;
	if (tr->len + n <= tr->cap)
		return true;
	cap = tr->cap * 2;
	while (cap < tr->len + n)
		cap *= 2;
	nb = mem_realloc(tr->buf, cap);
	if (!nb) {
		tr->rec_oom = true;
		return false;
	}
	tr->buf = nb;
	tr->cap = cap;
	return true;
}

static void put_str(struct gtt_trace *tr, const char *s)
{
	size_t n = strlen(s);

	if (room(tr, n)) {
		memcpy(tr->buf + tr->len, s, n);
		tr->len += n;
	}
}

static void put_hex(struct gtt_trace *tr, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;

	if (!room(tr, 18))
		return;
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	tr->buf[tr->len++] = '0';
	tr->buf[tr->len++] = 'x';
	while (n)
		tr->buf[tr->len++] = tmp[--n];
}

static void put_dec(struct gtt_trace *tr, uint64_t v)
{
	char tmp[20];
	int n = 0;

	if (!room(tr, 20))
		return;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		tr->buf[tr->len++] = tmp[--n];
}

static void put_int(struct gtt_trace *tr, int v)
{
	if (v < 0) {
		put_str(tr, "-");
		put_dec(tr, (uint64_t)-(int64_t)v);
	} else {
		put_dec(tr, (uint64_t)v);
	}
}

static void kv_hex(struct gtt_trace *tr, const char *k, uint64_t v)
{
	put_str(tr, k);
	put_hex(tr, v);
}

static void kv_dec(struct gtt_trace *tr, const char *k, uint64_t v)
{
	put_str(tr, k);
	put_dec(tr, v);
}

static void rec_begin(struct gtt_trace *tr, const char *kind)
{
	tr->rec_start = tr->len;
	tr->rec_oom = false;
	put_str(tr, kind);
	kv_dec(tr, " t=", tr->flags & GTT_TRACE_NO_TIME ? 0 : now_ns() - tr->t0);
}

static void rec_end(struct gtt_trace *tr)
{
	put_str(tr, "\n");
	if (tr->rec_oom || tr->error) {
		tr->len = tr->rec_start;
		tr->rec_oom = false;
		tr->dropped++;
		return;
	}
	tr->records++;
	if (tr->len >= FLUSH_AT)
		flush_locked(tr);
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

	if (!f || gtt_fence_is_signaled(f) || fence_find(tr, f))
		return;
	e = fence_add(tr, f);
	if (!e) {
		tr->dropped++;
		return;
	}
	id = e->id;
	rec_begin(tr, "fence");
	kv_dec(tr, " id=", id);
	kv_hex(tr, " ctx=", gtt_fence_context(f));
	kv_dec(tr, " seqno=", gtt_fence_seqno(f));
	rec_end(tr);
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

	pthread_mutex_lock(&tr->lock);
	if (e->claimed) {
		pthread_mutex_unlock(&tr->lock);
		return;
	}
	fence_unlink(tr, e);
	rec_begin(tr, "signal");
	kv_dec(tr, " fence=", e->id);
	put_str(tr, " err=");
	put_int(tr, gtt_fence_status(f) < 0 ? gtt_fence_status(f) : 0);
	rec_end(tr);
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
		if (!gtt_fence_add_callback(e->fence, &e->cb, on_signal))
			continue;
		/* Signalled meanwhile: as the callback would. */
		on_signal(e->fence, &e->cb);
	}
}

/* Hooks: lock, format, unlock, watch. */
static struct gtt_trace *hook_begin(struct gtt_vm *vm)
{
	pthread_mutex_lock(&vm->trace->lock);
	return vm->trace;
}

static void hook_end(struct gtt_trace *tr)
{
	pthread_mutex_unlock(&tr->lock);
	if (tr->to_watch)
		watch_new(tr);
}

/* ---- pages ---- */

static uint64_t pages_ref(struct gtt_trace *tr, const struct gtt_pages *p)
{
	struct pages_entry *e;
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
	rec_begin(tr, "pages");
	kv_dec(tr, " id=", e->id);
	kv_hex(tr, " size=", e->size);
	kv_hex(tr, " flags=", e->flags);
	rec_end(tr);
	return e->id;
}

/* ---- hooks ---- */

void trace_rec_vma(struct gtt_vm *vm, const struct vma *v)
{
	struct gtt_trace *tr = hook_begin(vm);
	uint64_t pid = v->sparse ? 0 : pages_ref(tr, v->pages);

	if (v->sparse) {
		rec_begin(tr, "sparse");
		kv_hex(tr, " vma=", v->handle);
		kv_hex(tr, " size=", vma_sparse(v)->size);
	} else {
		rec_begin(tr, "vma");
		kv_hex(tr, " vma=", v->handle);
		kv_dec(tr, " pages=", pid);
	}
	kv_dec(tr, " resv=", v->resv != NULL);
	if (!v->sparse && !pid)
		tr->rec_oom = true;
	rec_end(tr);
	hook_end(tr);
}

static void ret_end(struct gtt_trace *tr, int err)
{
	put_str(tr, " ret=");
	put_int(tr, err);
	rec_end(tr);
}

void trace_rec_destroy(struct gtt_vm *vm, gtt_vma_t h, int err)
{
	struct gtt_trace *tr = hook_begin(vm);

	rec_begin(tr, "destroy");
	kv_hex(tr, " vma=", h);
	ret_end(tr, err);
	hook_end(tr);
}

static void put_deps(struct gtt_trace *tr, struct gtt_fence *const *deps,
		     size_t n)
{
	bool any = false;

	put_str(tr, " deps=");
	for (size_t i = 0; i < n; i++) {
		uint64_t id = fence_id(tr, deps[i]);

		if (!id)
			continue;
		if (any)
			put_str(tr, ",");
		put_dec(tr, id);
		any = true;
	}
	if (!any)
		put_str(tr, "-");
}

static const char *placement_name(enum gtt_placement p)
{
	return p == GTT_PLACE_LOW ? "low" : p == GTT_PLACE_HIGH ? "high" :
	       p == GTT_PLACE_BEST ? "best" : "?";
}

void trace_rec_bind(struct gtt_vm *vm, gtt_vma_t h,
		    const struct gtt_bind_info *info, int err,
		    const struct gtt_binding *b)
{
	struct gtt_trace *tr = hook_begin(vm);
	uint64_t fid;

	for (size_t i = 0; i < info->num_deps; i++)
		fence_declare(tr, info->deps[i]);
	fid = !err && b ? fence_produced(tr, b->bind_fence) : 0;
	rec_begin(tr, "bind");
	kv_hex(tr, " vma=", h);
	kv_hex(tr, " flags=", info->flags);
	kv_hex(tr, " offset=", info->offset);
	kv_hex(tr, " size=", info->size);
	kv_hex(tr, " align=", info->alignment);
	kv_hex(tr, " color=", info->color);
	kv_hex(tr, " range_start=", info->range_start);
	kv_hex(tr, " range_end=", info->range_end);
	put_str(tr, " placement=");
	put_str(tr, placement_name(info->placement));
	kv_hex(tr, " pte=", info->pte_flags);
	kv_hex(tr, " pages_offset=", info->pages_offset);
	put_deps(tr, info->deps, info->num_deps);
	if (!err && b) {
		kv_hex(tr, " at=", b->start);
		kv_hex(tr, " mapped=", b->size);
	} else {
		put_str(tr, " at=- mapped=-");
	}
	kv_dec(tr, " fence=", fid);
	ret_end(tr, err);
	hook_end(tr);
}

void trace_rec_unbind(struct gtt_vm *vm, gtt_vma_t h, unsigned int flags,
		      int err, struct gtt_fence *f)
{
	struct gtt_trace *tr = hook_begin(vm);
	uint64_t fid = err ? 0 : fence_produced(tr, f);

	rec_begin(tr, "unbind");
	kv_hex(tr, " vma=", h);
	kv_hex(tr, " flags=", flags);
	kv_dec(tr, " fence=", fid);
	ret_end(tr, err);
	hook_end(tr);
}

void trace_rec_pin(struct gtt_vm *vm, gtt_vma_t h, bool pin, int err)
{
	struct gtt_trace *tr = hook_begin(vm);

	rec_begin(tr, pin ? "pin" : "unpin");
	kv_hex(tr, " vma=", h);
	ret_end(tr, err);
	hook_end(tr);
}

void trace_rec_active(struct gtt_vm *vm, gtt_vma_t h, struct gtt_fence *f,
		      int err)
{
	struct gtt_trace *tr = hook_begin(vm);

	fence_declare(tr, f);
	rec_begin(tr, "active");
	if (h)
		kv_hex(tr, " vma=", h);
	else
		put_str(tr, " vma=vm");
	kv_dec(tr, " fence=", fence_id(tr, f));
	ret_end(tr, err);
	hook_end(tr);
}

void trace_rec_active_many(struct gtt_vm *vm, const gtt_vma_t *vmas,
			   size_t count, struct gtt_fence *f, int err)
{
	struct gtt_trace *tr = hook_begin(vm);

	fence_declare(tr, f);
	rec_begin(tr, "active_many");
	put_str(tr, " vmas=");
	for (size_t i = 0; i < count; i++) {
		if (i)
			put_str(tr, ",");
		put_hex(tr, vmas[i]);
	}
	if (!count)
		put_str(tr, "-");
	kv_dec(tr, " fence=", fence_id(tr, f));
	ret_end(tr, err);
	hook_end(tr);
}

void trace_rec_evict(struct gtt_vm *vm, const struct vma *v)
{
	struct gtt_trace *tr = hook_begin(vm);
	struct gtt_binding *b = v->binding;

	rec_begin(tr, "evict");
	kv_hex(tr, " vma=", v->handle);
	kv_hex(tr, " at=", b ? b->start : 0);
	kv_hex(tr, " size=", b ? b->size : 0);
	kv_dec(tr, " fence=", b ? fence_produced(tr, &b->unbind_fence) : 0);
	rec_end(tr);
	hook_end(tr);
}

void trace_rec_batch(struct gtt_vm *vm, const struct gtt_map_op *ops,
		     size_t count, const struct gtt_map_info *info,
		     struct gtt_fence *f, const char *who)
{
	struct gtt_trace *tr = hook_begin(vm);
	uint64_t fid;

	for (size_t i = 0; i < info->num_deps; i++)
		fence_declare(tr, info->deps[i]);
	for (size_t i = 0; i < count; i++) {
		uint64_t pid = ops[i].pages ? pages_ref(tr, ops[i].pages) : 0;

		rec_begin(tr, "mapop");
		put_str(tr, ops[i].kind == GTT_OP_MAP ? " kind=map" : " kind=unmap");
		kv_hex(tr, " vma=", ops[i].vma);
		kv_hex(tr, " offset=", ops[i].offset);
		kv_hex(tr, " size=", ops[i].size);
		kv_dec(tr, " pages=", pid);
		kv_hex(tr, " pages_offset=", ops[i].pages_offset);
		kv_hex(tr, " pte=", ops[i].pte_flags);
		if (ops[i].pages && !pid)
			tr->rec_oom = true;
		rec_end(tr);
	}
	fid = fence_produced(tr, f);
	rec_begin(tr, "batch");
	kv_dec(tr, " n=", count);
	kv_hex(tr, " flags=", info->flags);
	put_deps(tr, info->deps, info->num_deps);
	put_str(tr, " call=");
	put_str(tr, strncmp(who, "gtt_", 4) ? who : who + 4);
	kv_dec(tr, " fence=", fid);
	ret_end(tr, 0);
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
	tr->t0 = now_ns();

	pthread_mutex_lock(&vm->lock);
	if (vm->trace) {
		pthread_mutex_unlock(&vm->lock);
		trace_free(tr);
		return set_error(-EBUSY, "gtt_vm_trace_start: vm '%s' is already recording", vm->name);
	}
	put_str(tr, "gtt-trace ");
	put_dec(tr, GTT_TRACE_VERSION);
	put_str(tr, "\n");
	rec_begin(tr, "vm");
	put_str(tr, " name=");
	put_str(tr, vm->name[0] ? vm->name : "-");
	kv_hex(tr, " start=", vm->start);
	kv_hex(tr, " size=", vm->end - vm->start);
	kv_hex(tr, " page_size=", vm->page_size);
	kv_hex(tr, " flags=", vm->flags);
	rec_end(tr);
	err = tr->rec_oom ? -ENOMEM : flush_locked(tr);
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
	rec_begin(tr, "end");
	kv_dec(tr, " records=", tr->records + 1);
	kv_dec(tr, " dropped=", tr->dropped);
	rec_end(tr);
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
