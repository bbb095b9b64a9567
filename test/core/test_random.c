/*
 * End-to-end randomized test: long seeded operation sequences over many
 * owners against the reference model of t_model.c.
 *
 * T_RANDOM_OPS (default 3000000), T_SEED (default 1).  make sanitize runs
 * fewer operations (SAN_RANDOM_OPS); the check intervals stay the same.
 */
#include "t_model.h"

#include <stdlib.h>

static long nops;
static uint64_t seed;

static size_t
pick_size(t_rng *r, m_state *st)
{
	uint64_t	x = t_below(r, 100000);

	if (x < 80000)				/* mostly small: 0..512 */
		return t_below(r, 513);
	if (x < 95000)				/* up to 32 KiB, both sides of the edge */
		return 513 + t_below(r, 32768 - 512 + 64);
	if (x < 99990 && st->large_live < ((size_t) 192 << 20))
	{
		/* PostgreSQL's hash join chunk (and two more), again and again */
		static const size_t packable[] = {32800, 32800, 32800, 65544, 100000};

		if (t_below(r, 10) < 4)
			return packable[t_below(r, 5)];
		if (t_below(r, 10) < 8)	/* large, mostly moderate */
			return 32768 + t_below(r, 256 << 10);
		return 32768 + t_below(r, 4 << 20);
	}
	if (x >= 99997 && st->large_live < ((size_t) 64 << 20))
		return ((size_t) 64 << 20) + t_below(r, 40 << 20);	/* huge */
	return t_below(r, 256);
}

static void
run(void)
{
	m_state		st;
	t_rng		r = {seed};
	int			nowners = 8 + (int) t_below(&r, 25);
	long		full_every = 20000;
	long		limit_until = -1;
	uint64_t	fail0 = t_failures;

	m_init(&st, nowners, true);
	st.nursery_mask = 0xCCCCCCCC;	/* owners 2, 3, 6, 7, ...: both headers */
	st.marked_mask = 0x66666666;	/* owners 1, 2, 5, 6, ...: marked lists,
									 * in and out of the nursery */
	for (int i = 0; i < nowners; i++)
		m_owner_create(&st, i, (i & 1) ? 16 : 8,
					   t_below(&r, 3) == 0 ? 0 : GA_DEFAULT_KEEP);

	for (long step = 0; step < nops; step++)
	{
		int			i = (int) t_below(&r, (uint64_t) nowners);
		m_owner    *mo = &st.ow[i];
		uint64_t	op = t_below(&r, 100000);

		if (!mo->live)
		{
			m_owner_create(&st, i, 8 * t_below(&r, 3), 
						   t_below(&r, 2) ? GA_DEFAULT_KEEP : 64 << 10);
			continue;
		}
		/* keep owners from growing without bound: bias to frees */
		if (mo->n > 3000 && op < 50000)
			op += 50000;

		if (op < 45000)
			m_alloc(&st, i, pick_size(&r, &st), false);
		else if (op < 50000)
			m_alloc(&st, i, pick_size(&r, &st), true);
		else if (op < 88000)
			m_free(&st, i, t_rand(&r));
		else if (op < 99700)
		{
			/* realloc: grow, shrink, or same-class jiggle */
			size_t		k = mo->n ? t_rand(&r) % mo->n : 0;
			size_t		cur = mo->n ? mo->ch[k].size : 0;
			size_t		ns;

			switch (t_below(&r, 4))
			{
				case 0:
					ns = cur + t_below(&r, 16);
					break;
				case 1:
					ns = cur / (1 + t_below(&r, 4));
					break;
				case 2:
					ns = cur * 2 + t_below(&r, 100);
					if (ns > ((size_t) 8 << 20))
						ns = pick_size(&r, &st);
					break;
				default:
					ns = pick_size(&r, &st);
			}
			m_realloc(&st, i, k, ns);
		}
		else if (op < 99760)
			m_reset(&st, i);
		else if (op < 99800)
			m_destroy(&st, i);
		else if (op < 99850)
			m_bad(&st, i, (m_bad_kind) t_below(&r, M_BAD_NKINDS),
				  t_rand(&r), (int) t_below(&r, (uint64_t) nowners));
		else if (op < 99870)
			m_scavenge(&st, t_below(&r, 2) ? 0 : t_below(&r, 16 << 20));
		else if (op < 99875 && st.limit == 0)
		{
			/* a limit a little above what is retained now, for a while */
			m_set_limit(&st, t_retained(st.heap) + t_below(&r, 32 << 20));
			limit_until = step + 20000 + (long) t_below(&r, 50000);
		}
		else if (op < 99880)
			ga_heap_set_retain(st.heap, t_below(&r, 2) ? GA_DEFAULT_RETAIN
							   : t_below(&r, 4 << 20));

		if (st.limit && step >= limit_until)
			m_set_limit(&st, 0);
		if (step % full_every == full_every - 1)
			m_check_full(&st);
		if (t_failures - fail0 > 50)
		{
			fprintf(stderr, "too many failures at step %ld, stopping\n", step);
			break;
		}
	}
	m_check_full(&st);
	printf("     random: seed %llu, %ld ops, %d owners, %llu refused, "
		   "realloc %llu in place / %llu moved, %llu bad frees\n",
		   (unsigned long long) seed, nops, nowners,
		   (unsigned long long) st.nulls, (unsigned long long) st.inplace,
		   (unsigned long long) st.moved, (unsigned long long) st.bad_ops);
	m_fini(&st);
}

/* A second, short run with the full check after every 10th step. */
static void
run_dense(void)
{
	m_state		st;
	t_rng		r = {seed ^ 0xdeadbeef};
	long		n = nops / 100 < 20000 ? nops / 100 : 20000;
	uint64_t	fail0 = t_failures;

	m_init(&st, 4, true);
	st.nursery_mask = 0x6;		/* owners 1 and 2 */
	st.marked_mask = 0xA;		/* owners 1 and 3 (hdr 8 and 24) */
	for (int i = 0; i < 4; i++)
		m_owner_create(&st, i, 8 * (size_t) i, i == 3 ? 0 : GA_DEFAULT_KEEP);
	for (long step = 0; step < n && t_failures - fail0 < 50; step++)
	{
		int			i = (int) t_below(&r, 4);
		uint64_t	op = t_below(&r, 1000);

		if (!st.ow[i].live)
			m_owner_create(&st, i, 8, GA_DEFAULT_KEEP);
		else if (op < 450)
			m_alloc(&st, i, t_below(&r, 10) ? t_below(&r, 2000) : t_below(&r, 100000), op & 1);
		else if (op < 900)
			m_free(&st, i, t_rand(&r));
		else if (op < 980)
			m_realloc(&st, i, t_rand(&r), t_below(&r, 70000));
		else if (op < 985)
			m_reset(&st, i);
		else if (op < 988)
			m_destroy(&st, i);
		else if (op < 995)
			m_bad(&st, i, (m_bad_kind) t_below(&r, M_BAD_NKINDS), t_rand(&r),
				  (int) t_below(&r, 4));
		else
			m_scavenge(&st, t_below(&r, 1 << 20));
		if (step % 10 == 0)
			m_check_full(&st);
	}
	m_fini(&st);
}

int
main(void)
{
	nops = t_env_long("T_RANDOM_OPS", 3000000);
	seed = (uint64_t) t_env_long("T_SEED", 1);
	ga_sizeclasses_init();
	T_RUN(run_dense);
	T_RUN(run);
	return t_finish();
}
