#include "t_model.h"

#include <stdlib.h>
#include <string.h>

/* ---- fill patterns ---- */

#define BIG_CHUNK	65536
#define EDGE		4096

static inline uint8_t
pat(uint32_t serial, size_t off)
{
	uint32_t	x = serial * 0x9E3779B1u + (uint32_t) off * 0x85EBCA77u;

	return (uint8_t) (x ^ (x >> 15) ^ (off >> 11));
}

static inline uint8_t
hdr_pat(uint32_t serial, size_t j)
{
	return (uint8_t) (0xA5 ^ serial ^ (j * 29));
}

/*
 * Visit the offsets of a chunk the model touches: all of a chunk up to 64
 * KiB; the first and last 4 KiB of bigger ones, and with stride_fill one
 * byte every 4 KiB between them (so every page is written and read).  With
 * edges_only (the fuzzer's), 64 bytes at each end of a chunk above 128.
 */
typedef bool (*off_fn) (uint8_t *p, size_t off, uint32_t serial, void *arg);

static bool
each_offset(const m_state *st, uint8_t *p, size_t size, uint32_t serial,
			off_fn fn, void *arg)
{
	if (st->edges_only && size > 128)
	{
		for (size_t o = 0; o < 64; o++)
			if (!fn(p, o, serial, arg) || !fn(p, size - 64 + o, serial, arg))
				return false;
		return true;
	}
	if (size <= BIG_CHUNK)
	{
		for (size_t o = 0; o < size; o++)
			if (!fn(p, o, serial, arg))
				return false;
		return true;
	}
	for (size_t o = 0; o < EDGE; o++)
		if (!fn(p, o, serial, arg))
			return false;
	if (st->stride_fill)
		for (size_t o = EDGE; o < size - EDGE; o += EDGE)
			if (!fn(p, o + (serial % 64) * 8, serial, arg))
				return false;
	for (size_t o = size - EDGE; o < size; o++)
		if (!fn(p, o, serial, arg))
			return false;
	return true;
}

static bool
put(uint8_t *p, size_t off, uint32_t serial, void *arg)
{
	(void) arg;
	p[off] = pat(serial, off);
	return true;
}

typedef struct cmp_arg
{
	size_t		limit;			/* only offsets below this */
	size_t		bad_off;
	bool		zero;			/* check zeros instead of the pattern */
} cmp_arg;

static bool
cmp(uint8_t *p, size_t off, uint32_t serial, void *arg)
{
	cmp_arg    *a = arg;

	if (off >= a->limit)
		return true;
	if (p[off] != (a->zero ? 0 : pat(serial, off)))
	{
		a->bad_off = off;
		return false;
	}
	return true;
}

static void
fill_chunk(m_state *st, m_owner *mo, m_chunk *c)
{
	for (size_t j = 0; j < mo->hdr; j++)
		c->p[-(ptrdiff_t) mo->hdr + (ptrdiff_t) j] = hdr_pat(c->serial, j);
	if (c->size <= BIG_CHUNK && !st->edges_only)
	{
		/* memset-speed fill for the common case */
		for (size_t o = 0; o < c->size; o++)
			c->p[o] = pat(c->serial, o);
		return;
	}
	each_offset(st, c->p, c->size, c->serial, put, NULL);
}

/* Verify the pattern over [0, limit) and the header bytes. */
static bool
verify_chunk_h(m_state *st, m_owner *mo, m_chunk *c, size_t limit, bool hdr)
{
	cmp_arg		a = {limit, 0, false};

	for (size_t j = 0; hdr && j < mo->hdr; j++)
		if (c->p[-(ptrdiff_t) mo->hdr + (ptrdiff_t) j] != hdr_pat(c->serial, j))
			return T_FAIL("chunk %p (serial %u, size %zu, hdr %zu): header byte %zu "
						  "clobbered (0x%02x, want 0x%02x; payload[0] 0x%02x want 0x%02x)",
						  (void *) c->p, c->serial, c->size, mo->hdr, j,
						  c->p[-(ptrdiff_t) mo->hdr + (ptrdiff_t) j], hdr_pat(c->serial, j),
						  c->size ? c->p[0] : 0, pat(c->serial, 0));
	if (!each_offset(st, c->p, c->size, c->serial, cmp, &a))
		return T_FAIL("chunk %p (serial %u, size %zu): byte %zu clobbered",
					  (void *) c->p, c->serial, c->size, a.bad_off);
	return true;
}

static bool
verify_chunk(m_state *st, m_owner *mo, m_chunk *c, size_t limit)
{
	return verify_chunk_h(st, mo, c, limit, true);
}

static bool
verify_zero(m_state *st, uint8_t *p, size_t size)
{
	cmp_arg		a = {size, 0, true};

	if (!each_offset(st, p, size, 0, cmp, &a))
		return T_FAIL("ga_alloc_zero(%zu) = %p: byte %zu not zero", size,
					  (void *) p, a.bad_off);
	return true;
}

/* ---- model bookkeeping ---- */

/*
 * The slot a chunk of n bytes (header included) that ga_alloc serves
 * takes: its class's, or whole pages if large, but a packed slot for a
 * large size whose pages would lose more than 1/16 when the owner's last
 * such request had the same stride (alloc.c, packed_stride: whether or not
 * the allocation succeeds, the stride is remembered).
 */
static size_t
model_new_slot(m_owner *mo, size_t n)
{
	size_t		lone,
				stride;

	if (!t_is_large(n))
		return t_expected_slot(n);
	lone = t_round_pages(n);
	stride = (n + 63) & ~(size_t) 63;
	if (n > GA_PACKED_MAX || (lone - n) * 16 <= lone)
		return lone;
	if (mo->large_stride == stride)
		return stride;
	mo->large_stride = stride;
	return lone;
}

static void
push_chunk(m_state *st, m_owner *mo, uint8_t *p, size_t size, size_t slot)
{
	m_chunk    *c;

	if (mo->n == mo->cap)
	{
		mo->cap = mo->cap ? mo->cap * 2 : 64;
		mo->ch = realloc(mo->ch, mo->cap * sizeof(m_chunk));
		if (!mo->ch)
			abort();
	}
	c = &mo->ch[mo->n++];
	c->p = p;
	c->size = size;
	c->slot = slot;
	c->serial = ++st->serial;
	mo->alloc_bytes += slot;
	if (t_is_large(size + mo->hdr))
	{
		mo->large_bytes += size;
		st->large_live += size;
	}
}

static void
drop_chunk(m_state *st, m_owner *mo, size_t k)
{
	m_chunk    *c = &mo->ch[k];

	mo->alloc_bytes -= c->slot;
	if (t_is_large(c->size + mo->hdr))
	{
		mo->large_bytes -= c->size;
		st->large_live -= c->size;
	}
	mo->ch[k] = mo->ch[--mo->n];
}

static bool
check_errors(m_state *st)
{
	if (st->errs.n != st->errs_expected)
	{
		T_FAIL("unexpected error callback: kind %d ptr %p",
			   (int) st->errs.kind, st->errs.ptr);
		st->errs_expected = st->errs.n;
		return false;
	}
	return true;
}

/* A new chunk as the core returned it: placement and size. */
static bool
check_new_chunk(m_state *st, int i, uint8_t *p, size_t size, size_t slot)
{
	m_owner    *mo = &st->ow[i];
	size_t		n = t_req_n(size, mo->hdr);
	bool		ok = true;

	ok &= T_EQ((uintptr_t) p % 8, 0);
	ok &= T_EQ(ga_chunk_size(&mo->o, p), slot);
	ok &= T_CHECK(ga_owns(&mo->o, p));
	/* a packed slot's size is never whole pages (it would not be packed) */
	if (t_is_large(n))
		ok &= T_EQ(((uintptr_t) p - mo->hdr) %
				   (slot % GA_PAGE_SIZE == 0 ? GA_PAGE_SIZE : 64), 0);
	for (int j = 0; j < st->nowners; j++)
		if (j != i && st->ow[j].live && ga_owns(&st->ow[j].o, p))
			ok &= T_FAIL("owner %d owns a chunk of owner %d", j, i);
	return ok;
}

/* ---- operations ---- */

void
m_init(m_state *st, int nowners, bool stride_fill)
{
	memset(st, 0, sizeof(*st));
	if (nowners > M_MAX_OWNERS)
		nowners = M_MAX_OWNERS;
	st->nowners = nowners;
	st->stride_fill = stride_fill;
	st->heap = t_heap(&st->errs);
}

void
m_owner_create(m_state *st, int i, size_t hdr, size_t keep)
{
	m_owner    *mo = &st->ow[i];

	if (mo->live)
		m_destroy(st, i);
	mo->hdr = hdr;
	mo->n = 0;
	mo->mallocs = mo->frees = 0;
	memset(mo->class_mallocs, 0, sizeof(mo->class_mallocs));
	mo->alloc_bytes = mo->large_bytes = 0;
	mo->large_stride = 0;
	mo->mirror = 12345;
	if (mo->recycled)
		ga_owner_reuse(&mo->o, hdr, keep);
	else
		ga_owner_init(&mo->o, st->heap, hdr, keep);
	mo->recycled = false;
	if ((st->nursery_mask >> (i % 32)) & 1)
		ga_owner_enable_nursery(&mo->o);
	mo->marked = ((st->marked_mask >> (i % 32)) & 1) && hdr >= sizeof(uint64_t);
	if (mo->marked)
		T_CHECK(ga_owner_set_list_mark(&mo->o, M_MARK));
	ga_owner_set_mirror(&mo->o, &mo->mirror);
	mo->live = true;
	T_EQ(mo->mirror, mo->o.nursery_bytes);	/* a reused owner's kept block */
	T_LE(mo->o.nursery_bytes, GA_NURSERY_KEEP);
	m_check_owner(st, i);
}

/* Would backing need more bytes make retained memory exceed the limit? */
static bool
refusal_plausible(m_state *st, size_t need)
{
	return st->limit != 0 && t_retained(st->heap) + need > st->limit;
}

static size_t
span_need(size_t n)
{
	/* a packable size may need a packed span: up to ga_packed_slots_max */
	if (t_is_large(n) && n <= GA_PACKED_MAX)
	{
		size_t		stride = (n + 63) & ~(size_t) 63;

		return t_round_pages(ga_packed_slots_max(stride) * stride);
	}
	if (t_is_large(n))
		return t_round_pages(n);
	for (int c = 1; c < GA_NUM_CLASSES; c++)
		if (go_classes[c].size >= n)
			return go_classes[c].span_bytes;
	return 0;
}

/* The per-class count a new chunk of size bytes adds to. */
static void
count_class_malloc(m_state *st, m_owner *mo, size_t size)
{
	int			c = t_expected_class(t_req_n(size, mo->hdr));

	mo->class_mallocs[c]++;
	st->g_class_mallocs[c]++;
}

/*
 * A marked owner's palloc, as PostgreSQL's layer composes it
 * (goalloc_alloc_inline): the nursery's bump, the marked fast path (a
 * popped payload keeps its link), else the slow path.
 */
static void *
alloc_marked(ga_owner *o, size_t size)
{
	void	   *p = NULL;

	if (GA_FAST_SIZE(size, o->hdr))
	{
		if (o->nursery_cap != 0)
			p = ga_nursery_bump(o, size, o->hdr);
		if (p == NULL)
			p = ga_alloc_fast_marked(o, size, o->hdr);
	}
	return p != NULL ? p : ga_alloc_any(o, size);
}

/* The word before a payload: a marked owner's header word */
static uint64_t
header_word(const uint8_t *p)
{
	uint64_t	w;

	memcpy(&w, p - sizeof(w), sizeof(w));
	return w;
}

bool
m_alloc(m_state *st, int i, size_t size, bool zero)
{
	m_owner    *mo = &st->ow[i];
	size_t		ret0 = t_retained(st->heap);
	uint8_t    *p;
	size_t		slot;

	if (!mo->live)
		return false;
	slot = model_new_slot(mo, t_req_n(size, mo->hdr));
	if (zero)
		p = ga_alloc_zero(&mo->o, size);
	else if (mo->marked)
		p = alloc_marked(&mo->o, size);
	else
		p = ga_alloc(&mo->o, size);
	if (p == NULL)
	{
		st->nulls++;
		T_CHECK(refusal_plausible(st, span_need(t_req_n(size, mo->hdr))));
		m_check_owner(st, i);
		return false;
	}
	if (st->limit && t_retained(st->heap) > ret0)
		T_LE(t_retained(st->heap), st->limit);
	check_new_chunk(st, i, p, size, slot);
	if (zero)
		verify_zero(st, p, size);
	mo->mallocs++;
	st->g_mallocs++;
	count_class_malloc(st, mo, size);
	push_chunk(st, mo, p, size, slot);
	fill_chunk(st, mo, &mo->ch[mo->n - 1]);
	m_check_owner(st, i);
	return true;
}

void
m_free(m_state *st, int i, size_t k)
{
	m_owner    *mo = &st->ow[i];

	if (!mo->live || mo->n == 0)
		return;
	k %= mo->n;
	verify_chunk(st, mo, &mo->ch[k], SIZE_MAX);
	if (mo->marked)
	{
		T_CHECK(header_word(mo->ch[k].p) != M_MARK);	/* a live chunk's */
		ga_free_marked(&mo->o.map, &mo->o, mo->ch[k].p, mo->hdr, M_MARK);
	}
	else
		ga_free(&mo->o, mo->ch[k].p);
	T_CHECK(!ga_owns(&mo->o, mo->ch[k].p));
	mo->frees++;
	st->g_frees++;
	drop_chunk(st, mo, k);
	m_check_owner(st, i);
}

bool
m_realloc(m_state *st, int i, size_t k, size_t size)
{
	m_owner    *mo = &st->ow[i];
	m_chunk		old;
	size_t		on,
				nn,
				ret0 = t_retained(st->heap);
	uint8_t    *p;
	bool		same_place_expected;
	size_t		slot;

	if (!mo->live || mo->n == 0)
		return false;
	k %= mo->n;
	old = mo->ch[k];
	on = t_req_n(old.size, mo->hdr);
	nn = t_req_n(size, mo->hdr);
	verify_chunk(st, mo, &old, SIZE_MAX);
	if (mo->marked)
		p = ga_realloc_marked(&mo->o.map, &mo->o, old.p, size, mo->hdr, M_MARK);
	else
		p = ga_realloc(&mo->o, old.p, size);

	/*
	 * A move, or a refusal (which only a move's allocation makes), went
	 * through ga_alloc; in place, the chunk keeps a packed slot, takes the
	 * pages it has now, or stays in its class.
	 */
	if (p == NULL || p != old.p)
		slot = model_new_slot(mo, nn);
	else if (t_is_large(on) && old.slot % GA_PAGE_SIZE != 0)
		slot = old.slot;
	else
		slot = t_expected_slot(nn);
	if (p == NULL)
	{
		st->nulls++;
		T_CHECK(refusal_plausible(st, span_need(nn)));
		T_CHECK(ga_owns(&mo->o, old.p));
		verify_chunk(st, mo, &old, SIZE_MAX);
		m_check_owner(st, i);
		return false;
	}
	if (st->limit && t_retained(st->heap) > ret0)
		T_LE(t_retained(st->heap), st->limit);

	/* where it must stay */
	if (!t_is_large(on) && !t_is_large(nn))
		same_place_expected = t_expected_slot(on) == t_expected_slot(nn);
	else if (t_is_large(on) && t_is_large(nn))
		same_place_expected = old.slot % GA_PAGE_SIZE != 0 ? nn <= old.slot :
			t_round_pages(nn) <= old.slot;
	else
		same_place_expected = false;
	if (same_place_expected)
		T_CHECK(p == old.p);

	/* contents kept: the old pattern up to min(old, new) */
	{
		m_chunk		moved = old;

		moved.p = p;
		/* the header moves with the payload only when in place */
		verify_chunk_h(st, mo, &moved, size < old.size ? size : old.size,
					   p == old.p);
	}
	if (p == old.p)
		st->inplace++;
	else
	{
		st->moved++;
		T_CHECK(!ga_owns(&mo->o, old.p));
		mo->mallocs++;
		mo->frees++;
		st->g_mallocs++;
		st->g_frees++;
		count_class_malloc(st, mo, size);
	}
	drop_chunk(st, mo, k);
	check_new_chunk(st, i, p, size, slot);
	push_chunk(st, mo, p, size, slot);
	fill_chunk(st, mo, &mo->ch[mo->n - 1]);
	m_check_owner(st, i);
	return true;
}

void
m_reset(m_state *st, int i)
{
	m_owner    *mo = &st->ow[i];
	ga_owner_stats os;

	if (!mo->live)
		return;
	for (size_t k = 0; k < mo->n; k++)
		verify_chunk(st, mo, &mo->ch[k], SIZE_MAX);
	ga_owner_reset(&mo->o);
	mo->frees += mo->n;
	st->g_frees += mo->n;
	while (mo->n)
		drop_chunk(st, mo, mo->n - 1);
	ga_owner_read_stats(&mo->o, &os);
	T_EQ(os.objects, 0);
	T_LE(os.span_bytes, mo->o.keep_pages * GA_PAGE_SIZE);
	T_CHECK(ga_owner_is_empty(&mo->o));
	m_check_owner(st, i);
}

void
m_destroy(m_state *st, int i)
{
	m_owner    *mo = &st->ow[i];

	if (!mo->live)
		return;
	for (size_t k = 0; k < mo->n; k++)
		verify_chunk(st, mo, &mo->ch[k], SIZE_MAX);

	/*
	 * Odd owners are recycled, as PostgreSQL's adopted contexts are: their
	 * next create reuses them.  Counts and mirror must come out the same.
	 */
	if (i & 1)
	{
		ga_owner_recycle(&mo->o);
		mo->recycled = true;
	}
	else
		ga_owner_destroy(&mo->o);
	st->g_frees += mo->n;
	while (mo->n)
		drop_chunk(st, mo, mo->n - 1);
	T_EQ(mo->mirror, 0);
	mo->live = false;
	free(mo->ch);
	mo->ch = NULL;
	mo->cap = 0;
}

void
m_scavenge(m_state *st, size_t keep)
{
	ga_heap_stats a,
				b;

	ga_heap_read_stats(st->heap, &a);
	ga_heap_scavenge(st->heap, keep);
	ga_heap_read_stats(st->heap, &b);
	T_LE(b.heap_idle - b.heap_released, keep);
	T_EQ(b.heap_objects, a.heap_objects);
	T_EQ(b.heap_alloc, a.heap_alloc);
	T_EQ(b.mallocs, a.mallocs);
	T_LE(b.heap_sys - b.heap_released, a.heap_sys - a.heap_released);
	if (keep == 0)
	{
		T_EQ(b.heap_released, b.heap_idle);
		T_EQ(b.span_cache_bytes, 0);
	}
}

void
m_set_limit(m_state *st, size_t limit)
{
	st->limit = limit;
	ga_heap_set_limit(st->heap, limit);
}

/* Visitor: clears *(uintptr_t *) arg if the address is in the arena. */
static bool
in_arena(void *arg, const ga_arena_info *info)
{
	uintptr_t  *a = arg;

	if (*a >= info->base && *a < info->base + info->npages * GA_PAGE_SIZE)
	{
		*a = 0;
		return false;
	}
	return true;
}

/* What the core must say about a pointer freed just now. */
static ga_error_kind
expected_after_free(m_state *st, m_owner *mo, const void *ptr)
{
	t_spans		sp = {0};
	uintptr_t	a = (uintptr_t) ptr;
	ga_error_kind k = GA_ERR_NOT_ALLOCATED;
	bool		in_span = false;

	t_owner_spans(&mo->o, &sp);
	for (size_t s = 0; s < sp.n; s++)
		if (a >= sp.v[s].base && a < sp.v[s].base + sp.v[s].npages * GA_PAGE_SIZE)
			k = GA_ERR_DOUBLE_FREE, in_span = true;
	for (ga_nblock *b = mo->o.nursery; b != NULL; b = b->next)
		if (a >= (uintptr_t) b && a < (uintptr_t) b + b->size)
			k = GA_ERR_DOUBLE_FREE, in_span = true;
	if (!in_span)
	{
		/* in an arena of the heap at all? */
		k = GA_ERR_NOT_IN_HEAP;
		ga_heap_walk_arenas(st->heap, in_arena, &a);
		if (a == 0)
			k = GA_ERR_NOT_ALLOCATED;
	}
	t_spans_free(&sp);
	return k;
}

/*
 * A bad pointer given to owner mo's free and realloc: the error want is
 * reported, once each, and nothing changes.  dispatch: ptr is a chunk
 * freed just now, whose header word a marked owner's embedder reads first
 * (PostgreSQL's pfree): if it holds the mark, the embedder asks
 * ga_heap_report_listed instead of calling the owner.
 */
static void
bad_call(m_state *st, m_owner *mo, m_owner *other, void *ptr,
		 ga_error_kind want, bool dispatch)
{
	bool		listed;

	/* a huge chunk's arena is unmapped at its free: no header to read */
	listed = dispatch && mo->marked && ga_heap_contains(st->heap, ptr) &&
		header_word(ptr) == M_MARK;

	ga_heap_stats h0,
				h1;
	ga_owner_stats o0,
				o1,
				x0,
				x1;
	int			n0;

	memset(&h0, 0, sizeof(h0));
	memset(&h1, 0, sizeof(h1));
	memset(&o0, 0, sizeof(o0));
	memset(&o1, 0, sizeof(o1));
	memset(&x0, 0, sizeof(x0));
	memset(&x1, 0, sizeof(x1));
	st->bad_ops++;
	ga_heap_read_stats(st->heap, &h0);
	ga_owner_read_stats(&mo->o, &o0);
	if (other)
		ga_owner_read_stats(&other->o, &x0);

	T_CHECK(!ga_owns(&mo->o, ptr));
	n0 = st->errs.n;
	if (listed)
		ga_heap_report_listed(st->heap, ptr);
	else if (mo->marked)
		ga_free_marked(&mo->o.map, &mo->o, ptr, mo->hdr, M_MARK);
	else
		ga_free(&mo->o, ptr);
	if (T_EQ(st->errs.n, n0 + 1))
	{
		if (!T_EQ(st->errs.kind, want))
			fprintf(stderr, "  (bad free of %p)\n", ptr);
		T_CHECK(st->errs.ptr == ptr);
		T_CHECK(st->errs.owner == &mo->o);
	}
	n0 = st->errs.n;
	if (listed)
		ga_heap_report_listed(st->heap, ptr);
	else if (mo->marked)
		T_CHECK(ga_realloc_marked(&mo->o.map, &mo->o, ptr, 100, mo->hdr,
								  M_MARK) == NULL);
	else
		T_CHECK(ga_realloc(&mo->o, ptr, 100) == NULL);
	if (T_EQ(st->errs.n, n0 + 1))
		T_EQ(st->errs.kind, want);
	st->errs_expected = st->errs.n;

	ga_heap_read_stats(st->heap, &h1);
	ga_owner_read_stats(&mo->o, &o1);
	T_CHECK(t_heap_stats_equal(&h0, &h1));
	T_CHECK(t_owner_stats_equal(&o0, &o1));
	if (other)
	{
		ga_owner_read_stats(&other->o, &x1);
		T_CHECK(t_owner_stats_equal(&x0, &x1));
	}
}

void
m_bad(m_state *st, int i, m_bad_kind kind, size_t k, int j)
{
	m_owner    *mo = &st->ow[i];
	m_chunk    *c;

	if (!mo->live)
		return;
	switch (kind)
	{
		case M_BAD_FOREIGN_STACK:
			{
				volatile uint64_t local[4] = {0};

				bad_call(st, mo, NULL, (void *) &local[2], GA_ERR_NOT_IN_HEAP, false);
				break;
			}
		case M_BAD_FOREIGN_MALLOC:
			{
				void	   *m = malloc(64);

				bad_call(st, mo, NULL, m, GA_ERR_NOT_IN_HEAP, false);
				free(m);
				break;
			}
		case M_BAD_DOUBLE:
			{
				uint8_t    *p;

				if (mo->n == 0)
					return;
				k %= mo->n;
				p = mo->ch[k].p;
				m_free(st, i, k);
				bad_call(st, mo, NULL, p, expected_after_free(st, mo, p), true);
				break;
			}
		case M_BAD_INTERIOR:
			if (mo->n == 0)
				return;
			c = &mo->ch[k % mo->n];
			{
				size_t		slot = ga_chunk_size(&mo->o, c->p);
				size_t		d;

				if (slot < mo->hdr + 2)
					return;
				d = 1 + (k >> 8) % (slot - mo->hdr - 1);

				bad_call(st, mo, NULL, c->p + d, GA_ERR_NOT_CHUNK_START, false);
				verify_chunk(st, mo, c, SIZE_MAX);
			}
			break;
		case M_BAD_HEADER:
			if (mo->n == 0 || mo->hdr == 0)
				return;
			c = &mo->ch[k % mo->n];
			/* a slot of only header bytes: its start is the previous
			 * slot's payload, a valid pointer */
			if (ga_chunk_size(&mo->o, c->p) <= mo->hdr)
				return;
			bad_call(st, mo, NULL, c->p - mo->hdr, GA_ERR_NOT_CHUNK_START, false);
			verify_chunk(st, mo, c, SIZE_MAX);
			break;
		case M_BAD_WRONG_OWNER:
			{
				m_owner    *other;

				j %= st->nowners;
				if (j == i)
					j = (j + 1) % st->nowners;
				other = &st->ow[j];
				if (!other->live || other->n == 0 || j == i)
					return;
				c = &other->ch[k % other->n];
				bad_call(st, mo, other, c->p, GA_ERR_WRONG_OWNER, false);
				T_CHECK(ga_owns(&other->o, c->p));
				verify_chunk(st, other, c, SIZE_MAX);
				break;
			}
		default:
			break;
	}
	check_errors(st);
}

/* Each class's mallocs, as the core counts them, against the model's. */
static bool
check_class_mallocs(const ga_class_counts *counts, const uint64_t *expected)
{
	bool		ok = true;

	for (int c = 0; c < GA_NUM_CLASSES; c++)
		if (!T_EQ(counts[c].mallocs, expected[c]))
		{
			fprintf(stderr, "  (class %d)\n", c);
			ok = false;
		}
	return ok;
}

bool
m_check_owner(m_state *st, int i)
{
	m_owner    *mo = &st->ow[i];
	ga_owner_stats os;
	ga_class_counts counts[GA_NUM_CLASSES];
	bool		ok = true;

	if (!mo->live)
		return true;
	ga_owner_read_stats(&mo->o, &os);
	ok &= T_EQ(os.objects, mo->n);
	ok &= T_EQ(os.mallocs, mo->mallocs);
	ok &= T_EQ(os.frees, mo->frees);
	ga_owner_read_class_counts(&mo->o, counts);
	ok &= check_class_mallocs(counts, mo->class_mallocs);
	ok &= T_EQ(os.alloc_bytes, mo->alloc_bytes);
	ok &= T_EQ(os.held_bytes, mo->mirror);
	ok &= T_LE(os.alloc_bytes, os.held_bytes);
	ok &= check_errors(st);
	return ok;
}

bool
m_check_full(m_state *st)
{
	ga_heap_stats hs;
	ga_class_counts counts[GA_NUM_CLASSES];
	uint64_t	live = 0;
	size_t		bytes = 0;
	int			nlive = 0;
	bool		ok = true;

	ok &= t_check_heap(st->heap);
	for (int i = 0; i < st->nowners; i++)
	{
		m_owner    *mo = &st->ow[i];

		if (!mo->live)
			continue;
		nlive++;
		ok &= m_check_owner(st, i);
		live += mo->n;
		bytes += mo->alloc_bytes;
		for (size_t k = 0; k < mo->n; k++)
			ok &= verify_chunk(st, mo, &mo->ch[k], SIZE_MAX);
	}
	ga_heap_read_stats(st->heap, &hs);
	ok &= T_EQ(hs.heap_objects, live);
	ok &= T_EQ(hs.heap_alloc, bytes);
	ok &= T_EQ(hs.mallocs, st->g_mallocs);
	ok &= T_EQ(hs.frees, st->g_frees);
	ga_heap_read_class_counts(st->heap, counts);
	ok &= check_class_mallocs(counts, st->g_class_mallocs);
	ok &= T_EQ(hs.nowners, nlive);
	ok &= T_EQ(hs.limit, st->limit);
	ok &= T_LE(hs.span_cache_bytes, GA_DEFAULT_SPAN_CACHE);
	return ok;
}

void
m_fini(m_state *st)
{
	for (int i = 0; i < st->nowners; i++)
		m_destroy(st, i);
	m_check_full(st);
	for (int i = 0; i < st->nowners; i++)
		if (st->ow[i].recycled)
		{
			ga_owner_discard(&st->ow[i].o);
			st->ow[i].recycled = false;
		}
	t_check_heap(st->heap);
	ga_heap_destroy(st->heap);
	st->heap = NULL;
}
