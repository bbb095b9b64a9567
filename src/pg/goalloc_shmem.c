/*-------------------------------------------------------------------------
 *
 * goalloc_shmem.c
 *	  Every backend's goalloc totals, published in shared memory: the
 *	  goalloc_backends view.
 *
 * With goalloc in shared_preload_libraries, the postmaster reserves one
 * slot per backend (MaxBackends).  A backend publishes its heap's totals
 * into its own slot at the end of its transactions (at most every 100 ms
 * of statement start times) and whenever it runs one of the views of
 * goalloc_views.c (goalloc_publish).
 *
 * Publishing reads the heap's counters (ga_heap_read_stats: O(contexts x
 * size classes), no walk) and makes a handful of stores into the backend's
 * own slot, indexed by its BackendId and bracketed by a change counter that
 * readers retry on, as PostgreSQL does for PgBackendStatus: no lock, no
 * work per palloc.  A backend that has no heap publishes its zeros once.
 * The slot is cleared by a before_shmem_exit callback.
 *
 * Without preloading there is no shared memory: goalloc_publish does
 * nothing and goalloc_backends() returns no rows and says why in a NOTICE.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "goalloc_internal.h"

/* One backend's published totals. */
typedef struct GoAllocBackendSlot
{
	uint32		changecount;	/* odd while the owner is writing */
	int			pid;			/* 0: slot unused */
	TimestampTz updated_at;
	int64		heap_sys;
	int64		heap_inuse;
	int64		heap_released;
	int64		heap_alloc;
	int64		heap_objects;
	int64		mallocs;
	int64		frees;
	int64		contexts;
} GoAllocBackendSlot;

typedef struct GoAllocShared
{
	int			nslots;
	GoAllocBackendSlot slots[FLEXIBLE_ARRAY_MEMBER];
} GoAllocShared;

static GoAllocShared *goalloc_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool goalloc_exit_registered = false;
static bool goalloc_published_empty = false;

/* Transaction ends publish at most this often (statement start times). */
#define PUBLISH_INTERVAL_MS		100
static TimestampTz last_published = 0;


PG_FUNCTION_INFO_V1(goalloc_views_backends);

static Size
goalloc_shmem_size(void)
{
	return add_size(offsetof(GoAllocShared, slots),
					mul_size(MaxBackends, sizeof(GoAllocBackendSlot)));
}

static void
goalloc_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(goalloc_shmem_size());
}

static void
goalloc_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	goalloc_shared = ShmemInitStruct("goalloc backends",
									 goalloc_shmem_size(), &found);
	if (!found)
	{
		memset(goalloc_shared, 0, goalloc_shmem_size());
		goalloc_shared->nslots = MaxBackends;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* This backend's slot, or NULL (no shared memory, or no BackendId). */
static volatile GoAllocBackendSlot *
my_slot(void)
{
	if (goalloc_shared == NULL || MyBackendId == InvalidBackendId ||
		MyBackendId < 1 || MyBackendId > goalloc_shared->nslots)
		return NULL;
	return &goalloc_shared->slots[MyBackendId - 1];
}

static void
goalloc_clear_slot(int code, Datum arg)
{
	volatile GoAllocBackendSlot *slot = my_slot();

	if (slot == NULL || slot->pid != MyProcPid)
		return;
	slot->changecount++;
	pg_write_barrier();
	slot->pid = 0;
	pg_write_barrier();
	slot->changecount++;
}

/*
 * Copy the heap's totals into this backend's slot.  Cheap: one read of the
 * heap's counters and a few stores; never allocates.
 */
void
goalloc_publish(void)
{
	volatile GoAllocBackendSlot *slot = my_slot();
	ga_heap    *heap;
	ga_heap_stats st;

	if (slot == NULL || proc_exit_inprogress)
		return;
	if (!goalloc_exit_registered)
	{
		before_shmem_exit(goalloc_clear_slot, (Datum) 0);
		goalloc_exit_registered = true;
	}

	/* A backend that never made a heap publishes its zeros once. */
	heap = goalloc_backend_heap(false);
	if (heap == NULL && goalloc_published_empty)
		return;
	goalloc_published_empty = (heap == NULL);
	memset(&st, 0, sizeof(st));
	if (heap != NULL)
		ga_heap_read_stats(heap, &st);

	slot->changecount++;
	pg_write_barrier();
	slot->pid = MyProcPid;
	slot->updated_at = GetCurrentTimestamp();
	slot->heap_sys = (int64) st.heap_sys;
	slot->heap_inuse = (int64) st.heap_inuse;
	slot->heap_released = (int64) st.heap_released;
	slot->heap_alloc = (int64) st.heap_alloc;
	slot->heap_objects = (int64) st.heap_objects;
	slot->mallocs = (int64) st.mallocs;
	slot->frees = (int64) st.frees;
	slot->contexts = (int64) st.nowners;
	pg_write_barrier();
	slot->changecount++;
}

static void
goalloc_xact_callback(XactEvent event, void *arg)
{
	ga_heap    *heap;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:

			/*
			 * The backend may go idle now: idle pages kept backed for the
			 * transaction's next allocations go back to the OS, but for
			 * GOALLOC_IDLE_KEEP (ga_heap_trim).  Its queries' contexts are
			 * gone by now (portals are dropped before the commit).  If the
			 * heap released pages the transaction was a large one, and
			 * glibc's heap is asked to give its free pages back too: with
			 * deferred adoption (goalloc.route_min_size) the first block of
			 * every routed context came from malloc, and glibc returns only
			 * the top of its heap on its own (RssAnon at rest after the
			 * system benchmark's set, executor mode: 9.4 MB without this).
			 */
			heap = goalloc_backend_heap(false);
			if (heap != NULL && ga_heap_trim(heap, GOALLOC_IDLE_KEEP) > 0)
			{
#ifdef __GLIBC__
				(void) malloc_trim(0);
#endif
			}

			/*
			 * At most every PUBLISH_INTERVAL_MS of statement start times
			 * (cached, no clock read): reading the heap's counters costs
			 * O(contexts x size classes), and in goalloc.route = backend
			 * a backend holds a hundred contexts.  A view that is read
			 * publishes at once.
			 */
			if (GetCurrentStatementStartTimestamp() - last_published >=
				PUBLISH_INTERVAL_MS * 1000)
			{
				last_published = GetCurrentStatementStartTimestamp();
				goalloc_publish();
			}
			break;
		default:
			break;
	}
}

Datum
goalloc_views_backends(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	SetSingleFuncCall(fcinfo, 0);
	if (goalloc_shared == NULL)
	{
		ereport(NOTICE,
				(errmsg("goalloc_backends is empty: goalloc is not in shared_preload_libraries")));
		PG_RETURN_VOID();
	}
	goalloc_publish();

	for (i = 0; i < goalloc_shared->nslots; i++)
	{
		volatile GoAllocBackendSlot *slot = &goalloc_shared->slots[i];
		GoAllocBackendSlot copy;
		Datum		values[11];
		bool		nulls[11];

		/* retry while the owner is writing */
		for (;;)
		{
			uint32		before = slot->changecount;

			pg_read_barrier();
			copy.pid = slot->pid;
			copy.updated_at = slot->updated_at;
			copy.heap_sys = slot->heap_sys;
			copy.heap_inuse = slot->heap_inuse;
			copy.heap_released = slot->heap_released;
			copy.heap_alloc = slot->heap_alloc;
			copy.heap_objects = slot->heap_objects;
			copy.mallocs = slot->mallocs;
			copy.frees = slot->frees;
			copy.contexts = slot->contexts;
			pg_read_barrier();
			if (before == slot->changecount && (before & 1) == 0)
				break;
			CHECK_FOR_INTERRUPTS();
		}
		if (copy.pid == 0)
			continue;

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(copy.pid);
		values[1] = Int64GetDatum(copy.heap_sys);
		values[2] = Int64GetDatum(copy.heap_inuse);
		values[3] = Int64GetDatum(copy.heap_released);
		values[4] = Int64GetDatum(copy.heap_alloc);
		values[5] = Int64GetDatum(copy.heap_objects);
		values[6] = Int64GetDatum(copy.mallocs);
		values[7] = Int64GetDatum(copy.frees);
		values[8] = Int64GetDatum(copy.contexts);
		values[9] = Int64GetDatum((int64) goalloc_budget_backend_reserved(i));
		values[10] = TimestampTzGetDatum(copy.updated_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	PG_RETURN_VOID();
}

/*
 * Called from _PG_init.  Shared memory exists only when the library is
 * preloaded; otherwise goalloc_backends() stays empty.
 */
void
goalloc_shmem_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = goalloc_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = goalloc_shmem_startup;
	RegisterXactCallback(goalloc_xact_callback, NULL);
}
