/*-------------------------------------------------------------------------
 *
 * tracefile.c
 *	  Trace files in PostgreSQL: the path checks, loading a file through
 *	  the one reader (bench/common/gab_trace.c), and what a file holds.
 *
 *	goalloc_trace_info(path), goalloc_trace_contexts(path),
 *	goalloc_trace_sizes(path)
 *		totals, one row per recorded context, and the requested sizes.
 *
 * A file is read whole into malloc'ed memory (the reader wants it in one
 * piece and the replay reads it record by record), at most
 * GAB_TRACE_MAX_FILE_SIZE bytes, and checked by gab_trace_open before
 * anything looks at a record: every failure is an ERROR with nothing left
 * allocated or open.  Reading a trace takes superuser or
 * pg_read_server_files, writing one superuser or pg_write_server_files
 * (the extension's functions are revoked from PUBLIC as well: this is the
 * second lock), and an absolute path.
 *
 * gab_trace_open knows nothing of PostgreSQL and does not check for
 * interrupts: its two passes over at most 2^26 records take about a second
 * at worst.  The loops here over the records check every BENCH_BATCH.
 *
 * IDENTIFICATION
 *	  bench/extension/tracefile.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid_d.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bench.h"

PG_FUNCTION_INFO_V1(goalloc_trace_info);
PG_FUNCTION_INFO_V1(goalloc_trace_contexts);
PG_FUNCTION_INFO_V1(goalloc_trace_sizes);

/* Absolute path, and the caller may read or write server files. */
char *
bench_trace_path_arg(FunctionCallInfo fcinfo, int argno, bool write)
{
	char	   *path;

	if (!superuser() &&
		!has_privs_of_role(GetUserId(), write ? ROLE_PG_WRITE_SERVER_FILES :
						   ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg(write ? "permission denied to write a query trace" :
						"permission denied to read a query trace"),
				 errhint(write ?
						 "Only superusers and members of pg_write_server_files may record query traces." :
						 "Only superusers and members of pg_read_server_files may read query traces.")));
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("trace file path must not be NULL")));
	path = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trace file path must be absolute: \"%s\"", path)));
	return path;
}

static void *
TraceMalloc(size_t bytes)
{
	return malloc(bytes > 0 ? bytes : 1);
}

static void
TraceFreeMem(void *p, size_t bytes)
{
	free(p);
}

/*
 * bench_trace_load
 *		Read and check a whole trace file (path from argument argno, with
 *		the permission and path checks).  Returns the malloc'ed buffer that
 *		t points into; release both with goalloc_trace_unload.  Every
 *		failure is an ERROR with nothing left allocated or open.
 */
void *
bench_trace_load(FunctionCallInfo fcinfo, int argno, gab_trace *t,
				   char **path_out)
{
	char	   *path = bench_trace_path_arg(fcinfo, argno, false);
	struct stat st;
	int			fd;
	char	   *buf;
	Size		len,
				done = 0;
	const char *err;

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open trace file \"%s\": %m", path)));
	if (fstat(fd, &st) != 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat trace file \"%s\": %m", path)));
	}
	if (!S_ISREG(st.st_mode))
	{
		CloseTransientFile(fd);
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("trace file \"%s\" is not a regular file", path)));
	}
	if ((uint64) st.st_size > GAB_TRACE_MAX_FILE_SIZE)
	{
		CloseTransientFile(fd);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trace file \"%s\" is too large", path)));
	}
	len = (Size) st.st_size;
	buf = (char *) malloc(len > 0 ? len : 1);
	if (buf == NULL)
	{
		CloseTransientFile(fd);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not allocate %zu bytes for trace file \"%s\".",
						   len, path)));
	}
	while (done < len)
	{
		ssize_t		n = read(fd, buf + done, Min(len - done, (Size) 1 << 30));

		if (n <= 0)
		{
			int			save_errno = errno;

			free(buf);
			CloseTransientFile(fd);
			if (n == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("trace file \"%s\" changed while being read", path)));
			errno = save_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read trace file \"%s\": %m", path)));
		}
		done += n;
	}
	CloseTransientFile(fd);

	err = gab_trace_open(t, buf, len, TraceMalloc, TraceFreeMem);
	if (err != NULL)
	{
		free(buf);
		if (strcmp(err, "out of memory") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Could not prepare trace file \"%s\" for replay.", path)));
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid query trace file \"%s\": %s", path, err)));
	}
	if (path_out != NULL)
		*path_out = path;
	return buf;
}

void
bench_trace_unload(gab_trace *t, void *buf)
{
	gab_trace_close(t, TraceFreeMem);
	free(buf);
}

/*
 * goalloc_trace_info(path text)
 *		One row: records, contexts, chunks, records by op, skipped calls,
 *		bytes requested in all and at the peak.
 */
Datum
goalloc_trace_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	gab_trace	t;
	void	   *buf;
	Datum		values[12];
	bool		nulls[12];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	buf = bench_trace_load(fcinfo, 0, &t, NULL);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum((int64) t.nrecords);
	values[1] = Int32GetDatum((int32) t.ncontexts);
	values[2] = Int64GetDatum((int64) t.count[GAB_TRACE_CREATE]);
	values[3] = Int64GetDatum((int64) t.count[GAB_TRACE_ALLOC]);
	values[4] = Int64GetDatum((int64) t.count[GAB_TRACE_FREE]);
	values[5] = Int64GetDatum((int64) t.count[GAB_TRACE_REALLOC]);
	values[6] = Int64GetDatum((int64) t.count[GAB_TRACE_RESET]);
	values[7] = Int64GetDatum((int64) t.count[GAB_TRACE_DELETE]);
	values[8] = Int64GetDatum((int64) t.hdr->skipped);
	values[9] = Int64GetDatum((int64) t.bytes_allocated);
	values[10] = Int64GetDatum((int64) t.req_peak);
	values[11] = Int32GetDatum((int32) t.max_live_contexts);
	bench_trace_unload(&t, buf);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * goalloc_trace_contexts(path text)
 *		One row per recorded context: its id, parent, name and type, and
 *		the calls recorded on it.
 */
Datum
goalloc_trace_contexts(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	gab_trace	t;
	void	   *buf;
	uint64	   *counts = NULL;
	uint64		i;

	InitMaterializedSRF(fcinfo, 0);
	buf = bench_trace_load(fcinfo, 0, &t, NULL);
	PG_TRY();
	{
		/* per context: allocs, frees, reallocs, resets, deleted, bytes */
		counts = (uint64 *) palloc_extended(sizeof(uint64) * 6 * Max(t.ncontexts, 1),
										   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (i = 0; i < t.nrecords; i++)
		{
			const gab_trace_rec *r = &t.rec[i];
			uint64	   *c = &counts[6 * (Size) r->ctx];

			if ((i & (BENCH_BATCH - 1)) == 0)
				CHECK_FOR_INTERRUPTS();

			switch (r->op)
			{
				case GAB_TRACE_ALLOC:
					c[0]++;
					c[5] += r->size;
					break;
				case GAB_TRACE_FREE:
					c[1]++;
					break;
				case GAB_TRACE_REALLOC:
					c[2]++;
					c[5] += r->size;
					break;
				case GAB_TRACE_RESET:
					c[3]++;
					break;
				case GAB_TRACE_DELETE:
					c[4] = 1;
					break;
			}
		}
		for (i = 0; i < t.ncontexts; i++)
		{
			const gab_trace_context *x = &t.ctx[i];
			uint64	   *c = &counts[6 * i];
			Datum		values[10];
			bool		nulls[10];

			memset(nulls, 0, sizeof(nulls));
			values[0] = Int32GetDatum((int32) x->id);
			if (x->parent == GAB_TRACE_NONE)
				nulls[1] = true;
			else
				values[1] = Int32GetDatum((int32) x->parent);
			values[2] = CStringGetTextDatum(x->name);
			values[3] = CStringGetTextDatum(gab_trace_kind_name(x->kind));
			values[4] = Int64GetDatum((int64) c[0]);
			values[5] = Int64GetDatum((int64) c[1]);
			values[6] = Int64GetDatum((int64) c[2]);
			values[7] = Int64GetDatum((int64) c[3]);
			values[8] = BoolGetDatum(c[4] != 0);
			values[9] = Int64GetDatum((int64) c[5]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_FINALLY();
	{
		bench_trace_unload(&t, buf);
	}
	PG_END_TRY();
	if (counts != NULL)
		pfree(counts);
	return (Datum) 0;
}

static int
TraceCmpU32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

/*
 * goalloc_trace_sizes(path text)
 *		ALLOC records by requested size: one row per size.
 */
Datum
goalloc_trace_sizes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	gab_trace	t;
	void	   *buf;
	uint32	   *sizes = NULL;

	InitMaterializedSRF(fcinfo, 0);
	buf = bench_trace_load(fcinfo, 0, &t, NULL);
	PG_TRY();
	{
		uint64		i,
					n = 0;

		sizes = (uint32 *) palloc_extended(sizeof(uint32) * Max(t.nchunks, 1),
										   MCXT_ALLOC_HUGE);
		for (i = 0; i < t.nrecords; i++)
		{
			if (t.rec[i].op == GAB_TRACE_ALLOC)
				sizes[n++] = t.rec[i].size;
			if ((i & (BENCH_BATCH - 1)) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		qsort(sizes, (size_t) n, sizeof(uint32), TraceCmpU32);
		for (i = 0; i < n;)
		{
			uint64		j = i;
			Datum		values[2];
			bool		nulls[2] = {false, false};

			while (j < n && sizes[j] == sizes[i])
				j++;
			values[0] = Int64GetDatum((int64) sizes[i]);
			values[1] = Int64GetDatum((int64) (j - i));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			i = j;
		}
	}
	PG_FINALLY();
	{
		bench_trace_unload(&t, buf);
	}
	PG_END_TRY();
	if (sizes != NULL)
		pfree(sizes);
	return (Datum) 0;
}
