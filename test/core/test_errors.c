/*
 * Bad input: every bad pointer is reported with the right kind through the
 * error callback, nothing changes, and ga_realloc returns NULL.
 */
#include "t_core.h"

#include <stdlib.h>
#include <string.h>

static t_errs errs;

/*
 * Free (and realloc) ptr through owner o; expect exactly one report of
 * kind each, and no statistic of the heap or of the owners to change.
 */
static void
expect_bad(ga_heap *h, ga_owner *o, ga_owner *other, void *ptr,
		   ga_error_kind want, const char *what)
{
	ga_heap_stats h0,
				h1;
	ga_owner_stats o0,
				o1,
				x0,
				x1;
	int			n0 = errs.n;

	memset(&h0, 0, sizeof(h0));
	memset(&h1, 0, sizeof(h1));
	memset(&o0, 0, sizeof(o0));
	memset(&o1, 0, sizeof(o1));
	memset(&x0, 0, sizeof(x0));
	memset(&x1, 0, sizeof(x1));
	ga_heap_read_stats(h, &h0);
	ga_owner_read_stats(o, &o0);
	if (other)
		ga_owner_read_stats(other, &x0);
	T_CHECK(!ga_owns(o, ptr));
	T_EQ(ga_chunk_size(o, ptr), 0);
	errs.n = n0;				/* ga_chunk_size may or may not report */
	ga_free(o, ptr);
	if (!T_EQ(errs.n, n0 + 1) || !T_EQ(errs.kind, want) ||
		!T_CHECK(errs.ptr == ptr) || !T_CHECK(errs.owner == o))
		fprintf(stderr, "  (case: %s, ptr %p, got kind %d)\n", what, ptr,
				(int) errs.kind);
	T_CHECK(ga_realloc(o, ptr, 50) == NULL);
	if (!T_EQ(errs.n, n0 + 2) || !T_EQ(errs.kind, want))
		fprintf(stderr, "  (case: %s, realloc)\n", what);
	ga_heap_read_stats(h, &h1);
	ga_owner_read_stats(o, &o1);
	T_EQ(h1.frees_slow, h0.frees_slow + 1);	/* the free, not the realloc */
	if (!T_CHECK(t_heap_stats_equal(&h0, &h1)) ||
		!T_CHECK(t_owner_stats_equal(&o0, &o1)))
		fprintf(stderr, "  (case: %s: stats changed)\n", what);
	if (other)
	{
		ga_owner_read_stats(other, &x1);
		T_CHECK(t_owner_stats_equal(&x0, &x1));
	}
	t_check_heap(h);
}

static void
test_bad_pointers(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o,
				o2;
	uint64_t	stackvar[4] = {0};
	void	   *m = malloc(100);
	char	   *p,
			   *q,
			   *big;

	for (size_t hdr = 8; hdr <= 16; hdr += 8)
	{
		ga_owner_init(&o, h, hdr, GA_DEFAULT_KEEP);
		ga_owner_init(&o2, h, hdr, GA_DEFAULT_KEEP);
		p = ga_alloc(&o, 100);
		q = ga_alloc(&o, 100);
		big = ga_alloc(&o, 200000);

		expect_bad(h, &o, NULL, &stackvar[1], GA_ERR_NOT_IN_HEAP, "stack");
		expect_bad(h, &o, NULL, m, GA_ERR_NOT_IN_HEAP, "malloc");
		expect_bad(h, &o, NULL, NULL, GA_ERR_NOT_IN_HEAP, "NULL");
		expect_bad(h, &o, NULL, p + 8, GA_ERR_NOT_CHUNK_START, "interior +8");
		expect_bad(h, &o, NULL, p + 1, GA_ERR_NOT_CHUNK_START, "interior +1");
		expect_bad(h, &o, NULL, p - hdr, GA_ERR_NOT_CHUNK_START, "slot start");
		expect_bad(h, &o, NULL, big + 8, GA_ERR_NOT_CHUNK_START, "large interior");
		expect_bad(h, &o, NULL, big + 100000, GA_ERR_NOT_CHUNK_START, "large interior page");
		expect_bad(h, &o, NULL, big - hdr, GA_ERR_NOT_CHUNK_START, "large page start");
		expect_bad(h, &o2, &o, p, GA_ERR_WRONG_OWNER, "other owner");
		expect_bad(h, &o2, &o, big, GA_ERR_WRONG_OWNER, "other owner large");
		/* double free: span still held (q keeps it) */
		ga_free(&o, p);
		expect_bad(h, &o, NULL, p, GA_ERR_DOUBLE_FREE, "double free (listed)");
		/* the same, once the free list let it go: the bit test */
		ga_owner_flush_freelists(&o);
		expect_bad(h, &o, NULL, p, GA_ERR_DOUBLE_FREE, "double free (bit)");
		/* freed large pages */
		ga_free(&o, big);
		expect_bad(h, &o, NULL, big, GA_ERR_NOT_ALLOCATED, "freed large");
		/* a slot never allocated in a live span */
		expect_bad(h, &o, NULL, q + ga_chunk_size(&o, q) * 5, GA_ERR_DOUBLE_FREE, "never allocated slot");
		ga_free(&o, q);
		ga_owner_destroy(&o2);
		ga_owner_destroy(&o);
	}
	/* pages of an owner destroyed: free or cached */
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	ga_owner_init(&o2, h, 8, GA_DEFAULT_KEEP);
	p = ga_alloc(&o2, 100);
	big = ga_alloc(&o2, 100000);
	ga_owner_destroy(&o2);
	expect_bad(h, &o, NULL, p, GA_ERR_NOT_ALLOCATED, "destroyed owner small");
	expect_bad(h, &o, NULL, big, GA_ERR_NOT_ALLOCATED, "destroyed owner large");
	/* a huge chunk freed: its arena is gone */
	big = ga_alloc(&o, (size_t) 80 << 20);
	T_CHECK(big != NULL);
	expect_bad(h, &o, NULL, big + 4096, GA_ERR_NOT_CHUNK_START, "huge interior");
	ga_free(&o, big);
	expect_bad(h, &o, NULL, big, GA_ERR_NOT_IN_HEAP, "freed huge");
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	free(m);
}

/*
 * A pointer in the tail waste of a span (past the last slot, inside the
 * span's last page), at a slot boundary: e.g. class 5 (48 B, 170 slots,
 * 32 B tail) with hdr 8, base + 170*48 + 8.  It is no chunk: the fast free
 * path must not take it for slot 170, whose bit is 0 (ga_types.h).
 */
static void
test_tail_waste_pointer(void)
{
	ga_heap    *h = t_heap(&errs);

	for (int c = 1; c < GA_NUM_CLASSES; c++)
		for (size_t hdr = 0; hdr <= 16; hdr += 8)
		{
			ga_owner	o;
			size_t		size = ga_class_size[c];
			uint32_t	n = ga_class_nelems[c];
			size_t		tail = (size_t) ga_class_npages[c] * GA_PAGE_SIZE - n * size;
			char	   *p;
			uintptr_t	base;

			if (tail <= hdr || size <= hdr + 1)
				continue;
			ga_owner_init(&o, h, hdr, GA_DEFAULT_KEEP);
			p = ga_alloc(&o, size - hdr - 1);	/* slot 0 */
			base = (uintptr_t) p - hdr;
			{
				char		what[64];

				snprintf(what, sizeof what, "tail waste class %d hdr %zu", c, hdr);
				expect_bad(h, &o, NULL, (void *) (base + n * size + hdr),
						   GA_ERR_NOT_CHUNK_START, what);
			}
			ga_free(&o, p);
			ga_owner_destroy(&o);
		}
	t_check_heap(h);
	ga_heap_destroy(h);
}

/* A callback that returns lets the program go on; errors leave no trace. */
static void
test_errors_then_normal_use(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	void	   *v[1000];

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < 1000; i++)
		v[i] = ga_alloc(&o, (size_t) i * 3);
	for (int i = 0; i < 1000; i += 2)
		ga_free(&o, v[i]);
	errs.n = 0;
	for (int i = 0; i < 1000; i += 2)
		ga_free(&o, v[i]);		/* all double frees */
	T_EQ(errs.n, 500);
	for (int i = 1; i < 1000; i += 2)
		ga_free(&o, v[i]);
	T_EQ(errs.n, 500);
	T_CHECK(ga_owner_is_empty(&o));
	t_check_heap(h);
	/* no callback installed: errors are ignored, nothing changes */
	ga_heap_set_error_handler(h, NULL, NULL);
	ga_free(&o, v[1]);
	ga_free(&o, &o);
	T_EQ(errs.n, 500);
	ga_heap_set_error_handler(h, t_err_record, &errs);
	ga_free(&o, &o);
	T_EQ(errs.n, 501);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	errs.n = 0;
}

int
main(void)
{
	ga_sizeclasses_init();
	T_RUN(test_bad_pointers);
	T_RUN(test_tail_waste_pointer);
	T_RUN(test_errors_then_normal_use);
	return t_finish();
}
