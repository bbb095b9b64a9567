/*-------------------------------------------------------------------------
 *
 * goalloc_regress.h
 *	  What the files of the goalloc_regress test module share: the bounds,
 *	  the checked contents pattern, a remembered chunk.
 *
 * IDENTIFICATION
 *	  test/modules/goalloc_regress/goalloc_regress.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GOALLOC_REGRESS_H
#define GOALLOC_REGRESS_H

#include "fmgr.h"

/*
 * Bounds (see goalloc_regress.c).  A chunk counts as its size plus
 * GOALLOC_REGRESS_CHUNK_CHARGE bytes: about what its 8-byte header, its
 * slot's rounding and its 16-byte registry entry (GaChunkRef) take.
 */
#define GOALLOC_REGRESS_CHUNK_CHARGE	32
#define GOALLOC_REGRESS_MAX_LIVE	((int64) 1 << 30)	/* session, handles */
#define GOALLOC_REGRESS_MAX_EXERCISE ((int64) 256 << 20) /* one exercise */
#define GOALLOC_REGRESS_MAX_COUNT	((int64) 100000000) /* one exercise */

/*
 * One remembered chunk: its contents are the pattern of tag.  16 bytes: no
 * size here exceeds 1 GB.
 */
typedef struct GaChunkRef
{
	char	   *ptr;
	uint32		size;
	uint32		tag;
} GaChunkRef;

/* The contents pattern (goalloc_regress.c) */
extern void fill_pattern(char *p, Size from, Size to, uint32 tag);
extern bool check_pattern(const char *p, Size len, uint32 tag);
extern bool all_zero(const char *p, Size len);

/* MCXT_ALLOC_HUGE when size needs it, MCXT_ALLOC_ZERO if zero */
extern int	alloc_flags_for(Size size, bool zero);

/* What count chunks of size bytes count for, saturating at PG_INT64_MAX */
extern int64 chunk_charge(int64 count, Size size);

#endif							/* GOALLOC_REGRESS_H */
