/*-------------------------------------------------------------------------
 *
 * goalloc_regress.c
 *	  goalloc_regress: SQL functions that drive goalloc contexts, for
 *	  goalloc's tests.  Not part of the product: built and installed by the
 *	  test command only, as PostgreSQL keeps such code in src/test/modules.
 *
 * The module is a separate extension (requires = 'goalloc') whose library
 * uses goalloc's installed header, extension/goalloc/goalloc.h, like any
 * other extension would: GoAllocContextCreate*, GoAllocContextGetStats and
 * GoAllocHeapGetStats.  The allocator core's ga_* symbols are hidden in
 * goalloc.so and are not used here.
 *
 *	handles.c		session contexts named by integer handles, and the
 *					registry of the chunks kept live in them
 *	exercise.c		allocation patterns in a transient context
 *	misuse.c		deliberate misuse (double free, overrun ...)
 *	selftest.c		the memory-context API, one checked row per operation
 *
 * Loading.  goalloc_regress.so is linked against goalloc.so (DT_NEEDED, with
 * an rpath to $libdir), so the dynamic linker maps goalloc.so first when a
 * session that never loaded goalloc calls one of our functions.  That alone
 * would leave goalloc's _PG_init unrun (no GUCs, no executor hooks), so our
 * _PG_init loads "$libdir/goalloc" through the function manager as well:
 * PostgreSQL knows libraries by inode, finds goalloc.so not yet on its list,
 * dlopen()s it (the same mapping) and runs its _PG_init once.  If goalloc
 * is already loaded (shared_preload_libraries, LOAD, a goalloc function),
 * that call does nothing.
 *
 * Privileges and bounds (issue 22).  No function is executable by PUBLIC:
 * the install script revokes them all, and the extension needs a superuser
 * to be created.  Whoever is granted them is still bounded:
 *	- the chunks kept live through handles in one session count at most
 *	  GOALLOC_REGRESS_MAX_LIVE (1 GB), each chunk counting as its size plus
 *	  GOALLOC_REGRESS_CHUNK_CHARGE (32) bytes; at most
 *	  GOALLOC_REGRESS_MAX_HANDLES (10,000) contexts live at once, at most
 *	  GOALLOC_REGRESS_MAX_DEPTH (100) deep;
 *	- one goalloc_exercise keeps at most GOALLOC_REGRESS_MAX_EXERCISE
 *	  (256 MB) live at once, counted the same way with size_max, and makes
 *	  at most GOALLOC_REGRESS_MAX_COUNT (100 million) allocations;
 *	- goalloc_selftest's sizes are fixed (its largest chunk is 1.5 GB of
 *	  address space of which it touches three bytes).
 * Every loop whose length a caller chooses checks for interrupts once per
 * chunk, at a point where the registry describes exactly the live chunks.
 *
 * IDENTIFICATION
 *	  test/modules/goalloc_regress/goalloc_regress.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "utils/memutils.h"

#include "goalloc_regress.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Make sure goalloc's own _PG_init has run in this backend.
 */
void
_PG_init(void)
{
	load_file("$libdir/goalloc", false);
}


/* ----------
 * The contents pattern: 8-byte words derived from a tag and their index
 * ----------
 */

static inline uint64
pattern_word(uint32 tag, Size word)
{
	uint64		x = ((uint64) tag << 32) ^ ((uint64) word * UINT64CONST(0x9E3779B97F4A7C15));

	x ^= x >> 29;
	return x;
}

/*
 * fill_pattern
 *		Write the pattern of tag into bytes [from, to) of a chunk.
 */
void
fill_pattern(char *p, Size from, Size to, uint32 tag)
{
	Size		i = from;

	while (i < to && (i & 7) != 0)
	{
		uint64		w = pattern_word(tag, i >> 3);

		p[i] = (char) (w >> ((i & 7) * 8));
		i++;
	}
	for (; i + 8 <= to; i += 8)
	{
		uint64		w = pattern_word(tag, i >> 3);

		memcpy(p + i, &w, 8);
	}
	for (; i < to; i++)
	{
		uint64		w = pattern_word(tag, i >> 3);

		p[i] = (char) (w >> ((i & 7) * 8));
	}
}

/*
 * check_pattern
 *		Are bytes [0, len) of a chunk the pattern of tag?
 */
bool
check_pattern(const char *p, Size len, uint32 tag)
{
	Size		i;

	for (i = 0; i + 8 <= len; i += 8)
	{
		uint64		w = pattern_word(tag, i >> 3);

		if (memcmp(p + i, &w, 8) != 0)
			return false;
	}
	for (; i < len; i++)
	{
		uint64		w = pattern_word(tag, i >> 3);

		if (p[i] != (char) (w >> ((i & 7) * 8)))
			return false;
	}
	return true;
}

bool
all_zero(const char *p, Size len)
{
	Size		i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int
alloc_flags_for(Size size, bool zero)
{
	int			flags = 0;

	if (size > MaxAllocSize)
		flags |= MCXT_ALLOC_HUGE;
	if (zero)
		flags |= MCXT_ALLOC_ZERO;
	return flags;
}

/*
 * chunk_charge
 *		What count chunks of size bytes count for against the bounds.
 */
int64
chunk_charge(int64 count, Size size)
{
	int64		result;

	Assert(count >= 0);
	if (size > (Size) (PG_INT64_MAX - GOALLOC_REGRESS_CHUNK_CHARGE) ||
		pg_mul_s64_overflow(count, (int64) size + GOALLOC_REGRESS_CHUNK_CHARGE,
							&result))
		return PG_INT64_MAX;
	return result;
}
