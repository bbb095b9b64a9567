/*
 * t_core.h -- helpers shared by the core tests and the fuzzer: Go's size
 * class table as expected data, the heap/owner invariant checker, and an
 * error callback that records what it is told.
 */
#ifndef T_CORE_H
#define T_CORE_H

#include "t.h"
#include "../../src/core/ga_testing.h"

/* One row of Go's table (the comment atop Go's runtime/sizeclasses.go). */
typedef struct go_class
{
	uint32_t	size;			/* bytes/obj */
	uint32_t	span_bytes;		/* bytes/span */
	uint32_t	objects;
	uint32_t	tail_waste;
	double		max_waste;		/* percent, 2 decimals */
	uint32_t	npages;
} go_class;
extern const go_class go_classes[GA_NUM_CLASSES];

/* Slot bytes Go's rule gives a request of n bytes, header included:
 * smallest class >= n from the embedded table, or whole pages if large. */
size_t		t_expected_slot(size_t n);
/* Its size class, 0 if large. */
int			t_expected_class(size_t n);
static inline bool
t_is_large(size_t n)
{
	return n > GA_MAX_SMALL_SIZE;
}
static inline size_t
t_round_pages(size_t n)
{
	return (n + GA_PAGE_SIZE - 1) & ~(GA_PAGE_SIZE - 1);
}

/* Slot of a request: size + hdr, a request of 0 served as 1 (the header's
 * rule, so that the payload pointer lies inside its slot). */
static inline size_t
t_req_n(size_t size, size_t hdr)
{
	return size + hdr + (size == 0);
}
#define t_req_slot(size, hdr) t_expected_slot(t_req_n((size), (hdr)))

/* Free slots that turn a FULL span PARTIAL (ga_types.h: max(1, nelems/8)). */
static inline unsigned
t_partial_at(unsigned nelems)
{
	return nelems / 8 > 1 ? nelems / 8 : 1;
}

/* Objects of class c the owner holds, by its counts (mallocs - frees). */
static inline uint64_t
class_live(const ga_owner *o, int c)
{
	ga_class_counts cc[GA_NUM_CLASSES];

	ga_owner_read_class_counts(o, cc);
	return cc[c].mallocs - cc[c].frees;
}

/* Error recorder. */
typedef struct t_errs
{
	int			n;
	ga_error_kind kind;
	const ga_owner *owner;
	const void *ptr;
} t_errs;
void		t_err_record(void *arg, ga_error_kind kind, const ga_owner *owner,
						 const void *ptr);

/* A heap with the error recorder installed (errs may be NULL). */
ga_heap    *t_heap(t_errs *errs);

/*
 * Check the heap's invariants (ga_types.h, docs/design.md "Invariants"):
 * statistics against the spans, arenas and page states the walkers report,
 * every span's state, no overlap, and every owner (t_check_owner).  Returns
 * false (after reporting through the framework) if one fails.
 */
bool		t_check_heap(ga_heap *heap);

/* Owner-level: stats vs walks; mirror (may be NULL) == span_bytes. */
bool		t_check_owner(ga_owner *owner, const size_t *mirror);

/* Collect spans into an array (malloc'ed; caller frees). */
typedef struct t_spans
{
	ga_span_info *v;
	size_t		n,
				cap;
} t_spans;
void		t_heap_spans(ga_heap *heap, t_spans *out);
void		t_owner_spans(ga_owner *owner, t_spans *out);
void		t_spans_free(t_spans *s);

/* Retained bytes: heap_sys - heap_released. */
size_t		t_retained(ga_heap *heap);

/* The heap's and an owner's statistics, as values. */
ga_heap_stats t_hstats(ga_heap *heap);
ga_owner_stats t_ostats(ga_owner *owner);

/*
 * Fill n bytes at p with a pattern of seed; t_same checks them (reporting
 * the first byte that differs).
 */
void		t_fill(void *p, size_t n, unsigned seed);
bool		t_same(const void *p, size_t n, unsigned seed);

/* stats equality (for "nothing changed"; frees_slow, a diagnostic count, is not compared) */
bool		t_heap_stats_equal(const ga_heap_stats *a, const ga_heap_stats *b);
bool		t_owner_stats_equal(const ga_owner_stats *a, const ga_owner_stats *b);

#endif
