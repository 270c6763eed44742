/* SPDX-License-Identifier: MIT */
/*
 * The binding journal (gtt/journal.h): a ring of the events that decide
 * what an address maps, written at the hooks of journal.h, and the fault
 * explainer that reads it back for one address.
 *
 * The ring holds the last @cap events; event n (from 1) sits in slot
 * (n - 1) % cap, so the lost count is next - 1 - cap when positive.  A
 * binding remembers the seq of its bind event (b->jid), which its unbind,
 * clear and release events carry: that is how the explainer ties them.
 *
 * Locking: j->lock guards the ring and the source.  The hooks take it
 * under the vm lock (bind, unbind, batch, release) or with no lock at all
 * (the clear, run by whoever ends an unbind: an executor's worker, a
 * holder); readers take it alone.  Nothing else is taken while it is
 * held: a replay's source (journal_set_source()) only reads the replay's
 * own state, in the replay's one thread.  vm->journal is
 * set once (under the vm lock) and freed only when the vm is destroyed,
 * after the last job ended, so a hook that saw it may use it.
 */
#include <inttypes.h>
#include <string.h>

#include <gtt/journal.h>

#include "vm_internal.h"

struct vm_journal {
	pthread_mutex_t lock;
	struct gtt_journal_event *ring;
	uint32_t cap;
	uint64_t next;			/* seq of the next event */
	struct journal_source src;	/* a replay's, or all NULL */
};

static gtt_vma_t vma_name(const struct vm_journal *j, gtt_vma_t h)
{
	return j->src.vma_name && h ? j->src.vma_name(j->src.arg, h) : h;
}

static uint64_t pages_name(const struct vm_journal *j, const struct gtt_pages *p)
{
	return j->src.pages_name && p ? j->src.pages_name(j->src.arg, p) : 0;
}

static uint64_t held(const struct vm_journal *j)
{
	return u64_min(j->next - 1, j->cap);
}

/* A new event, its seq and time set (j->lock held). */
static struct gtt_journal_event *ev_new(struct vm_journal *j, uint32_t kind)
{
	struct gtt_journal_event *e = &j->ring[(j->next - 1) % j->cap];

	memset(e, 0, sizeof(*e));
	e->seq = j->next++;
	e->time = j->src.clock ? j->src.clock(j->src.arg) : now_ns();
	e->kind = kind;
	return e;
}

/* Under j->lock. */
static void bind_failed_event(struct vm_journal *j, const struct gtt_binding *b)
{
	struct gtt_journal_event *e = ev_new(j, GTT_JOURNAL_BIND_FAILED);

	e->start = b->start;
	e->size = b->size;
	e->binding = b->jid;
	e->err = b->bind_error;
	e->flags = b->stale ? GTT_JOURNAL_PARTIAL : 0;
}

/* Under j->lock: @b placed for @h; gives @b its journal id. */
static void bind_event(struct vm_journal *j, gtt_vma_t h, struct gtt_binding *b)
{
	struct gtt_journal_event *e = ev_new(j, GTT_JOURNAL_BIND);

	e->vma = vma_name(j, h);
	e->start = b->start;
	e->size = b->size;
	e->pages = b->pages;
	e->pages_offset = b->pages_offset;
	e->pages_id = pages_name(j, b->pages);
	e->binding = e->seq;
	b->jid = e->seq;
}

/* Under j->lock. */
static void unbind_event(struct vm_journal *j, gtt_vma_t h,
			 const struct gtt_binding *b, bool evicted)
{
	struct gtt_journal_event *e = ev_new(j, evicted ? GTT_JOURNAL_EVICT :
						  GTT_JOURNAL_UNBIND);

	e->vma = vma_name(j, h);
	e->start = b->start;
	e->size = b->size;
	e->binding = b->jid;
}

/* Under j->lock: a clear or release of @b.  A part cut from a sparse
 * mapping names what it mapped (GTT_JOURNAL_CUT), so that the explainer
 * ends that mapping only.  Return: the event's flags so far. */
static uint32_t name_binding(struct vm_journal *j, struct gtt_journal_event *e,
			     const struct gtt_binding *b)
{
	e->start = b->start;
	e->size = b->size;
	e->binding = b->jid;
	if (!b->sp || b->region)
		return 0;
	e->pages = b->pages;
	e->pages_offset = b->pages_offset;
	e->pages_id = pages_name(j, b->pages);
	return GTT_JOURNAL_CUT;
}

/* Under j->lock. */
static void clear_event(struct vm_journal *j, const struct gtt_binding *b,
			bool ran, int err)
{
	struct gtt_journal_event *e = ev_new(j, GTT_JOURNAL_CLEAR);

	e->flags = name_binding(j, e, b) | (ran ? 0 : GTT_JOURNAL_SKIPPED) |
		   (b->stale ? GTT_JOURNAL_QUARANTINED : 0);
	e->err = ran ? err : 0;
}

void journal_rec_bind(struct vm_journal *j, gtt_vma_t h, struct gtt_binding *b)
{
	pthread_mutex_lock(&j->lock);
	bind_event(j, h, b);
	/* Its job ran inside the call and failed: that comes after. */
	if (b->jfailed)
		bind_failed_event(j, b);
	pthread_mutex_unlock(&j->lock);
}

void journal_rec_bind_undone(struct vm_journal *j, gtt_vma_t h, struct gtt_binding *b)
{
	pthread_mutex_lock(&j->lock);
	bind_event(j, h, b);
	bind_failed_event(j, b);
	unbind_event(j, h, b, false);
	clear_event(j, b, true, b->bind_error);
	pthread_mutex_unlock(&j->lock);
}

void journal_rec_bind_failed(struct vm_journal *j, struct gtt_binding *b)
{
	pthread_mutex_lock(&j->lock);
	/* Not yet given its id (the job ran inside the bind call): the
	 * bind's own event records it; a synchronous bind that fails there
	 * records neither, unless its entries may remain
	 * (journal_rec_bind_undone()). */
	if (b->jid)
		bind_failed_event(j, b);
	else
		b->jfailed = true;
	pthread_mutex_unlock(&j->lock);
}

void journal_rec_piece_failed(struct vm_journal *j, const struct gtt_binding *b)
{
	struct gtt_journal_event *e;

	pthread_mutex_lock(&j->lock);
	e = ev_new(j, GTT_JOURNAL_BIND_FAILED);
	e->vma = vma_name(j, b->sp->sparse_vma);
	e->start = b->start;
	e->size = b->size;
	e->pages = b->pages;
	e->pages_offset = b->pages_offset;
	e->pages_id = pages_name(j, b->pages);
	e->err = b->bind_error;
	e->flags = b->stale ? GTT_JOURNAL_PARTIAL : 0;
	pthread_mutex_unlock(&j->lock);
}

void journal_rec_unbind(struct vm_journal *j, const struct vma *v, bool evicted)
{
	pthread_mutex_lock(&j->lock);
	unbind_event(j, v->handle, v->binding, evicted);
	pthread_mutex_unlock(&j->lock);
}

void journal_rec_clear(struct vm_journal *j, const struct gtt_binding *b,
		       bool ran, int err)
{
	pthread_mutex_lock(&j->lock);
	clear_event(j, b, ran, err);
	pthread_mutex_unlock(&j->lock);
}

void journal_rec_release(struct vm_journal *j, const struct gtt_binding *b,
			 bool closed)
{
	struct gtt_journal_event *e;

	pthread_mutex_lock(&j->lock);
	e = ev_new(j, GTT_JOURNAL_RELEASE);
	e->flags = name_binding(j, e, b) | (closed ? GTT_JOURNAL_SKIPPED : 0);
	pthread_mutex_unlock(&j->lock);
}

void journal_rec_batch(struct vm_journal *j, struct gtt_vm *vm,
		       const struct gtt_map_op *ops, size_t count)
{
	pthread_mutex_lock(&j->lock);
	for (size_t i = 0; i < count; i++) {
		/* Checked: every op's vma is a bound sparse vma. */
		const struct vma *v = vma_lookup(vm, ops[i].vma);
		struct gtt_journal_event *e;

		if (!v || !v->binding)
			continue;
		e = ev_new(j, ops[i].kind == GTT_OP_MAP ? GTT_JOURNAL_MAP :
						      GTT_JOURNAL_UNMAP);
		e->vma = vma_name(j, ops[i].vma);
		e->start = v->binding->start + ops[i].offset;
		e->size = ops[i].size;
		e->pages = ops[i].pages;
		e->pages_offset = ops[i].pages_offset;
		e->pages_id = pages_name(j, ops[i].pages);
	}
	pthread_mutex_unlock(&j->lock);
}

bool journal_set_source(struct gtt_vm *vm, const struct journal_source *src)
{
	struct vm_journal *j = atomic_load_explicit(&vm->journal, memory_order_acquire);

	if (!j)
		return false;
	pthread_mutex_lock(&vm->lock);
	pthread_mutex_lock(&j->lock);
	j->src = *src;
	pthread_mutex_unlock(&j->lock);
	pthread_mutex_unlock(&vm->lock);
	return true;
}

void journal_destroy(struct gtt_vm *vm)
{
	struct vm_journal *j = atomic_load_explicit(&vm->journal, memory_order_acquire);

	if (!j)
		return;
	atomic_store_explicit(&vm->journal, NULL, memory_order_release);
	pthread_mutex_destroy(&j->lock);
	mem_free(j->ring);
	mem_free(j);
}

GTT_API int gtt_vm_journal_enable(struct gtt_vm *vm, uint32_t entries)
{
	struct vm_journal *j;

	if (!vm)
		return set_error(-EINVAL, "gtt_vm_journal_enable: vm is NULL");
	if (!entries || entries > GTT_JOURNAL_MAX_ENTRIES)
		return set_error(-EINVAL, "gtt_vm_journal_enable: %" PRIu32 " entries (1 to %u)",
				 entries, GTT_JOURNAL_MAX_ENTRIES);
	j = mem_zalloc(sizeof(*j));
	if (j)
		j->ring = mem_alloc((size_t)entries * sizeof(*j->ring));
	if (!j || !j->ring) {
		mem_free(j);
		return set_error(-ENOMEM, "gtt_vm_journal_enable: out of memory for %" PRIu32 " entries",
				 entries);
	}
	pthread_mutex_init(&j->lock, NULL);
	j->cap = entries;
	j->next = 1;
	pthread_mutex_lock(&vm->lock);
	if (atomic_load_explicit(&vm->journal, memory_order_relaxed)) {
		pthread_mutex_unlock(&vm->lock);
		pthread_mutex_destroy(&j->lock);
		mem_free(j->ring);
		mem_free(j);
		return set_error(-EBUSY, "gtt_vm_journal_enable: vm '%s' keeps a journal already",
				 vm->name);
	}
	atomic_store_explicit(&vm->journal, j, memory_order_release);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

static struct vm_journal *journal_of(struct gtt_vm *vm, const char *who)
{
	struct vm_journal *j;

	if (!vm) {
		set_error(-EINVAL, "%s: vm is NULL", who);
		return NULL;
	}
	j = atomic_load_explicit(&vm->journal, memory_order_acquire);
	if (!j)
		set_error(-EINVAL, "%s: vm '%s' keeps no journal (gtt_vm_journal_enable())",
			  who, vm->name);
	return j;
}

GTT_API int gtt_vm_journal_read(struct gtt_vm *vm, struct gtt_journal_event *out,
				size_t max, size_t *count, uint64_t *lost)
{
	struct vm_journal *j;
	uint64_t n, first;

	if (!count || (max && !out))
		return set_error(-EINVAL, "gtt_vm_journal_read: %s is NULL", count ? "out" : "count");
	j = journal_of(vm, "gtt_vm_journal_read");
	if (!j)
		return -EINVAL;
	pthread_mutex_lock(&j->lock);
	n = u64_min(held(j), max);
	first = j->next - n;
	for (uint64_t i = 0; i < n; i++)
		out[i] = j->ring[(first + i - 1) % j->cap];
	if (lost)
		*lost = j->next - 1 - held(j);
	pthread_mutex_unlock(&j->lock);
	*count = (size_t)n;
	return 0;
}

/* ---- the explainer ---- */

static bool covers(const struct gtt_journal_event *e, uint64_t addr)
{
	return addr >= e->start && addr - e->start < e->size;
}

static struct gtt_explain_mapping *ex_push(struct gtt_explain *ex)
{
	struct gtt_explain_mapping *m;

	if (ex->count == GTT_EXPLAIN_MAX) {
		memmove(&ex->m[0], &ex->m[1], sizeof(ex->m[0]) * (GTT_EXPLAIN_MAX - 1));
		ex->count--;
		ex->dropped++;
	}
	m = &ex->m[ex->count++];
	memset(m, 0, sizeof(*m));
	return m;
}

/* A mapping that started at @e. */
static void ex_mapped(struct gtt_explain *ex, const struct gtt_journal_event *e)
{
	struct gtt_explain_mapping *m;

	/* A sparse piece mapped over: the covered part is a cut, which the
	 * new batch's job clears (after the GPU work using it) before it
	 * writes; until that clear's event its PTEs still map it. */
	if (e->kind == GTT_JOURNAL_MAP && ex->count && ex->m[ex->count - 1].sparse &&
	    (ex->m[ex->count - 1].state == GTT_EXPLAIN_BOUND ||
	     ex->m[ex->count - 1].state == GTT_EXPLAIN_BIND_FAILED)) {
		m = &ex->m[ex->count - 1];
		m->unbound_at = e->time;
		m->state = GTT_EXPLAIN_UNBINDING;
	}
	m = ex_push(ex);
	m->binding = e->binding;
	m->vma = e->vma;
	m->sparse = e->kind == GTT_JOURNAL_MAP;
	m->state = GTT_EXPLAIN_BOUND;
	m->start = e->start;
	m->size = e->size;
	m->pages = e->pages;
	m->pages_offset = e->pages_offset;
	m->pages_id = e->pages_id;
	m->bound_at = e->time;
}

/* The mapping @e (an unbind, clear or release) names. */
static struct gtt_explain_mapping *ex_find(struct gtt_explain *ex,
					   const struct gtt_journal_event *e)
{
	for (uint32_t i = ex->count; i--;) {
		struct gtt_explain_mapping *m = &ex->m[i];

		if (e->binding ? m->binding == e->binding :
		    !m->binding && !m->sparse && m->start == e->start && m->size == e->size)
			return m;
	}
	return NULL;
}

static void ex_unbound(struct gtt_explain *ex, const struct gtt_journal_event *e)
{
	struct gtt_explain_mapping *m = NULL;

	if (e->kind != GTT_JOURNAL_UNMAP) {
		m = ex_find(ex, e);
		if (!m) {	/* bound before the journal began */
			m = ex_push(ex);
			m->binding = e->binding;
			m->vma = e->vma;
			m->start = e->start;
			m->size = e->size;
		}
		m->evicted = e->kind == GTT_JOURNAL_EVICT;
		m->unbound_at = e->time;
		m->state = GTT_EXPLAIN_UNBINDING;
	}
	/* A sparse vma's unbind, or an unmap, ends its pieces here. */
	for (uint32_t i = 0; i < ex->count; i++)
		if (ex->m[i].sparse && ex->m[i].vma == e->vma &&
		    (ex->m[i].state == GTT_EXPLAIN_BOUND ||
		     ex->m[i].state == GTT_EXPLAIN_BIND_FAILED)) {
			ex->m[i].unbound_at = e->time;
			ex->m[i].state = GTT_EXPLAIN_UNBINDING;
		}
}

static void ex_clear_one(struct gtt_explain_mapping *m, const struct gtt_journal_event *e)
{
	m->cleared_at = e->time;
	m->clear_error = e->err;
	m->state = (e->flags & GTT_JOURNAL_SKIPPED) ? GTT_EXPLAIN_SKIPPED :
		   (e->flags & GTT_JOURNAL_QUARANTINED) ? GTT_EXPLAIN_QUARANTINED :
		   GTT_EXPLAIN_CLEARED;
}

/* A cut's clear or release of a part of @m (what it mapped, there). */
static bool ex_cut_of(const struct gtt_explain_mapping *m, const struct gtt_journal_event *e)
{
	return m->pages == e->pages && e->start >= m->start &&
	       m->pages_offset + (e->start - m->start) == e->pages_offset;
}

/*
 * The sparse mappings that @e (a clear or release) ends, besides the one
 * ex_find() names, @m: a cut's event ends the mapping it was cut from; a
 * sparse vma's own covers all of its mappings; another vma's none of them.
 * An event whose mapping the explanation does not hold may be either of
 * the last two: all of them.
 */
static bool ex_ends_piece(const struct gtt_explain_mapping *piece,
			  const struct gtt_explain_mapping *m,
			  const struct gtt_journal_event *e)
{
	if (!piece->sparse)
		return false;
	if (e->flags & GTT_JOURNAL_CUT)
		return ex_cut_of(piece, e);
	return !m || piece->vma == m->vma;
}

/* The mapping a clear or release names (not a cut's: ex_ends_piece()). */
static struct gtt_explain_mapping *ex_find_named(struct gtt_explain *ex,
						 const struct gtt_journal_event *e)
{
	return e->flags & GTT_JOURNAL_CUT ? NULL : ex_find(ex, e);
}

/* Apply @end to every mapping in @state that the clear or release @e
 * ends: the one it names, and the sparse mappings ex_ends_piece() says. */
static void ex_end(struct gtt_explain *ex, const struct gtt_journal_event *e,
		   enum gtt_explain_state state,
		   void (*end)(struct gtt_explain_mapping *, const struct gtt_journal_event *))
{
	struct gtt_explain_mapping *m = ex_find_named(ex, e);

	for (uint32_t i = 0; i < ex->count; i++)
		if (ex->m[i].state == state &&
		    (&ex->m[i] == m || ex_ends_piece(&ex->m[i], m, e)))
			end(&ex->m[i], e);
}

/* A sparse map's failed write names its sparse vma, range and pages: the
 * latest such mapping, which a later batch committed before the failed
 * one's job ran may have replaced already (only the same pages at the same
 * offset, mapped again, would be mistaken for it). */
static struct gtt_explain_mapping *ex_find_piece(struct gtt_explain *ex,
						 const struct gtt_journal_event *e)
{
	for (uint32_t i = ex->count; i--;) {
		struct gtt_explain_mapping *m = &ex->m[i];

		if (m->sparse && m->vma == e->vma && m->start == e->start &&
		    m->size == e->size && m->pages == e->pages &&
		    m->pages_offset == e->pages_offset && !m->bind_error)
			return m;
	}
	return NULL;
}

static void ex_bind_failed(struct gtt_explain *ex, const struct gtt_journal_event *e)
{
	bool piece = !e->binding && e->vma;
	struct gtt_explain_mapping *m = piece ? ex_find_piece(ex, e) : ex_find(ex, e);

	if (!m || (!piece && m->state != GTT_EXPLAIN_BOUND))
		return;
	m->bind_error = e->err;
	m->bind_partial = e->flags & GTT_JOURNAL_PARTIAL;
	if (m->state == GTT_EXPLAIN_BOUND)
		m->state = GTT_EXPLAIN_BIND_FAILED;
}

/* Let go by the quarantine: known clear, or the vm closed (entries left). */
static void ex_release_one(struct gtt_explain_mapping *m, const struct gtt_journal_event *e)
{
	m->released_at = e->time;
	m->state = (e->flags & GTT_JOURNAL_SKIPPED) ? GTT_EXPLAIN_SKIPPED :
		   GTT_EXPLAIN_RELEASED;
}

static void ex_event(struct gtt_explain *ex, const struct gtt_journal_event *e)
{
	switch (e->kind) {
	case GTT_JOURNAL_BIND:
	case GTT_JOURNAL_MAP:
		ex_mapped(ex, e);
		break;
	case GTT_JOURNAL_UNBIND:
	case GTT_JOURNAL_EVICT:
	case GTT_JOURNAL_UNMAP:
		ex_unbound(ex, e);
		break;
	case GTT_JOURNAL_CLEAR:
		ex_end(ex, e, GTT_EXPLAIN_UNBINDING, ex_clear_one);
		break;
	case GTT_JOURNAL_RELEASE:
		ex_end(ex, e, GTT_EXPLAIN_QUARANTINED, ex_release_one);
		break;
	case GTT_JOURNAL_BIND_FAILED:
		ex_bind_failed(ex, e);
		break;
	}
}

/* What the vm maps at ex->addr now: a vma, a range the quarantine holds,
 * pending unbinds (takes the vm lock). */
static void explain_now(struct gtt_vm *vm, struct vm_journal *j,
			struct gtt_explain *ex)
{
	uint64_t page = ex->addr & ~(vm->page_size - 1);
	struct gtt_range_node *n;

	pthread_mutex_lock(&vm->lock);
	vm_retire_locked(vm);
	if (ex->addr >= vm->start && ex->addr < vm->end) {
		n = range_node_from(vm->ra, ex->addr);
		if (n && n->start <= ex->addr) {
			const struct vma *v = n->owner;

			pthread_mutex_lock(&j->lock);
			ex->now_vma = v ? vma_name(j, v->handle) : 0;
			pthread_mutex_unlock(&j->lock);
			ex->now_held = !v;
		}
		ex->now_pending = range_fence_count_unsignalled(&vm->pending, page,
								page + vm->page_size - 1);
	} else {
		ex->now_outside = true;
	}
	pthread_mutex_unlock(&vm->lock);
}

GTT_API int gtt_vm_explain(struct gtt_vm *vm, uint64_t addr, uint64_t time,
			   struct gtt_explain *out)
{
	struct vm_journal *j;
	uint64_t n, first;

	if (!out)
		return set_error(-EINVAL, "gtt_vm_explain: out is NULL");
	j = journal_of(vm, "gtt_vm_explain");
	if (!j)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->time = time;
	/* First: its retirement may release a quarantined binding. */
	if (!time)
		explain_now(vm, j, out);
	pthread_mutex_lock(&j->lock);
	n = held(j);
	first = j->next - n;
	out->lost = j->next - 1 - n;
	if (n)
		out->oldest = j->ring[(first - 1) % j->cap].time;
	for (uint64_t i = 0; i < n; i++) {
		const struct gtt_journal_event *e = &j->ring[(first + i - 1) % j->cap];

		if (time && e->time > time)
			break;
		if (covers(e, addr))
			ex_event(out, e);
	}
	pthread_mutex_unlock(&j->lock);
	return 0;
}

/* ---- the printer ---- */

GTT_API const char *gtt_explain_state_name(uint32_t state)
{
	static const char *const names[] = {
		[GTT_EXPLAIN_BOUND] = "bound",
		[GTT_EXPLAIN_UNBINDING] = "unbinding",
		[GTT_EXPLAIN_CLEARED] = "cleared",
		[GTT_EXPLAIN_QUARANTINED] = "quarantined",
		[GTT_EXPLAIN_RELEASED] = "released",
		[GTT_EXPLAIN_SKIPPED] = "skipped",
		[GTT_EXPLAIN_BIND_FAILED] = "bind failed",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state] ?
	       names[state] : "?";
}

static void size_text(char *buf, size_t len, uint64_t size)
{
	if (size && !(size % (1ull << 30)))
		snprintf(buf, len, "%" PRIu64 " GiB", size >> 30);
	else if (size && !(size % (1ull << 20)))
		snprintf(buf, len, "%" PRIu64 " MiB", size >> 20);
	else if (size && !(size % 1024))
		snprintf(buf, len, "%" PRIu64 " KiB", size >> 10);
	else
		snprintf(buf, len, "0x%" PRIx64 " bytes", size);
}

/* The report's number for @m's pages: its first appearance, from 1. */
static unsigned int pages_no(const struct gtt_explain *ex, uint32_t idx)
{
	const struct gtt_pages *p = ex->m[idx].pages;
	unsigned int no = 0;

	for (uint32_t i = 0; i <= idx; i++) {
		const struct gtt_pages *q = ex->m[i].pages;
		bool seen = false;

		if (!q)
			continue;
		for (uint32_t k = 0; k < i; k++)
			seen |= ex->m[k].pages == q;
		if (!seen)
			no++;
		if (q == p)
			break;
	}
	return no;
}

static void print_mapping(FILE *f, const struct gtt_explain *ex, uint32_t i)
{
	const struct gtt_explain_mapping *m = &ex->m[i];
	char sz[32];

	size_text(sz, sizeof(sz), m->size);
	if (m->vma)
		fprintf(f, "  %s 0x%" PRIx64, m->sparse ? "map in sparse vma" : "vma", m->vma);
	else
		fprintf(f, "  %s", m->sparse ? "sparse mapping" : "binding");
	if (m->pages_id)
		fprintf(f, " (pages %" PRIu64 " +0x%" PRIx64 ", %s at 0x%" PRIx64 ")",
			m->pages_id, m->pages_offset, sz, m->start);
	else if (m->pages)
		fprintf(f, " (pages #%u +0x%" PRIx64 ", %s at 0x%" PRIx64 ")",
			pages_no(ex, i), m->pages_offset, sz, m->start);
	else
		fprintf(f, " (%s, %s at 0x%" PRIx64 ")",
			m->sparse ? "NULL pages" : "no pages", sz, m->start);
	/* A replay's times start at 0: bound_at 0 is a time if the mapping
	 * has its map or bind event (event n is lost when n <= ex->lost). */
	if (m->bound_at || m->sparse || (m->binding && m->binding > ex->lost))
		fprintf(f, " bound at t=%" PRIu64, m->bound_at);
	else if (m->binding)
		fprintf(f, " bound (its bind event was lost)");
	else
		fprintf(f, " bound before the journal began");
	if (m->bind_error)
		fprintf(f, ", its PTE write failed (%s%s)", gtt_strerror(m->bind_error),
			m->bind_partial ? "; entries it wrote may remain" :
			"; nothing of it mapped");
	if (m->state != GTT_EXPLAIN_BOUND && m->state != GTT_EXPLAIN_BIND_FAILED)
		fprintf(f, ", %s at t=%" PRIu64, m->evicted ? "evicted" : "unbound",
			m->unbound_at);
	switch (m->state) {
	case GTT_EXPLAIN_UNBINDING:
		if (m->bind_error && !m->bind_partial)
			fprintf(f, " (clear not yet run)");
		else
			fprintf(f, " (clear not yet run: its PTEs still map the pages)");
		break;
	case GTT_EXPLAIN_CLEARED:
		if (m->clear_error)
			fprintf(f, " (clear failed at t=%" PRIu64 ": %s; nothing kept)",
				m->cleared_at, gtt_strerror(m->clear_error));
		else
			fprintf(f, " (unbind completed at t=%" PRIu64 ": PTEs cleared)",
				m->cleared_at);
		break;
	case GTT_EXPLAIN_QUARANTINED:
		fprintf(f, " (clear FAILED at t=%" PRIu64 ": %s; pages and range held in quarantine)",
			m->cleared_at, gtt_strerror(m->clear_error));
		break;
	case GTT_EXPLAIN_RELEASED:
		fprintf(f, " (clear failed at t=%" PRIu64 ": %s; quarantine released at t=%" PRIu64 ")",
			m->cleared_at, gtt_strerror(m->clear_error), m->released_at);
		break;
	case GTT_EXPLAIN_SKIPPED:
		if (m->clear_error)
			fprintf(f, " (clear failed at t=%" PRIu64 ": %s; vm closed, quarantine let go at t=%" PRIu64 ": its entries left as they were)",
				m->cleared_at, gtt_strerror(m->clear_error), m->released_at);
		else
			fprintf(f, " (vm closed: no clear written)");
		break;
	}
	fputc('\n', f);
}

/* What a GPU access at the explained time meets. */
static void print_verdict(FILE *f, const struct gtt_explain *ex)
{
	const struct gtt_explain_mapping *m = ex->count ? &ex->m[ex->count - 1] : NULL;

	fprintf(f, "0x%" PRIx64, ex->addr);
	if (ex->time)
		fprintf(f, " at t=%" PRIu64, ex->time);
	fprintf(f, ": ");
	if (!m) {
		fprintf(f, "nothing was bound here since the journal began");
	} else {
		switch (m->state) {
		case GTT_EXPLAIN_BOUND:
			fprintf(f, "bound: an access reads the mapping's pages");
			break;
		case GTT_EXPLAIN_UNBINDING:
			if (m->bind_error && !m->bind_partial)
				fprintf(f, "unbound; its PTE write had failed: an access hits scratch");
			else
				fprintf(f, "POTENTIAL USE AFTER FREE: unbound, but an access still reads the old pages");
			break;
		case GTT_EXPLAIN_BIND_FAILED:
			if (m->bind_partial)
				fprintf(f, "bound, but its PTE write FAILED (%s) and may have left entries: an access may read its pages or scratch",
					gtt_strerror(m->bind_error));
			else
				fprintf(f, "bound, but its PTE write failed (%s): an access hits scratch",
					gtt_strerror(m->bind_error));
			break;
		case GTT_EXPLAIN_QUARANTINED:
			fprintf(f, "POTENTIAL USE AFTER FREE: the clear failed, an access may read the old pages (kept in quarantine)");
			break;
		case GTT_EXPLAIN_SKIPPED:
			fprintf(f, "the vm was closed: its PTEs were left as they were");
			break;
		default:
			fprintf(f, "unbound and cleared: an access hits scratch");
			break;
		}
	}
	if (ex->lost)
		fprintf(f, " (the journal lost %" PRIu64 " older events: history from t=%" PRIu64 ")",
			ex->lost, ex->oldest);
	fputc('\n', f);
}

GTT_API int gtt_explain_print(FILE *f, const struct gtt_explain *ex)
{
	if (!f || !ex)
		return set_error(-EINVAL, "gtt_explain_print: %s is NULL", f ? "ex" : "f");
	print_verdict(f, ex);
	if (ex->dropped)
		fprintf(f, "  (%" PRIu32 " older mappings left out)\n", ex->dropped);
	for (uint32_t i = 0; i < ex->count && i < GTT_EXPLAIN_MAX; i++)
		print_mapping(f, ex, i);
	if (!ex->time) {
		if (ex->now_outside)
			fprintf(f, "  now: outside the vm");
		else if (ex->now_vma)
			fprintf(f, "  now: vma 0x%" PRIx64 " bound", ex->now_vma);
		else if (ex->now_held)
			fprintf(f, "  now: held by the quarantine (not free)");
		else
			fprintf(f, "  now: free");
		if (ex->now_pending)
			fprintf(f, ", %" PRIu64 " unbind(s) pending", ex->now_pending);
		fputc('\n', f);
	}
	if (ferror(f))
		return set_error(-EIO, "gtt_explain_print: writing failed");
	return 0;
}
