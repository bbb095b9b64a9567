/*-------------------------------------------------------------------------
 *
 * build_free_bound.c
 *	  What "build then free" can give back, for an allocator that does not
 *	  move objects and keeps each size class in spans of its own.
 *
 * The workload allocates a million chunks of 8-512 bytes (uniform), then
 * frees 90% of them in random order: each chunk survives with probability
 * 0.1, independently.  A span of n slots can go back only if none of its
 * slots survived, which happens with probability 0.9^n.  Over the
 * workload's sizes, weighted by the bytes each takes, this prints the
 * expected fraction of span bytes still held after the frees when spans
 * are filled densely in allocation order, as goalloc fills them.
 *
 *	  cc -I../src/core build_free_bound.c ../src/core/sizeclass.c -lm
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>

#include "ga_testing.h"			/* ga_size_class */

int
main(void)
{
	double		held = 0;
	double		total = 0;
	unsigned	n;

	ga_sizeclasses_init();
	for (n = 8; n <= 512; n++)
	{
		unsigned	c = ga_size_class(n + 8);	/* PostgreSQL's 8-byte header */
		double		slot = ga_class_size[c];

		total += slot;
		held += slot * (1 - pow(0.9, ga_class_nelems[c]));
	}
	printf("expected fraction of span bytes held after the frees: %.3f\n",
		   held / total);
	return 0;
}
