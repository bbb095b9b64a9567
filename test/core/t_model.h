/*
 * t_model.h -- a reference model of the core for the randomized test and
 * the fuzzer.  Per owner: the live chunks with their requested size and a
 * fill pattern; counters the core's statistics must match.  Every m_*
 * operation performs the operation on the core and the model and checks
 * the result through the framework's assertions.
 */
#ifndef T_MODEL_H
#define T_MODEL_H

#include "t_core.h"

#define M_MAX_OWNERS 32

typedef struct m_chunk
{
	uint8_t    *p;				/* payload */
	size_t		size;			/* requested */
	size_t		slot;			/* the bytes it takes, header included */
	uint32_t	serial;
} m_chunk;

typedef struct m_owner
{
	ga_owner	o;
	bool		live;
	bool		recycled;		/* o was recycled: create reuses it */
	size_t		hdr;
	m_chunk    *ch;
	size_t		n,
				cap;
	uint64_t	mallocs,
				frees;
	uint64_t	class_mallocs[GA_NUM_CLASSES];	/* by t_expected_class */
	size_t		alloc_bytes;	/* expected slot bytes of live chunks */
	size_t		large_bytes;	/* requested bytes of live large chunks */
	size_t		large_stride;	/* the owner's, as model_new_slot keeps it */
	size_t		mirror;
	bool		marked;			/* marked lists (ga_owner_set_list_mark):
								 * allocates and frees as PostgreSQL's
								 * layer does (m_alloc, m_free) */
} m_owner;

/* The list mark of a marked owner: any value no header pattern takes */
#define M_MARK		UINT64_C(0x4D41524B45440000)

typedef enum m_bad_kind
{
	M_BAD_FOREIGN_STACK,
	M_BAD_FOREIGN_MALLOC,
	M_BAD_DOUBLE,
	M_BAD_INTERIOR,
	M_BAD_HEADER,
	M_BAD_WRONG_OWNER,
	M_BAD_NKINDS
} m_bad_kind;

typedef struct m_state
{
	ga_heap    *heap;
	t_errs		errs;
	int			errs_expected;
	m_owner		ow[M_MAX_OWNERS];
	int			nowners;
	uint64_t	g_mallocs,
				g_frees;		/* all owners, destroyed ones included */
	uint64_t	g_class_mallocs[GA_NUM_CLASSES];
	uint32_t	serial;
	size_t		limit;
	bool		stride_fill;	/* touch every 4 KiB of big chunks */
	uint32_t	nursery_mask;	/* owner i starts in the nursery if bit
								 * i % 32 is set (nursery.c) */
	uint32_t	marked_mask;	/* owner i has marked lists if bit i % 32
								 * is set and its header holds a word */
	bool		edges_only;		/* fuzzer: only 64 bytes at each end */
	size_t		large_live;		/* requested bytes of large chunks, all owners */
	uint64_t	nulls;			/* allocations refused (limit) */
	uint64_t	inplace,
				moved;			/* realloc outcomes */
	uint64_t	bad_ops;
} m_state;

void		m_init(m_state *st, int nowners, bool stride_fill);
void		m_fini(m_state *st);
void		m_owner_create(m_state *st, int i, size_t hdr, size_t keep);
bool		m_alloc(m_state *st, int i, size_t size, bool zero);
void		m_free(m_state *st, int i, size_t k);
bool		m_realloc(m_state *st, int i, size_t k, size_t size);
void		m_reset(m_state *st, int i);
void		m_destroy(m_state *st, int i);
void		m_scavenge(m_state *st, size_t keep);
void		m_set_limit(m_state *st, size_t limit);
void		m_bad(m_state *st, int i, m_bad_kind kind, size_t k, int j);
bool		m_check_owner(m_state *st, int i);		/* O(1) figures */
bool		m_check_full(m_state *st);	/* walks, all contents */

#endif
