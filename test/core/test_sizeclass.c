/*
 * Size classes: the generated tables reproduce Go's table exactly, and the
 * rule that builds it holds independently.
 */
#include "t_core.h"

#include <math.h>

static void
test_table_matches_go(void)
{
	ga_sizeclasses_init();
	T_EQ(ga_class_size[0], 0);
	for (int c = 1; c < GA_NUM_CLASSES; c++)
	{
		const go_class *g = &go_classes[c];

		T_EQ(ga_class_size[c], g->size);
		T_EQ(ga_class_npages[c], g->npages);
		T_EQ(ga_class_nelems[c], g->objects);
		T_EQ((size_t) ga_class_npages[c] * GA_PAGE_SIZE, g->span_bytes);
		T_EQ(ga_class_tail_waste(c), g->tail_waste);
		/* max waste to 2 decimals, as Go prints it */
		{
			double		w = ga_class_max_waste_pct(c);

			if (!T_EQ(lround(w * 100.0), lround(g->max_waste * 100.0)))
				fprintf(stderr, "  class %d: max waste %.4f%%, Go %.2f%%\n",
						c, w, g->max_waste);
		}
	}
}

/*
 * Go's makeClasses (mksizeclasses.go), rewritten here independently of the
 * core: step sizes by a growing alignment, fewest pages with tail waste <=
 * 1/8, merge classes with equal pages and objects, then enlarge each size
 * to psize/objects rounded down to 128.
 */
static int
go_make_classes(uint32_t size_out[], uint32_t npages_out[])
{
	int			n = 1;
	size_t		align = 8;

	size_out[0] = npages_out[0] = 0;
	for (size_t size = align; size <= GA_MAX_SMALL_SIZE; size += align)
	{
		size_t		allocsize = GA_PAGE_SIZE;

		if ((size & (size - 1)) == 0)
		{
			if (size >= 2048)
				align = 256;
			else if (size >= 128)
				align = size / 8;
			else if (size >= 32)
				align = 16;
		}
		while (allocsize % size > allocsize / 8)
			allocsize += GA_PAGE_SIZE;
		if (n > 1 && allocsize / GA_PAGE_SIZE == npages_out[n - 1] &&
			allocsize / size == allocsize / size_out[n - 1])
		{
			size_out[n - 1] = (uint32_t) size;
			continue;
		}
		if (n == 100)
			return -1;
		size_out[n] = (uint32_t) size;
		npages_out[n] = (uint32_t) (allocsize / GA_PAGE_SIZE);
		n++;
	}
	for (int i = 1; i < n; i++)
	{
		size_t		psize = (size_t) npages_out[i] * GA_PAGE_SIZE;
		size_t		ns = (psize / (psize / size_out[i])) & ~(size_t) 127;

		if (ns > size_out[i])
			size_out[i] = (uint32_t) ns;
	}
	return n;
}

static void
test_go_rule_regenerated(void)
{
	uint32_t	sz[100],
				np[100];
	int			n = go_make_classes(sz, np);

	ga_sizeclasses_init();
	T_EQ(n, GA_NUM_CLASSES);
	for (int c = 1; c < n && c < GA_NUM_CLASSES; c++)
	{
		/* the generator agrees with Go's published table ... */
		T_EQ(sz[c], go_classes[c].size);
		T_EQ(np[c], go_classes[c].npages);
		/* ... and with the core */
		T_EQ(ga_class_size[c], sz[c]);
		T_EQ(ga_class_npages[c], np[c]);
	}
}

/* Go's construction rule, checked without the expected table. */
static void
test_rule(void)
{
	ga_sizeclasses_init();
	for (int c = 1; c < GA_NUM_CLASSES; c++)
	{
		size_t		size = ga_class_size[c];
		size_t		span = (size_t) ga_class_npages[c] * GA_PAGE_SIZE;

		T_EQ(size % 8, 0);
		if (c > 1)
			T_CHECK(ga_class_size[c - 1] < size);
		T_EQ(ga_class_nelems[c], span / size);
		T_LE(span % size, span / 8);	/* tail waste <= 1/8 of the span */
		T_LE(ga_class_nelems[c], GA_MAX_OBJS_PER_SPAN);
		T_EQ(ga_class_tail_waste(c), span % size);
		/* divmul = ~0u/size + 1, exact for every offset in the span */
		T_EQ(ga_class_divmul[c], (uint32_t) (UINT32_MAX / size + 1));
		{
			uint64_t	bad = 0;

			for (uint64_t n = 0; n <= span; n++)
				if (n / size != ((n * ga_class_divmul[c]) >> 32))
					bad++;
			T_EQ(bad, 0);
		}

		/*
		 * ga_free's slot test: the low half of the same product tells a
		 * slot's start, for every offset in the span and for the offsets
		 * just before it (a pointer inside the header of slot 0, at most
		 * hdr <= min(64, size - 8) bytes), which reach ga_free truncated
		 * to 32 bits.  The fast path does not compare the index with
		 * nelems: a start it passes must be a slot or the one just past
		 * the last, whose bit is 0 and must lie inside alloc_bits.
		 */
		{
			uint64_t	bad = 0;
			uint64_t	starts = 0;
			int64_t		before = size - 8 < 64 ? (int64_t) size - 8 : 64;

			for (int64_t n = -before; n < (int64_t) span; n++)
			{
				uint64_t	prod = (uint64_t) (uint32_t) n * ga_class_divmul[c];
				bool		start = ga_slot_start(prod, ga_class_divmul[c]);
				bool		want = n >= 0 && n % (int64_t) size == 0;

				bad += (start != want);
				if (start && (prod >> 32) < ga_class_nelems[c])
					starts++;
				else if (start && ((prod >> 32) != ga_class_nelems[c] ||
								   ga_class_nelems[c] >= GA_BITMAP_WORDS * 64))
					bad++;
			}
			T_EQ(bad, 0);
			T_EQ(starts, ga_class_nelems[c]);
		}
		/* max waste formula: ((size-prev-1)*objects + tail) / span */
		{
			size_t		prev = ga_class_size[c - 1];
			double		w = 100.0 * (double) ((size - prev - 1) * ga_class_nelems[c] +
											  span % size) / (double) span;

			T_CHECK(fabs(w - ga_class_max_waste_pct(c)) < 1e-9);
		}
	}
	T_EQ(ga_class_size[GA_NUM_CLASSES - 1], GA_MAX_SMALL_SIZE);
}

static void
test_size_to_class(void)
{
	uint64_t	bad = 0;

	ga_sizeclasses_init();
	for (size_t n = 1; n <= GA_MAX_SMALL_SIZE; n++)
	{
		unsigned	c = ga_size_class(n);

		if (c < 1 || c >= GA_NUM_CLASSES ||
			ga_class_size[c] < n ||
			ga_class_size[c - 1] >= n ||
			ga_class_size[c] != t_expected_slot(n))
		{
			if (bad++ < 5)
				T_FAIL("ga_size_class(%zu) = %u", n, c);
		}
	}
	T_EQ(bad, 0);
	/* table lengths as Go: 129 and 249 entries */
	T_EQ(sizeof(ga_fast.size_to_class8), 129);
	T_EQ(sizeof(ga_size_to_class128), 249);
}

static void
test_init_idempotent(void)
{
	uint32_t	sz[GA_NUM_CLASSES];

	ga_sizeclasses_init();
	for (int c = 0; c < GA_NUM_CLASSES; c++)
		sz[c] = ga_class_size[c];
	ga_sizeclasses_init();
	for (int c = 0; c < GA_NUM_CLASSES; c++)
		T_EQ(ga_class_size[c], sz[c]);
}

int
main(void)
{
	T_RUN(test_table_matches_go);
	T_RUN(test_rule);
	T_RUN(test_go_rule_regenerated);
	T_RUN(test_size_to_class);
	T_RUN(test_init_idempotent);
	return t_finish();
}
