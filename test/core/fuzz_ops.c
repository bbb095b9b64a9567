/*
 * libFuzzer harness: the input is a sequence of operations on a few owners,
 * each checked against the reference model (t_model.c).  Any failed
 * assertion aborts (t_abort_on_fail), which libFuzzer reports as a crash.
 *
 * Encoding: byte 0 seeds the owners' headers; then per op one opcode byte
 * and up to 4 argument bytes (missing bytes read as 0).
 */
#include "t_model.h"

#include <stdlib.h>
#include <string.h>

#define NOWN 4

typedef struct rd
{
	const uint8_t *d;
	size_t		n,
				i;
} rd;

static uint32_t
get(rd *r, int nbytes)
{
	uint32_t	v = 0;

	for (int k = 0; k < nbytes; k++)
		v = (v << 8) | (r->i < r->n ? r->d[r->i++] : 0);
	return v;
}

/* Sizes: mostly small, some to 32 KiB, some large to 1 MiB, rare huge. */
static size_t
fsize(rd *r)
{
	uint32_t	sel = get(r, 1),
				v = get(r, 2);

	switch (sel >> 5)
	{
		case 0:
		case 1:
		case 2:
		case 3:
			return v % 513;
		case 4:
		case 5:
			return v % 32800;
		case 6:
			/* half: eight strides from a hash join chunk's, which repeat */
			if (v & 0x8000)
				return 32800 + (size_t) (v & 7) * 64;
			return 32700 + (size_t) (v & 0x7fff) * 16;	/* up to ~512 KiB */
		default:
			if (sel == 0xff && (v & 0xff) == 0x7f)
				return ((size_t) 64 << 20) + (v >> 8) * 8192;	/* huge */
			return v % 4096;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m_state    *st = malloc(sizeof(m_state));
	rd			r = {data, size, 0};
	uint32_t	hdrs = get(&r, 1);
	int			nops = 0;

	t_abort_on_fail = 1;
	ga_sizeclasses_init();
	m_init(st, NOWN, false);
	st->edges_only = true;
	st->nursery_mask = hdrs;	/* owner i in the nursery: bit i */
	st->marked_mask = hdrs >> 4;	/* marked lists: bit 4 + i */
	for (int i = 0; i < NOWN; i++)
		m_owner_create(st, i, 8 * ((hdrs >> (2 * i)) & 3), (i & 1) ? 0 : GA_DEFAULT_KEEP);

	while (r.i < r.n && nops++ < 2000)
	{
		uint32_t	op = get(&r, 1);
		int			o = (int) (op & 3);

		switch ((op >> 2) % 16)
		{
			case 0:
			case 1:
			case 2:
			case 3:
				m_alloc(st, o, fsize(&r), false);
				break;
			case 4:
				m_alloc(st, o, fsize(&r), true);
				break;
			case 5:
			case 6:
			case 7:
				m_free(st, o, get(&r, 1));
				break;
			case 8:
			case 9:
				{
					uint32_t	k = get(&r, 1);

					m_realloc(st, o, k, fsize(&r));
					break;
				}
			case 10:
				m_reset(st, o);
				break;
			case 11:
				if (st->ow[o].live)
					m_destroy(st, o);
				else
					m_owner_create(st, o, 8 * (get(&r, 1) % 3),
								   get(&r, 1) & 1 ? GA_DEFAULT_KEEP : 0);
				break;
			case 12:
				m_scavenge(st, (size_t) get(&r, 1) << 16);
				break;
			case 13:
				{
					uint32_t	v = get(&r, 1);

					m_set_limit(st, v == 0 ? 0 : t_retained(st->heap) + (size_t) (v - 1) * 65536);
					break;
				}
			case 14:
				{
					uint32_t	v = get(&r, 1);

					m_bad(st, o, (m_bad_kind) (v % M_BAD_NKINDS), get(&r, 1), (int) (v >> 4));
					break;
				}
			default:
				m_check_full(st);
				break;
		}
		if (!st->ow[o].live && (op & 0x80))
			m_owner_create(st, o, 8, GA_DEFAULT_KEEP);
	}
	m_check_full(st);
	m_fini(st);
	free(st);
	return 0;
}
