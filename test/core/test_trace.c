/*
 * The query-trace reader (bench/gab_trace.h): a valid trace opens with the
 * right counts, peak and implicit-free lists; every kind of damage is
 * refused with its message; random valid traces agree with a brute-force
 * model; random corruptions never crash the reader (run under ASan too).
 */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <unistd.h>

#include "gab_trace.h"

/* ---- building traces in memory ---- */

typedef struct qbuf
{
	gab_trace_header h;
	gab_trace_rec *rec;
	size_t		nrec,
				maxrec;
	gab_trace_context *ctx;
	size_t		nctx,
				maxctx;
} qbuf;

static void
qb_init(qbuf *b)
{
	memset(b, 0, sizeof(*b));
	gab_trace_header_init(&b->h, 0, 0, 0, 0);
}

static void
qb_rec(qbuf *b, uint8_t op, uint32_t ctx, uint32_t chunk, uint32_t size)
{
	gab_trace_rec *r;

	if (b->nrec == b->maxrec)
	{
		b->maxrec = b->maxrec ? 2 * b->maxrec : 64;
		b->rec = realloc(b->rec, b->maxrec * sizeof(gab_trace_rec));
	}
	r = &b->rec[b->nrec++];
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->ctx = ctx;
	r->chunk = chunk;
	r->size = size;
	b->h.nrecords = b->nrec;
	if (op == GAB_TRACE_ALLOC)
		b->h.nchunks++;
}

static uint32_t
qb_create(qbuf *b, uint32_t parent, const char *name)
{
	gab_trace_context *c;
	uint32_t	id = (uint32_t) b->nctx;

	if (b->nctx == b->maxctx)
	{
		b->maxctx = b->maxctx ? 2 * b->maxctx : 16;
		b->ctx = realloc(b->ctx, b->maxctx * sizeof(gab_trace_context));
	}
	c = &b->ctx[b->nctx++];
	gab_trace_context_init(c, id, parent, GAB_TRACE_KIND_ASET, name);
	b->h.ncontexts = (uint32_t) b->nctx;
	qb_rec(b, GAB_TRACE_CREATE, id, parent, 0);
	return id;
}

static uint32_t
qb_alloc(qbuf *b, uint32_t ctx, uint32_t size)
{
	uint32_t	id = (uint32_t) b->h.nchunks;

	qb_rec(b, GAB_TRACE_ALLOC, ctx, id, size);
	return id;
}

/* The file image, 8-byte aligned (malloc'ed). */
static void *
qb_image(const qbuf *b, size_t *len)
{
	size_t		n = sizeof(gab_trace_header) + b->nrec * sizeof(gab_trace_rec) +
		b->nctx * sizeof(gab_trace_context);
	char	   *img = malloc(n);

	memcpy(img, &b->h, sizeof(gab_trace_header));
	memcpy(img + sizeof(gab_trace_header), b->rec, b->nrec * sizeof(gab_trace_rec));
	memcpy(img + sizeof(gab_trace_header) + b->nrec * sizeof(gab_trace_rec), b->ctx,
		   b->nctx * sizeof(gab_trace_context));
	*len = n;
	return img;
}

static void
qb_free(qbuf *b)
{
	free(b->rec);
	free(b->ctx);
}

static size_t t_live_allocs;

static void *
t_getmem(size_t n)
{
	t_live_allocs++;
	return malloc(n ? n : 1);
}

static void
t_freemem(void *p, size_t n)
{
	(void) n;
	t_live_allocs--;
	free(p);
}

/* Open an image; returns the error (NULL if fine). */
static const char *
open_image(const qbuf *b, gab_trace *t, void **img, size_t cut)
{
	size_t		len;
	const char *err;

	*img = qb_image(b, &len);
	if (cut > 0 && cut <= len)
		len -= cut;
	err = gab_trace_open(t, *img, len, t_getmem, t_freemem);
	return err;
}

/* ---- a hand-made trace ---- */

static void
build_sample(qbuf *b)
{
	uint32_t	top,
				child;
	uint32_t	a,
				c;

	qb_init(b);
	top = qb_create(b, GAB_TRACE_NONE, "ExecutorState");
	child = qb_create(b, top, "ExprContext");
	a = qb_alloc(b, top, 100);	/* chunk 0 */
	(void) qb_alloc(b, child, 10);	/* chunk 1 */
	(void) qb_alloc(b, child, 20);	/* chunk 2 */
	qb_rec(b, GAB_TRACE_RESET, child, 0, 0);	/* frees 1, 2 */
	c = qb_alloc(b, child, 30); /* chunk 3 */
	qb_rec(b, GAB_TRACE_REALLOC, top, a, 1000);
	qb_rec(b, GAB_TRACE_FREE, child, c, 0);
	(void) qb_alloc(b, child, 40);	/* chunk 4 */
	qb_rec(b, GAB_TRACE_DELETE, child, 0, 0);	/* frees 4 */
	(void) qb_alloc(b, top, 8); /* chunk 5, never freed: top not deleted */
}

static void
test_valid(void)
{
	qbuf		b;
	gab_trace	t;
	void	   *img;
	const char *err;
	static const uint32_t expect[] = {
		2, 1, GAB_TRACE_NONE,		/* reset of ExprContext: newest first */
		4, GAB_TRACE_NONE,			/* delete of ExprContext */
		5, 0, GAB_TRACE_NONE		/* left at the end, in ExecutorState */
	};

	build_sample(&b);
	err = open_image(&b, &t, &img, 0);
	if (!T_CHECK(err == NULL))
		fprintf(stderr, "  error: %s\n", err);
	T_EQ(t.nrecords, 12);
	T_EQ(t.ncontexts, 2);
	T_EQ(t.nchunks, 6);
	T_EQ(t.count[GAB_TRACE_CREATE], 2);
	T_EQ(t.count[GAB_TRACE_ALLOC], 6);
	T_EQ(t.count[GAB_TRACE_FREE], 1);
	T_EQ(t.count[GAB_TRACE_REALLOC], 1);
	T_EQ(t.count[GAB_TRACE_RESET], 1);
	T_EQ(t.count[GAB_TRACE_DELETE], 1);
	T_EQ(t.bytes_allocated, 100 + 10 + 20 + 30 + 1000 + 40 + 8);
	/* live: 100 / 110 / 130 / 100 / 130 / 1030 / 1000 / 1040 / 1000 / 1008 */
	T_EQ(t.req_peak, 1040);
	T_EQ(t.max_live_contexts, 2);
	T_EQ(t.nimplicit, sizeof(expect) / sizeof(expect[0]));
	for (size_t i = 0; i < t.nimplicit && i < sizeof(expect) / sizeof(expect[0]); i++)
		T_EQ(t.implicit[i], expect[i]);
	T_CHECK(strcmp(t.ctx[1].name, "ExprContext") == 0);
	T_EQ(t.ctx[1].parent, 0);
	gab_trace_close(&t, t_freemem);
	T_EQ(t_live_allocs, 0);
	free(img);
	qb_free(&b);
}

/* ---- damage ---- */

typedef void (*damage_fn) (qbuf *b);

static void d_magic(qbuf *b) { b->h.magic[0] = 'X'; }
static void d_version(qbuf *b) { b->h.version = 2; }
static void d_endian(qbuf *b) { b->h.endian = 0x04030201; }
static void d_recsize(qbuf *b) { b->h.record_size = 24; }
static void d_nchunks(qbuf *b) { b->h.nchunks = 5; }
static void d_op(qbuf *b) { b->rec[3].op = 9; }
static void d_double_free(qbuf *b) { qb_rec(b, GAB_TRACE_FREE, 1, 3, 0); }
static void d_after_reset(qbuf *b) { b->rec[8].chunk = 1; b->rec[8].ctx = 1; b->rec[8].op = GAB_TRACE_FREE; }
static void d_wrong_ctx(qbuf *b) { b->rec[8].ctx = 0; }
static void d_dead_ctx(qbuf *b) { qb_rec(b, GAB_TRACE_ALLOC, 1, (uint32_t) b->h.nchunks, 8); }
static void d_chunk_id(qbuf *b) { b->rec[4].chunk = 7; }
static void d_parent(qbuf *b) { b->rec[1].chunk = 1; b->ctx[1].parent = 1; }
static void d_table(qbuf *b) { b->ctx[1].parent = GAB_TRACE_NONE; }
static void d_name(qbuf *b) { memset(b->ctx[0].name, 'x', GAB_TRACE_NAMELEN); }
static void d_ctx_order(qbuf *b) { b->rec[1].ctx = 5; }

static void
test_damage(void)
{
	static const struct
	{
		const char *what;
		damage_fn	fn;
		size_t		cut;
		const char *expect;
	}			cases[] = {
		{"magic", d_magic, 0, "bad magic"},
		{"version", d_version, 0, "unsupported trace version"},
		{"endian", d_endian, 0, "byte order"},
		{"record size", d_recsize, 0, "record sizes"},
		{"truncated", NULL, 1, "truncated"},
		{"truncated a record", NULL, 64 + 1, "truncated"},
		{"header only", NULL, 12 * 16 + 2 * 64, "truncated"},
		{"chunk count", d_nchunks, 0, "chunk count"},
		{"op", d_op, 0, "unknown op"},
		{"double free", d_double_free, 0, "not live"},
		{"free after reset", d_after_reset, 0, "not live"},
		{"wrong context", d_wrong_ctx, 0, "wrong context"},
		{"alloc in a deleted context", d_dead_ctx, 0, "not live"},
		{"chunk ids", d_chunk_id, 0, "out of order"},
		{"parent after child", d_parent, 0, "before its parent"},
		{"context table", d_table, 0, "disagrees"},
		{"name without NUL", d_name, 0, "context table"},
		{"context order", d_ctx_order, 0, "out of order"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		qbuf		b;
		gab_trace	t;
		void	   *img;
		const char *err;

		build_sample(&b);
		if (cases[i].fn)
			cases[i].fn(&b);
		err = open_image(&b, &t, &img, cases[i].cut);
		if (!T_CHECK(err != NULL && strstr(err, cases[i].expect) != NULL))
			fprintf(stderr, "  case %s: got \"%s\"\n", cases[i].what,
					err ? err : "(no error)");
		if (err == NULL)
			gab_trace_close(&t, t_freemem);
		T_EQ(t_live_allocs, 0);
		free(img);
		qb_free(&b);
	}

	/* trailing bytes */
	{
		qbuf		b;
		gab_trace	t;
		size_t		len;
		char	   *img;
		char	   *big;
		const char *err;

		build_sample(&b);
		img = qb_image(&b, &len);
		big = calloc(1, len + 8);
		memcpy(big, img, len);
		err = gab_trace_open(&t, big, len + 8, t_getmem, t_freemem);
		T_CHECK(err != NULL && strstr(err, "trailing") != NULL);
		T_EQ(t_live_allocs, 0);
		free(big);
		free(img);
		qb_free(&b);
	}
}

/* ---- random traces against a model ---- */

typedef struct model
{
	uint32_t   *cctx;			/* chunk -> context, or NONE when dead */
	uint32_t   *csize;
	size_t		nchunks;
	int		   *alive;			/* context state: 0 unborn 1 live 2 dead */
	size_t		nctx;
} model;

static void
random_trace(t_rng *r, qbuf *b, size_t nops, model *m)
{
	size_t		maxchunks = nops + 1;

	qb_init(b);
	memset(m, 0, sizeof(*m));
	m->cctx = malloc(sizeof(uint32_t) * maxchunks);
	m->csize = malloc(sizeof(uint32_t) * maxchunks);
	m->alive = calloc(nops + 2, sizeof(int));
	(void) qb_create(b, GAB_TRACE_NONE, "root");
	m->alive[0] = 1;
	m->nctx = 1;
	for (size_t k = 0; k < nops; k++)
	{
		uint64_t	what = t_below(r, 100);
		uint32_t	c = (uint32_t) t_below(r, m->nctx);

		if (what < 5)
		{
			uint32_t	parent = m->alive[c] == 1 ? c : GAB_TRACE_NONE;

			(void) qb_create(b, parent, "ctx");
			m->alive[m->nctx++] = 1;
		}
		else if (what < 55)
		{
			if (m->alive[c] != 1)
				continue;
			m->cctx[m->nchunks] = c;
			m->csize[m->nchunks] = (uint32_t) t_below(r, 5000);
			(void) qb_alloc(b, c, m->csize[m->nchunks]);
			m->nchunks++;
		}
		else if (what < 90 && m->nchunks > 0)
		{
			uint32_t	id = (uint32_t) t_below(r, m->nchunks);

			if (m->cctx[id] == GAB_TRACE_NONE)
				continue;
			if (what < 80)
			{
				qb_rec(b, GAB_TRACE_FREE, m->cctx[id], id, 0);
				m->cctx[id] = GAB_TRACE_NONE;
			}
			else
			{
				m->csize[id] = (uint32_t) t_below(r, 70000);
				qb_rec(b, GAB_TRACE_REALLOC, m->cctx[id], id, m->csize[id]);
			}
		}
		else if (what < 97)
		{
			if (m->alive[c] != 1)
				continue;
			qb_rec(b, GAB_TRACE_RESET, c, 0, 0);
			for (size_t i = 0; i < m->nchunks; i++)
				if (m->cctx[i] == c)
					m->cctx[i] = GAB_TRACE_NONE;
		}
		else
		{
			if (m->alive[c] != 1)
				continue;
			qb_rec(b, GAB_TRACE_DELETE, c, 0, 0);
			m->alive[c] = 2;
			for (size_t i = 0; i < m->nchunks; i++)
				if (m->cctx[i] == c)
					m->cctx[i] = GAB_TRACE_NONE;
		}
	}
}

static void
model_free(model *m)
{
	free(m->cctx);
	free(m->csize);
	free(m->alive);
}

/*
 * Replay the implicit lists against chunk liveness recomputed from the
 * records: each list holds exactly the live chunks of its context, and a
 * malloc-style replay frees every chunk exactly once.
 */
static void
check_replay(const gab_trace *t)
{
	uint32_t   *cctx = malloc(sizeof(uint32_t) * (t->nchunks + 1));
	int		   *freed = calloc(t->nchunks + 1, sizeof(int));
	const uint32_t *imp = t->implicit;
	uint64_t	live = 0,
				peak = 0,
				nfreed = 0;
	uint32_t   *csize = malloc(sizeof(uint32_t) * (t->nchunks + 1));
	bool		ok = true;

	for (uint64_t j = 0; j <= t->nchunks; j++)
		cctx[j] = GAB_TRACE_NONE;
	for (uint64_t i = 0; i < t->nrecords; i++)
	{
		const gab_trace_rec *r = &t->rec[i];
		uint64_t	nlist = 0,
					expect = 0;
		uint32_t	id;

		switch (r->op)
		{
			case GAB_TRACE_ALLOC:
				cctx[r->chunk] = r->ctx;
				csize[r->chunk] = r->size;
				live += r->size;
				break;
			case GAB_TRACE_FREE:
				ok &= !freed[r->chunk];
				freed[r->chunk] = 1;
				nfreed++;
				cctx[r->chunk] = GAB_TRACE_NONE;
				live -= csize[r->chunk];
				break;
			case GAB_TRACE_REALLOC:
				live = live - csize[r->chunk] + r->size;
				csize[r->chunk] = r->size;
				break;
			case GAB_TRACE_RESET:
			case GAB_TRACE_DELETE:
				for (uint64_t j = 0; j < t->nchunks; j++)
					if (cctx[j] == r->ctx && !freed[j])
						expect++;
				while ((id = *imp++) != GAB_TRACE_NONE)
				{
					ok &= (cctx[id] == r->ctx && !freed[id]);
					freed[id] = 1;
					nfreed++;
					live -= csize[id];
					cctx[id] = GAB_TRACE_NONE;
					nlist++;
				}
				ok &= (nlist == expect);
				break;
		}
		if (live > peak)
			peak = live;
	}
	{
		uint32_t	id;

		while ((id = *imp++) != GAB_TRACE_NONE)
		{
			ok &= !freed[id];
			freed[id] = 1;
			nfreed++;
		}
	}
	T_CHECK(ok);
	T_EQ(nfreed, t->nchunks);
	T_EQ(peak, t->req_peak);
	T_EQ((size_t) (imp - t->implicit), t->nimplicit);
	free(cctx);
	free(freed);
	free(csize);
}

static void
test_random(void)
{
	t_rng		r = {UINT64_C(12345)};
	int			rounds = t_env_long("T_SANITIZE", 0) ? 30 : 200;

	for (int k = 0; k < rounds; k++)
	{
		qbuf		b;
		model		m;
		gab_trace	t;
		void	   *img;
		size_t		len;
		const char *err;

		random_trace(&r, &b, 200 + (size_t) t_below(&r, 3000), &m);
		img = qb_image(&b, &len);
		err = gab_trace_open(&t, img, len, t_getmem, t_freemem);
		if (!T_CHECK(err == NULL))
			fprintf(stderr, "  round %d: %s\n", k, err);
		else
		{
			T_EQ(t.nchunks, m.nchunks);
			check_replay(&t);
			gab_trace_close(&t, t_freemem);
		}

		/* corruptions: refused or accepted, never a crash or a leak */
		for (int c = 0; c < 50; c++)
		{
			char	   *bad = malloc(len);
			size_t		pos = (size_t) t_below(&r, len);

			memcpy(bad, img, len);
			bad[pos] ^= (char) (1 + t_below(&r, 255));
			err = gab_trace_open(&t, bad, len, t_getmem, t_freemem);
			if (err == NULL)
			{
				check_replay(&t);
				gab_trace_close(&t, t_freemem);
			}
			free(bad);
		}
		T_EQ(t_live_allocs, 0);
		free(img);
		qb_free(&b);
		model_free(&m);
	}
}

/* ---- the writer ---- */

/*
 * gab_trace_write of a hand-made trace, read back through a file: the same
 * bytes as the image, and it opens.  A context name is cut to 47 bytes.
 */
static void
test_writer(void)
{
	qbuf		b;
	gab_trace_header h;
	char		path[] = "/tmp/goalloc_test_trace_XXXXXX";
	char		longname[100];
	void	   *img;
	char	   *back;
	size_t		len;
	long		flen;
	FILE	   *f;
	int			fd;
	uint32_t	c0,
				c1,
				k;
	gab_trace	t;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	qb_init(&b);
	c0 = qb_create(&b, GAB_TRACE_NONE, "ExecutorState");
	c1 = qb_create(&b, c0, longname);
	k = qb_alloc(&b, c1, 100);
	qb_rec(&b, GAB_TRACE_REALLOC, c1, k, 300);
	(void) qb_alloc(&b, c0, 20);
	qb_rec(&b, GAB_TRACE_DELETE, c1, 0, 0);
	T_EQ(strlen(b.ctx[1].name), GAB_TRACE_NAMELEN - 1);

	gab_trace_header_init(&h, (uint32_t) b.nctx, b.nrec, b.h.nchunks, 3);
	T_EQ(memcmp(&h, &b.h, offsetof(gab_trace_header, skipped)), 0);
	T_EQ(h.skipped, 3);

	fd = mkstemp(path);
	T_CHECK(fd >= 0);
	if (fd < 0)
		return;
	T_EQ(gab_trace_write(fd, &b.h, b.rec, b.ctx), 0);
	close(fd);
	img = qb_image(&b, &len);
	f = fopen(path, "rb");
	T_CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	flen = ftell(f);
	fseek(f, 0, SEEK_SET);
	T_EQ(flen, len);
	back = malloc(len);
	T_EQ(fread(back, 1, len, f), len);
	fclose(f);
	unlink(path);
	T_EQ(memcmp(back, img, len), 0);
	T_CHECK(gab_trace_open(&t, back, len, t_getmem, t_freemem) == NULL);
	T_EQ(t.count[GAB_TRACE_ALLOC], 2);
	T_EQ(t.req_peak, 320);
	gab_trace_close(&t, t_freemem);
	T_EQ(t_live_allocs, 0);

	/* a write that fails says so */
	T_EQ(gab_trace_write(-1, &b.h, b.rec, b.ctx), -1);
	free(back);
	free(img);
	qb_free(&b);
}

int
main(void)
{
	T_RUN(test_valid);
	T_RUN(test_writer);
	T_RUN(test_damage);
	T_RUN(test_random);
	return t_finish();
}
