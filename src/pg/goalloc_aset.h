/*-------------------------------------------------------------------------
 *
 * goalloc_aset.h
 *	  AllocSet's private layout in PostgreSQL 15, and the part of its palloc
 *	  that a deferred context takes inline (goalloc_route.c).
 *
 * Why this exists.  A routed context that still lives in its keeper block
 * is deferred (docs/routing.md): AllocSet serves it, and goalloc adopts it
 * once its blocks pass goalloc.route_min_size, or at a request larger than
 * that.  The deferred table's alloc entry used to be a wrapper that compared
 * and then tail-called AllocSetAlloc through a pointer: six instructions,
 * but two indirect branches per palloc instead of one.  TPC-H Q1 makes 23
 * pallocs per row in per-tuple contexts that never leave their keeper
 * block; with the wrapper it ran 1.04-1.06 x routing off (executor mode,
 * 7 interleaved runs), with the same deferred tables holding AllocSet's own
 * alloc 1.00 x.  So a deferred AllocSet's palloc is now served here, by the
 * two cases of AllocSetAlloc that touch nothing but the context's own
 * fields -- a chunk from the size's freelist, or the next chunk cut from
 * the newest block -- and every other case (a new block, a chunk larger
 * than allocChunkLimit, a context that passed the size) goes to the wrapper
 * as before.  A context's blocks grow only in those other cases, so the
 * adoption rule is the wrapper's, unchanged: the same call adopts.
 *
 * The two cases must leave the context exactly as AllocSetAlloc would, since
 * aset.c frees, resets and reallocates these chunks.  aset.c keeps its
 * structs private, so they are written out again below, as of PostgreSQL
 * 15 (they have not changed in the branch: minor releases keep the ABI).
 * goalloc_aset_layout_ok() checks them on a probe context at load, against
 * AllocSetAlloc and AllocSetFree themselves; if any check fails, or the
 * server was built with MEMORY_CONTEXT_CHECKING or RANDOMIZE_ALLOCATED_MEMORY
 * (whose chunks carry more than this layout), the wrapper stays.
 *
 * Portions mirror src/backend/utils/mmgr/aset.c,
 * Portions Copyright (c) 1996-2022, PostgreSQL Global Development Group
 *
 *-------------------------------------------------------------------------
 */
#ifndef GOALLOC_ASET_H
#define GOALLOC_ASET_H

#include "postgres.h"

#include "nodes/memnodes.h"
#include "port/pg_bitutils.h"

/*
 * The inline path exists only where AllocSet's chunk is a size and an
 * owner pointer: no requested_size, no sentinel, no randomized bytes.
 * Valgrind's client requests (USE_VALGRIND) mark chunk headers on every
 * alloc; the inline path would not, so it is left out there too.
 */
#if !defined(MEMORY_CONTEXT_CHECKING) && \
	!defined(RANDOMIZE_ALLOCATED_MEMORY) && !defined(USE_VALGRIND)
#define GOALLOC_ASET_INLINE 1
#endif

#define GA_ASET_MINBITS			3	/* aset.c's ALLOC_MINBITS: 8 bytes */
#define GA_ASET_NUM_FREELISTS	11	/* ALLOCSET_NUM_FREELISTS */

typedef struct GaAsetBlock GaAsetBlock;

/* aset.c's AllocChunkData without MEMORY_CONTEXT_CHECKING: 16 bytes */
typedef struct GaAsetChunk
{
	Size		size;			/* usable bytes: 8 << freelist index */
	void	   *aset;			/* the owner when in use, else the next free */
} GaAsetChunk;

/* aset.c's AllocBlockData */
struct GaAsetBlock
{
	void	   *aset;			/* the AllocSet owning the block */
	GaAsetBlock *prev;
	GaAsetBlock *next;
	char	   *freeptr;		/* start of the block's free space */
	char	   *endptr;			/* end of the block */
};

/* aset.c's AllocSetContext */
typedef struct GaAset
{
	MemoryContextData header;
	GaAsetBlock *blocks;		/* newest block first: the one cut from */
	GaAsetChunk *freelist[GA_ASET_NUM_FREELISTS];	/* by log2(size) - 3 */
	Size		initBlockSize;
	Size		maxBlockSize;
	Size		nextBlockSize;
	Size		allocChunkLimit;	/* larger requests get a block each */
	GaAsetBlock *keeper;
	int			freeListIndex;
} GaAset;

/*
 * goalloc_aset_take
 *		AllocSetAlloc's two cases that need no new block, for a request of
 *		at most set->allocChunkLimit bytes: pop the freelist of its size
 *		(a power of two, 8 bytes or more), or cut the chunk from the newest
 *		block's free space.  NULL when neither can, for AllocSetAlloc itself
 *		(which then files the block's remainder under the freelists and
 *		makes a new block, as it always did).
 */
static inline void *
goalloc_aset_take(GaAset *set, Size size)
{
	int			fidx;
	Size		chunk_size;
	GaAsetChunk *chunk;
	GaAsetBlock *block;

	/* aset.c's AllocSetFreeIndex: ceil(log2(size)) - 3, 0 up to 8 bytes */
	fidx = size > (1 << GA_ASET_MINBITS) ?
		pg_leftmost_one_pos32((uint32) size - 1) - GA_ASET_MINBITS + 1 : 0;
	chunk = set->freelist[fidx];
	if (chunk != NULL)
	{
		set->freelist[fidx] = (GaAsetChunk *) chunk->aset;
		chunk->aset = set;
		return chunk + 1;
	}

	chunk_size = (Size) (1 << GA_ASET_MINBITS) << fidx;
	block = set->blocks;
	if (unlikely(block == NULL) ||
		(Size) (block->endptr - block->freeptr) <
		chunk_size + sizeof(GaAsetChunk))
		return NULL;
	chunk = (GaAsetChunk *) block->freeptr;
	block->freeptr += chunk_size + sizeof(GaAsetChunk);
	chunk->size = chunk_size;
	chunk->aset = set;
	return chunk + 1;
}

#endif							/* GOALLOC_ASET_H */
