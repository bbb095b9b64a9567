/*-------------------------------------------------------------------------
 *
 * ga_types.h
 *	  Every structure of the goalloc allocator core, documented in one place.
 *
 * The core is the Go runtime's allocator (mheap.go, mcentral.go, mcache.go,
 * malloc.go) rebuilt in portable C for a single-threaded process that frees
 * explicitly.  The structures below appear in the order a request meets
 * them: an owner's mcache and mcentral, the span, the heap arena, the mheap.
 * docs/design.md tells the whole story; this file says what each field means
 * and which invariant constrains it.
 *
 * This header includes no PostgreSQL header: the core is built, tested,
 * sanitized and fuzzed on its own.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GA_TYPES_H
#define GA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Geometry.  A page is Go's runtime page (_PageShift = 13), not the OS page.
 * A heap arena is Go's heapArena (64 MiB on 64-bit Linux), aligned to its
 * size so that the arena of any address is one shift and one load away
 * (ga_heap.arena_index).  A chunk is Go's pallocChunk (512 pages, 4 MiB): the
 * unit in which goalloc reports page occupancy and scavenging.
 */
#define GA_PAGE_SHIFT		13
#define GA_PAGE_SIZE		((size_t) 1 << GA_PAGE_SHIFT)
#define GA_ARENA_SHIFT		26
#define GA_ARENA_SIZE		((size_t) 1 << GA_ARENA_SHIFT)
#define GA_ARENA_PAGES		(GA_ARENA_SIZE >> GA_PAGE_SHIFT)
#define GA_CHUNK_PAGES		512

/*
 * Ordinary arenas are carved, in order, out of one region of address space
 * reserved (PROT_NONE) when the heap is created: 64 GiB, at most a quarter
 * of RLIMIT_AS, or less if the OS refuses, down to one arena.  A single flat spans map covers the region, so the span of an
 * address is one subtraction, one compare and one load away -- the lookup
 * ga_free makes.  Huge arenas are mapped outside it.
 *
 * Addresses above 2^47 are never user-space mappings on Linux x86-64 or
 * arm64 (4-level page tables).  The arena index covers exactly that range.
 */
#define GA_REGION_MAX		((size_t) 64 << 30)
#define GA_REGION_MIN		GA_ARENA_SIZE
#define GA_ADDR_BITS		47
#define GA_ARENA_INDEX_LEN	((size_t) 1 << (GA_ADDR_BITS - GA_ARENA_SHIFT))

/* Go's size classes: class 0 stands for large objects (own span). */
#define GA_NUM_CLASSES		68
#define GA_MAX_SMALL_SIZE	32768
#define GA_MAX_OBJS_PER_SPAN 1024
#define GA_BITMAP_WORDS		(GA_MAX_OBJS_PER_SPAN / 64)

/* Largest request the core accepts: far beyond any real mapping. */
#define GA_MAX_REQUEST		((size_t) 1 << 46)

/*
 * A large chunk of at least this many pages that ga_realloc must move (the
 * pages after it are taken) has its pages moved by the OS (mremap) instead
 * of copied, and its old pages are released at once (alloc.c, move_large).
 * That is what glibc's realloc does for a chunk it mmapped: a growing array
 * (tuplesort's memtuples, doubled by repalloc) then never holds the old and
 * the new copy at once, and no time goes into copying.  512 pages (4 MiB):
 * the old range comes back as released pages, so memory that reuses it
 * faults its pages in again.  At 64 pages, a StringInfo-like doubling to
 * 1 MiB that frees and starts again (goalloc_bench('repalloc_growth'))
 * spent its time in those faults: 113 us a call against 1.7 us at 512
 * pages (bench_core, one run each).  Each move may also split the arena's mapping into more VMAs (the
 * moved span keeps a VMA of its own); the threshold keeps those few.
 */
#define GA_REMAP_MIN_PAGES	512

/*
 * Packed large objects (alloc.c): at most this many bytes with the header
 * (above it a span of their own loses under 1/16 anyway).  An owner's first
 * packed span of a stride has at most GA_PACKED_SLOTS slots; each next one,
 * taken when the one before is full, twice as many, up to
 * GA_PACKED_SPAN_BYTES of slots (ga_packed_slots_max: 31 of hash join's
 * 32,832 bytes, 8 of the largest stride).
 */
#define GA_PACKED_MAX		((size_t) 128 << 10)
#define GA_PACKED_SLOTS		4
#define GA_PACKED_SPAN_BYTES ((size_t) 1 << 20)

typedef struct ga_span ga_span;
typedef struct ga_arena ga_arena;
typedef struct ga_owner ga_owner;
typedef struct ga_heap ga_heap;

/*
 * Where a span is.  Every span is in exactly one of these states, and in
 * exactly one list that belongs to that state (GA_SPAN_MCACHE spans are in
 * no list: the owner's mcache slot points at them).
 */
typedef enum ga_span_state
{
	GA_SPAN_DEAD = 0,			/* struct on the span allocator's free list */
	GA_SPAN_FREE,				/* a free page run in the page allocator */
	GA_SPAN_MCACHE,				/* an owner's mcache allocates from it */
	GA_SPAN_PARTIAL,			/* owner's mcentral: at least partial_at free
								 * slots, or fewer after leaving the mcache */
	GA_SPAN_FULL,				/* owner's mcentral: fewer than partial_at
								 * free slots (too few to be worth a refill) */
	GA_SPAN_LARGE,				/* one large object (size class 0) */
	GA_SPAN_CACHED				/* empty, formatted, in the heap's span cache */
} ga_span_state;

#define GA_SPAN_NSTATES 7

/*
 * ga_span: Go's mspan.  A run of pages that is either free (a node of the
 * page allocator) or in use (cut into nelems equal objects of elemsize
 * bytes, or holding one large object).
 *
 * The allocation state of a small span is the bitmap alloc_bits (1 =
 * allocated).  Go marks objects only at sweep and infers allocation from
 * freeindex; goalloc frees explicitly, so the bit is set at allocation and
 * cleared at free, and double frees are caught by a bit test.  Bits at and
 * above nelems, to the end of the array, are always 0: the free of a
 * pointer one slot past the end fails the bit test like any freed slot,
 * so the fast path needs no compare with nelems (ga_free_mapped); the
 * window leaves them out instead (ga_span_word_slots).
 *
 * alloc_cache is Go's allocCache: the free slots of one bitmap word, the
 * window word, whose first slot is window_base (a multiple of 64).  Bit i
 * stands for slot window_base + i.  The fast path takes its lowest set bit
 * (count trailing zeros) and clears it; Go shifts its allocCache instead, so
 * that bit 0 is its freeindex, which costs a shift and a store of freeindex
 * per allocation.  Go's freeindex is window_base + ctz(alloc_cache).
 * alloc_cache == 0 says only "nothing more in this word": the slow path
 * moves to the next word.  Invariants: every set bit of alloc_cache is a
 * free slot; until the window first passes the last word after a clear
 * (swept_end), every allocated slot lies in the window word or below it.
 * Only the span an mcache holds keeps alloc_cache meaningful; other spans
 * get it recomputed when they are cached (ga_span_prepare).
 *
 * free_trigger tells a real free of a slot (free.c: a free whose class's
 * list is full, or a flush) when the span must change lists: a free that
 * brings alloc_count down to free_trigger moves the span
 * (span_gained_free_slot).  A free that goes on the free list leaves
 * alloc_count alone and reads no trigger.  The trigger is a function of
 * the state (ga_span_set_state keeps them together):
 *
 *	MCACHE		GA_NO_TRIGGER (alloc_count never reaches it): the mcache span
 *				stays where it is whatever is freed;
 *	FULL		nelems - partial_at: the span has become worth a refill and
 *				moves to the partial list;
 *	PARTIAL		0: the span is empty and goes back to the heap.
 *
 * Spans leave the mcache only at the end of a sweep, and a PARTIAL or FULL
 * span is never allocated from, so alloc_count only falls there: the
 * trigger cannot be stepped over.
 *
 * Layout: the fields the fast paths read come first, then the bitmap, so
 * that for most classes a free touches a single cache line of the struct
 * (the struct is cache-line aligned); what only the slow paths read comes
 * last.
 */
#define GA_NO_TRIGGER	UINT16_MAX

struct ga_span
{
	/* Hot: what the fast paths read, 40 bytes. */
	uintptr_t	base;			/* address of page 0 of the span */
	ga_owner   *owner;			/* owning context; NULL unless owned */
	uint32_t	divmul;			/* ~0u/elemsize + 1: index by multiplication */
	uint16_t	window_base;	/* slot that bit 0 of alloc_cache stands for:
								 * the window word's first, see above */
	uint16_t	alloc_count;	/* slots whose bit is set: live objects and
								 * the slots of the owner's free list here
								 * (next to window_base: a reset zeroes both
								 * with one store) */
	uint16_t	elemsize;		/* object (slot) size, <= 32768; 0 if large */
	uint16_t	nelems;			/* slots in the span (1 if large, but for a
								 * packed span: 2 to ga_packed_slots_max,
								 * see alloc.c) */
	uint16_t	free_trigger;	/* see above */
	uint8_t		sizeclass;		/* 0 = large or free run */
	uint8_t		freelist_words; /* sizeclass * GA_FREELIST_WORDS: where the
								 * class's free list lies in its owner, in
								 * words (ga_owner_freelist) */
	uint64_t	alloc_cache;	/* inverted window of alloc_bits, see above */

	/*
	 * Small spans: the allocation bitmap (1 = allocated).  Large spans keep
	 * alloc_bits[0] == 0, so that ga_free's fast path declines them; a
	 * packed one has a bit per live slot there, and divmul 0 declines it.  Its
	 * first three words share the hot fields' cache line: every class of
	 * 48 bytes and more (at most 192 slots) has all of its bitmap there.
	 */
	uint64_t	alloc_bits[GA_BITMAP_WORDS];

	/* Cold: the slow paths, lists, the page allocator. */
	uint16_t	partial_at;		/* a full span turns partial once this many
								 * slots are free: max(1, nelems / 8) */
	uint8_t		state;			/* ga_span_state */
	bool		needzero;		/* objects may hold old data */
	bool		swept_end;		/* the window passed the last word since the
								 * last clear; until then every set bit lies
								 * in the window word or below */
	uint32_t	nscav;			/* free runs: pages of the run released */
	size_t		npages;			/* length of the run in pages */
	ga_span    *next;			/* the one list the state puts the span in */
	ga_span    *prev;
	ga_arena   *arena;			/* the arena holding the pages */
	size_t		large_size;		/* large spans: bytes the caller asked for */
	size_t		packed_stride;	/* packed large spans (alloc.c): the bytes
								 * of a slot, header included, a multiple
								 * of 64; 0 for any other span */
} __attribute__((aligned(64)));

/*
 * ga_arena: Go's heapArena.  A region of address space from one mmap,
 * aligned to GA_ARENA_SIZE.  An ordinary arena holds GA_ARENA_PAGES pages
 * inside the heap's region; its spans table is its slice of the heap's
 * spans map, one entry per page.  A huge arena holds a single
 * large object bigger than an ordinary arena; it spans several arena-index
 * slots, all pointing at it, and its spans table has one entry that every
 * offset maps to (page_shift = 63).
 *
 * spans[] invariants (Go's mheap.spans):
 *	- every page of an in-use span maps to that span (so any interior
 *	  pointer finds its span in O(1));
 *	- the first and the last page of a free run map to the run (boundary
 *	  tags for coalescing); its other pages map to the run or to the dummy
 *	  span ga_empty_span;
 *	- no entry ever points at a dead span struct, so a span found through
 *	  the table covers the address: no range check is needed.
 */
struct ga_arena
{
	uintptr_t	base;			/* aligned to GA_ARENA_SIZE */
	size_t		size;			/* bytes mapped */
	uint32_t	page_shift;		/* 13, or 63 for a huge arena */
	uint32_t	index;			/* ordinal, for the SQL views */
	bool		huge;			/* holds one object larger than an arena */
	bool		nohuge;			/* ordinary arena marked MADV_NOHUGEPAGE
								 * (ga_heap_set_huge_pages turned them off):
								 * what a range mapped again must be marked */
	size_t		npages;			/* pages in the arena */
	size_t		pages_inuse;	/* pages of in-use spans */
	size_t		pages_released; /* free pages returned to the OS */
	ga_span   **spans;			/* per-page span table, see above */
	size_t		meta_size;		/* bytes mapped for this struct and its bits */
	uint64_t   *scavenged;		/* 1 bit per page: released (and zero) */
	ga_arena   *next;			/* heap's arena list, in creation order */
};

/*
 * ga_mcentral: the spans of one size class that an owner is not allocating
 * from right now.  In Go, mcentral is shared by all Ps; in goalloc an
 * owner (a PostgreSQL memory context) must be able to free all it has in
 * time proportional to its spans, so each owner has its own mcentral per
 * class and a span never holds two owners' objects.
 */
typedef struct ga_mcentral
{
	ga_span    *partial;		/* state PARTIAL: worth a refill */
	ga_span    *full;			/* state FULL: fewer than partial_at free */
} ga_mcentral;

/*
 * Per size class counters (Go's BySize), class 0 = large.  Objects
 * released by a reset or destroy count as frees.  An owner counts only its
 * mallocs as it goes; its frees are mallocs minus the objects its spans
 * hold, computed when read (ga_owner_read_class_counts), so that neither
 * ga_free nor a reset counts anything.
 */
typedef struct ga_class_counts
{
	uint64_t	mallocs;
	uint64_t	frees;
} ga_class_counts;

/*
 * ga_freelist: an owner's list of the slots it freed last in a class, kept
 * for the next allocations of that class -- TCMalloc's per-thread free
 * list, bounded.  PostgreSQL code frees and allocates the same sizes in
 * turn (a tuple copied, a list cell replaced, a string rebuilt), and the
 * slot just freed is the one in the CPU's cache; the sweep's next slot
 * usually is not.  A list some slots deep, unlike a single slot, is
 * rarely empty under churn, so whether an allocation takes from it is a
 * branch the CPU predicts.
 *
 * A slot on the list is free to the caller but still allocated in its
 * span: its bit stays set and alloc_count counts it, so the sweep cannot
 * hand it out twice.  The list is linked through the first word of each
 * payload, XORed with the owner's link_key (mimalloc's encoded free
 * list).  ga_free
 * validates the pointer as usual, then pushes it while the list holds
 * fewer than limit slots, and frees the slot for real (bit cleared,
 * alloc_count lowered, free_trigger checked) when it is full.
 *
 * Double frees.  A slot freed for real is caught by the bit test.  A slot
 * on the list is caught as mimalloc's debug mode catches it: its first
 * word decodes to NULL or to an address inside the heap's region, so below
 * the region's end, which ordinary data almost never does (the key has
 * high bits no address has), and only then is the list scanned.  An
 * allocation from the list zeroes that word, so that a chunk freed
 * without being written to does not look linked.  A reset or destroy
 * forgets the lists with everything else, but not the links the listed
 * payloads still hold: the reset changes link_key in its high bits
 * (GA_LINK_EPOCH), so that a forgotten link, handed out again by the
 * sweep and freed unwritten (or with its low bytes written), decodes to
 * no address and is not mistaken for a listed one.  Statistics and
 * walkers count a listed slot as free.
 *
 * Marked lists.  An embedder whose free is dispatched on the word before
 * the payload (PostgreSQL's pfree reads the owning context there) may give
 * the owner a list_mark (ga_owner_set_list_mark): every push then writes
 * the mark into that word, and every allocation the embedder hands out
 * writes its own word there again.  A listed payload then never reaches the
 * owner's free again, since the embedder's dispatch sends it to whatever
 * the mark names (PostgreSQL: a context whose methods report the double
 * free), and its fast path (ga_free_marked) leaves the link test out: one
 * load of the payload, two of the owner and a compare fewer, the store of
 * the mark to a line the embedder has just read.
 */
typedef struct ga_freelist
{
	void	   *head;			/* payload of the slot freed last; NULL if
								 * the list is empty */
	uint64_t	tally;			/* three counts in one word, so that a push
								 * and a pop each write it once:
								 *	bits 0-7	room: slots the list may
								 *				still take (limit - count)
								 *	bits 8-15	limit: see GA_FREELIST_BYTES
								 *	bits 16-63	pops: allocations the list
								 *				has served, the class's
								 *				mallocs counter for them
								 * (ga_freelist_room and the others in
								 * goalloc_core.h read them) */
	ga_span    *span;			/* the class's mcache span (Go's
								 * mcache.alloc[c]), here so that a palloc
								 * reads one entry of its class, list or
								 * window: ga_empty_span if none */
} ga_freelist;

#define GA_TALLY_LIMIT_SHIFT	8
#define GA_TALLY_POPS_SHIFT		16
#define GA_TALLY_FIELD			UINT64_C(0xFF)	/* room, limit */
#define GA_TALLY_POP			((UINT64_C(1) << GA_TALLY_POPS_SHIFT) + 1)

#define GA_LINK_KEY			UINT64_C(0xC3A5C85C97CB3127)

/*
 * What a reset adds to link_key: a link from before the reset then
 * decodes with some of bits 47-63 flipped, far above any user-space
 * address.  The keys repeat after 2^17 resets, where a forgotten link
 * can only cost a scan again.
 */
#define GA_LINK_EPOCH		(UINT64_C(1) << 47)

/*
 * A class's list holds at most GA_FREELIST_MAX slots and GA_FREELIST_BYTES
 * bytes, and at least one slot: 32 slots up to 512-byte slots, 1 for the
 * classes of 16 KiB and up.  What a list holds cannot go back to the heap
 * until it is allocated again or the owner is reset.
 */
#define GA_FREELIST_MAX		32
#define GA_FREELIST_BYTES	16384

/* A ga_freelist in 8-byte words: the stride of ga_span.freelist_words */
#define GA_FREELIST_WORDS	(sizeof(ga_freelist) / sizeof(uint64_t))

/*
 * Bit 0 of ga_owner.reset_full: the next reset has more to do than clear
 * windows.  Set when a class of 64 and up or a large object is allocated,
 * or when the mcache grows past keep_pages; a reset that finds reset_full
 * at 0 (the per-tuple pattern) tests nothing else.
 */
#define GA_RESET_REST		UINT64_C(1)

/*
 * ga_map: how a chunk's address alone finds its span: the heap's reserved
 * region for ordinary arenas and its per-page span table (mheap.c), the
 * span of page p at spans_map[p]; the slice of spans_map that covers an
 * arena is backed when the arena is.  The heap's own, fixed for its life.
 * Every owner keeps a copy for ga_free; an embedder whose owner pointer
 * arrives late (PostgreSQL reads it from the chunk header) keeps its own,
 * see ga_free_mapped.
 */
typedef struct ga_map
{
	uintptr_t	region_base;
	size_t		region_size;
	ga_span   **spans_map;
} ga_map;

/*
 * ga_nblock: a nursery block.  A context that has allocated little holds
 * no span: its chunks are carved, bump-pointer fashion, out of a few
 * blocks of 1, 2, 4 and 8 KiB, and the blocks are ordinary objects of one
 * owner that the heap keeps for them (ga_heap.nursery_pool), so that the
 * blocks of many small contexts share that owner's spans.  Hundreds of
 * relcache contexts holding a few hundred bytes each then cost about what
 * their bytes cost, not a page per size class each (docs/design.md,
 * "Nursery").  A context leaves the nursery ("graduates") for good once
 * its blocks would pass GA_NURSERY_MAX bytes; from then on its small
 * requests take spans of its own, as in Go.
 *
 * A chunk in a block is [hdr][payload] rounded up to 8 bytes, like a slot
 * without a class.  Two bitmaps, one bit per 8-byte granule of the block,
 * say where chunks start and which of them are live, so that a free is
 * validated as a span's is (chunk start, double free) and the size of a
 * chunk is the distance to the next start.  Freed space is reused only
 * from the top: a free of the last chunk moves the top back over every
 * dead chunk below it, and a block whose last chunk goes is emptied.  A
 * reset empties the newest block and gives the others back.
 *
 * The struct heads the block; the bitmaps follow it, nwords = size / 512
 * words each, interleaved word by word (GA_NBLOCK_WORD: bits[2w] the
 * starts of granules 64w .. 64w + 63, bits[2w + 1] their live bits), so
 * that the bump and pfree find both words of a granule at one index and
 * one cache line, without the block's size; then the chunks, from offset
 * first.  Every live bit has its
 * start bit set (the two are set together, and a start bit is cleared only
 * where the live bit is clear), and no bit is set at or above the top or
 * below first (the granules of the header and the bitmaps themselves).
 */
typedef struct ga_nblock ga_nblock;

struct ga_nblock
{
	ga_nblock  *next;			/* the owner's blocks, newest first; the
								 * pool's free-list link once released */
	ga_owner   *owner;			/* NULL once given back to the pool */
	uint32_t	size;			/* bytes of the block: a pool class */
	uint32_t	first;			/* offset of the first chunk */
	uint32_t	top;			/* offset where the next chunk goes:
								 * first <= top <= size; no chunk starts at
								 * or above it */
	uint32_t	nlive;			/* live chunks */
	uint64_t	bits[];			/* starts and live, interleaved; see above */
};

/* Word w of block b's starts (which = 0) or live (which = 1) bitmap. */
#define GA_NBLOCK_STARTS	0
#define GA_NBLOCK_LIVE		1
#define GA_NBLOCK_WORD(b, which, w)	((b)->bits[2 * (size_t) (w) + (which)])

#define GA_NURSERY_FIRST	1024	/* the first block */
#define GA_NURSERY_BLOCK_MAX 8192	/* blocks double up to this */
#define GA_NURSERY_MAX		16384	/* a context's blocks in all: more
									 * graduates it */
#define GA_NURSERY_CHUNK_MAX 2048	/* larger chunks (header included)
									 * take spans even in the nursery */
#define GA_NURSERY_KEEP		2048	/* a recycled owner keeps its newest
									 * block up to this size */

/*
 * ga_mcache: an owner's mcache (Go's mcache.alloc[]: the span each class
 * allocates from, freelist[c].span, beside the class's free list) and its
 * mcentral per class, with what goes with them.  An empty span slot points
 * at a shared read-only dummy span whose alloc_cache is 0, so the fast
 * path needs no NULL test (Go's emptymspan).  The free lists come first,
 * so that a span can hold its list's place as a small scaled index
 * (ga_span.freelist_words).
 *
 * 2.7 kB, most of an owner's size: an owner gets its own only when it
 * takes its first span (Go allocates its mcaches off the heap too, with
 * fixalloc); until then it points at ga_empty_mcache, shared and never
 * written, whose lists are empty and whose slots hold the dummy span, so
 * the fast paths need no test for it.  A context that stays in the
 * nursery never has one.
 */
typedef struct ga_mcache
{
	ga_freelist freelist[GA_NUM_CLASSES];	/* the mcache: per class, its
											 * span and the slots freed
											 * last; first, see
											 * ga_owner_freelist */
	ga_mcentral central[GA_NUM_CLASSES];
	uint64_t	used[2];		/* classes with a span: bit c of used[c>>6] */
	size_t		mcache_pages;	/* pages of the mcache spans */
	struct ga_mcache *pool_next;	/* in the heap's mcache_pool; else NULL */
} ga_mcache;

/* mcaches a heap keeps from destroyed owners (ga_heap.mcache_pool) */
#define GA_MCACHE_POOL_MAX	8

/*
 * ga_owner: what PostgreSQL calls a memory context: its mcache and
 * mcentral (mc), its large objects, its nursery blocks, its counts.
 *
 * The struct is public so that the embedding layer can place it inside its
 * own context header; touch it only through the functions of
 * goalloc_core.h.
 */
struct ga_owner
{
	/* The fast paths' first cache line. */
	ga_mcache  *mc;				/* ga_empty_mcache until the first span */
	ga_nblock  *nursery;		/* nursery blocks, newest first */
	uint32_t	nursery_cap;	/* 0: allocate from spans only (no nursery,
								 * or graduated); else the bytes of blocks
								 * the nursery may hold, GA_NURSERY_MAX */
	uint32_t	nursery_bytes;	/* their bytes (in *mem_mirror too) */
	uint64_t	dirty;			/* classes c < 64 allocated from since the
								 * last reset: bit c */
	uint64_t	dirty_high;		/* the same for classes >= 64: bit c - 64 */
	uint64_t	reset_full;		/* classes c < 64 that reached alloc_slow
								 * since the last reset: their window left
								 * its first bitmap word, wrapped, or moved
								 * to another span, so a reset must take
								 * the whole reset_class.  A class in dirty
								 * and not here holds objects in word 0 of
								 * its mcache span only.  Bit 0 (class 0 is
								 * large) is GA_RESET_REST */
	uint64_t	link_key;		/* free-list links are XORed with it; a
								 * reset adds GA_LINK_EPOCH (see
								 * ga_freelist) */
	uintptr_t	region_end;		/* map.region_base + map.region_size */

	ga_map		map;			/* the heap's, for ga_free */
	uintptr_t	list_mark;		/* 0, or written into the word before a
								 * payload that goes on a free list (see
								 * ga_freelist, "Marked lists") */
	uint32_t	hdr;			/* bytes the embedder keeps before each chunk */
	uint32_t	keep_pages;		/* reset keeps up to this many mcache pages */
	bool		no_freelists;	/* ga_owner_disable_freelists was called */
	bool		nursery_counted;	/* a nursery block was held since the
									 * counts were last retired: see counted */
	ga_heap    *heap;
	ga_span    *large;			/* large spans (state GA_SPAN_LARGE) */
	ga_span    *packed;			/* NULL, or the packed span on large that
								 * packed objects are taken from */
	size_t		large_stride;	/* the stride of the last large request
								 * that could be packed (packed_stride) */
	size_t		nspans;			/* spans owned, all states */
	size_t		npages;			/* pages of those spans */
	size_t	   *mem_mirror;		/* if set, kept == npages*8K +
								 * nursery_bytes (mem_allocated) */
	size_t		large_bytes;	/* bytes of live large objects (whole pages) */
	uint64_t	large_total;	/* cumulative bytes of large objects */
	uint64_t	counted[2];		/* classes whose count may not be 0: bit c
								 * of counted[c >> 6] for every c whose
								 * ga_owner_mallocs is not 0, together with
								 * dirty and dirty_high (which join it at a
								 * reset) and, if nursery_counted, every
								 * class a nursery chunk can take
								 * (ga_nursery_classes); large objects set
								 * bit 0.  Only these classes' free lists
								 * can have pops.  ga_owner_destroy folds
								 * the counts below the highest of these
								 * classes into the heap's */

	uint64_t	mallocs[GA_NUM_CLASSES];	/* objects allocated, per class
											 * (0 = large), but for those
											 * the free list served: the
											 * class's count is mallocs[c] +
											 * mc->freelist[c].pops
											 * (ga_owner_mallocs); frees are
											 * derived, see
											 * ga_owner_read_class_counts */

	/*
	 * Nothing but the counts may follow mallocs except these three, which
	 * owner_setup sets: ga_owner_reuse clears only what precedes mallocs.
	 */
	void	   *user;			/* the embedder's pointer (its context) */
	ga_owner   *next;			/* heap's list of live owners */
	ga_owner   *prev;
};

/*
 * Errors the core detects.  They are reported through the heap's error
 * callback while every structure is consistent; the callback may longjmp.
 */
typedef enum ga_error_kind
{
	GA_ERR_NOT_IN_HEAP = 1,		/* pointer is in no arena of this heap */
	GA_ERR_NOT_ALLOCATED,		/* points into free or cached pages */
	GA_ERR_WRONG_OWNER,			/* a live chunk, but of another owner */
	GA_ERR_NOT_CHUNK_START,		/* inside a chunk, not at its start */
	GA_ERR_DOUBLE_FREE			/* the chunk's bit is clear: already freed */
} ga_error_kind;

typedef void (*ga_error_fn) (void *arg, ga_error_kind kind,
							 const ga_owner *owner, const void *ptr);

/*
 * Statistics.  Field names follow Go's runtime.MemStats; all bytes.
 */
typedef struct ga_heap_stats
{
	size_t		heap_sys;		/* arena bytes mapped from the OS */
	size_t		heap_inuse;		/* bytes of in-use spans (owned + cached) */
	size_t		heap_idle;		/* heap_sys - heap_inuse */
	size_t		heap_released;	/* idle bytes returned to the OS */
	size_t		heap_alloc;		/* slot bytes of live objects */
	uint64_t	heap_objects;	/* live objects */
	uint64_t	mallocs;		/* cumulative objects allocated */
	uint64_t	frees;			/* cumulative objects freed */
	uint64_t	total_alloc;	/* cumulative slot bytes allocated */
	size_t		span_cache_bytes;	/* empty spans kept by the heap */
	size_t		mspan_inuse;	/* bytes of span structs in use */
	size_t		mspan_sys;		/* bytes of span structs mapped */
	size_t		arena_meta_sys; /* spans tables and scavenged bitmaps */
	size_t		narenas;
	size_t		nowners;
	size_t		limit;			/* heap limit (retained bytes), 0 = none */
	size_t		retain;			/* scavenger keeps this much idle memory */
	uint64_t	scavenge_runs;	/* times the scavenger released something */
	uint64_t	scavenged_bytes;	/* cumulative bytes released */
	uint64_t	frees_slow;		/* frees the inline path handed to
								 * ga_free_slow (see ga_heap) */
	uint64_t	limit_refusals; /* requests the heap limit refused */
} ga_heap_stats;

typedef struct ga_owner_stats
{
	size_t		nspans;
	size_t		npages;
	size_t		span_bytes;		/* npages * 8K: its spans */
	size_t		nursery_bytes;	/* its nursery blocks */
	size_t		held_bytes;		/* span_bytes + nursery_bytes: what the
								 * owner holds, its mem_allocated */
	uint64_t	nursery_objects;	/* live chunks in its nursery blocks
									 * (in objects too) */
	size_t		nursery_alloc_bytes;	/* their slot bytes (in alloc_bytes
										 * too) */
	size_t		alloc_bytes;	/* slot bytes of live objects */
	uint64_t	objects;		/* live objects */
	uint64_t	mallocs;
	uint64_t	frees;
} ga_owner_stats;

/* One span, as the walkers report it. */
typedef struct ga_span_info
{
	const ga_owner *owner;		/* NULL for cached spans */
	uint32_t	arena;			/* arena ordinal */
	uintptr_t	base;
	size_t		npages;
	int			sizeclass;		/* 0 = large */
	int			spanclass;		/* Go's sizeclass<<1 | noscan */
	size_t		elemsize;
	uint32_t	nelems;
	uint32_t	allocated;		/* live objects */
	uint32_t	listed;			/* slots on the owner's free list: free to
								 * the caller, bits still set */
	ga_span_state state;
} ga_span_info;

typedef struct ga_arena_info
{
	uint32_t	index;
	uintptr_t	base;
	size_t		npages;
	size_t		pages_inuse;
	size_t		pages_free;		/* idle, still backed */
	size_t		pages_released; /* idle, returned to the OS */
	bool		huge;
} ga_arena_info;

/* What one page is, for the picture of the heap. */
typedef enum ga_page_state
{
	GA_PAGE_INUSE = 0,
	GA_PAGE_FREE,
	GA_PAGE_RELEASED
} ga_page_state;


/*
 * The page allocator's bins (TLSF, two-level segregated fit, over page
 * counts).  Runs of fewer than GA_EXACT_BINS pages each have a bin of their
 * own; above that a bin covers [2^f + s*2^(f-4), 2^f + (s+1)*2^(f-4)) pages,
 * 16 bins per power of two.  A bitmap says which bins are non-empty, so a
 * search is a handful of word scans whatever the size of the heap.
 */
#define GA_EXACT_BINS		64
#define GA_SUBBIN_BITS		4
#define GA_PAGE_BINS		(GA_EXACT_BINS + (64 - 6) * (1 << GA_SUBBIN_BITS))
#define GA_BIN_WORDS		((GA_PAGE_BINS + 63) / 64)

/*
 * ga_heap: Go's mheap, one per process (a PostgreSQL backend is one process
 * with one thread: no locks).  It owns the arenas, the page allocator, a
 * bounded cache of empty spans per size class, the span-struct allocator
 * (Go's fixalloc for mspans) and the scavenger's state.
 *
 * Page accounting invariants (all in pages; the idle pages are
 * pages_sys - pages_inuse):
 *	pages_released <= pages_sys - pages_inuse,
 *	pages_inuse = pages of spans in states MCACHE, PARTIAL, FULL, LARGE,
 *	CACHED (owned or cached), over ordinary and huge arenas alike.
 */
struct ga_heap
{
	ga_map		map;			/* region for ordinary arenas, spans map */
	size_t		region_used;	/* bytes of the region holding arenas, from
								 * its base */
	ga_arena  **arena_index;	/* GA_ARENA_INDEX_LEN slots, lazily backed */
	ga_arena   *arenas;			/* all arenas, oldest first */
	ga_arena   *arenas_tail;
	size_t		narenas;
	size_t		nhuge;			/* of which huge: while 0, an address
								 * outside the region is no arena's
								 * (ga_heap_contains reads no index) */
	uint32_t	next_arena_ordinal;

	/*
	 * Page allocator: free runs of ordinary arenas (state GA_SPAN_FREE), in
	 * two TLSF indexes: [0] runs wholly backed by memory, [1] runs with
	 * released pages (nscav > 0).  Allocation searches [0] first, so pages
	 * that are still backed are reused before released ones are faulted
	 * back in.
	 */
	ga_span    *free_bins[2][GA_PAGE_BINS];
	uint64_t	free_nonempty[2][GA_BIN_WORDS];

	/* Empty formatted spans kept per class, so churn at a span boundary and
	 * contexts created and deleted in a loop skip the page allocator. */
	ga_span    *span_cache[GA_NUM_CLASSES];
	size_t		span_cache_pages;
	size_t		span_cache_limit;	/* in pages */

	/* Span structs: Go's fixalloc.  Blocks are mmapped; those holding no
	 * live span are unmapped by ga_span_structs_release (trim, scavenge). */
	ga_span    *span_freelist;
	void	   *span_blocks;	/* singly linked through the first word */
	size_t		spans_inuse;
	size_t		spans_mapped;
	size_t		span_block_bytes;	/* bytes of the blocks mapped, counted
									 * in ga_heap_backed_bytes */

	/* Page accounting, see the invariants above. */
	size_t		pages_sys;
	size_t		pages_inuse;
	size_t		pages_released;
	size_t		arena_meta_bytes;

	/* Scavenger and limit. */
	size_t		retain_bytes;	/* idle bytes kept backed */
	size_t		limit_bytes;	/* 0 = no limit on retained bytes */
	bool		huge_pages;		/* ordinary arenas are MADV_HUGEPAGE */
	uint64_t	scavenge_runs;
	uint64_t	scavenged_bytes;
	uint64_t	limit_refusals; /* requests refused by limit_bytes, after
								 * the scavenger released every idle page */

	/*
	 * Calls of ga_free_slow: large objects, bad pointers, payloads whose
	 * first word looks like a free-list link, and chunks outside the map
	 * the caller passed.  A small chunk freed through a good map lands
	 * here only as a suspect, so a count near the large frees says the
	 * fast path is doing its work.
	 */
	uint64_t	frees_slow;

	/*
	 * The owner whose objects are nursery blocks (ga_nblock): not in the
	 * owners list, so no figure counts a block as an object; its spans are
	 * in heap_inuse like any other.
	 */
	ga_owner	nursery_pool;

	/*
	 * mcaches of destroyed owners, kept for the next owner to take a span
	 * (ga_owner_get_mcache), at most GA_MCACHE_POOL_MAX: a context that
	 * outgrows the nursery in every query (an OLTP query's ExecutorState)
	 * would otherwise malloc, clear and free 2.7 kB each time.  Each is as
	 * ga_owner_get_mcache makes one with freelists: every class empty.
	 */
	ga_mcache  *mcache_pool;
	uint32_t	mcache_pool_count;

	/* Owners and the counts of those already destroyed. */
	ga_owner   *owners;
	size_t		nowners;
	uint64_t	owners_created; /* owners ever initialized: seeds link_key */
	uint64_t	retired_objects[GA_NUM_CLASSES];	/* objects of destroyed
														 * owners, per class:
														 * each was both
														 * malloc'd and freed */
	uint64_t	retired_large_total;	/* cumulative large bytes */

	ga_error_fn on_error;
	void	   *error_arg;

	/* The shared budget (ga_heap_config.budget), NULL for none. */
	bool		(*budget) (void *arg, size_t backed_bytes, bool growing);
	void	   *budget_arg;

	/* Held outside on the heap's account (ga_heap_config.outside), or NULL */
	size_t		(*outside) (void *arg, bool fresh);
	void	   *outside_arg;
};

typedef bool (*ga_span_visitor) (void *arg, const ga_span_info *info);
typedef bool (*ga_arena_visitor) (void *arg, const ga_arena_info *info);
typedef bool (*ga_object_visitor) (void *arg, void *payload, size_t slot_size);

#endif							/* GA_TYPES_H */
