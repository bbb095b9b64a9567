/*-------------------------------------------------------------------------
 *
 * goalloc_budget.c
 *	  goalloc.max_total_memory: one memory budget for the goalloc heaps of
 *	  all the server's processes together.
 *
 * PostgreSQL has no cap on the memory of all its backends; a few busy ones
 * end with the kernel's OOM killer and a restart of the cluster.  Every
 * goalloc heap asks before it backs more memory (the core's budget hook,
 * called where it checks its own limit), so the heaps can share a budget.
 *
 * What is counted: each heap's backed bytes (ga_heap_backed_bytes): pages
 * mapped and not released -- in use, and idle not yet given back -- plus
 * the arenas' metadata and the blocks of span structs.  This is what the
 * process keeps resident for goalloc (goalloc.heap_limit caps the pages
 * alone, for one backend).
 *
 * Reservations.  The shared total (an atomic in shared memory) moves in
 * steps of GOALLOC_BUDGET_STEP: a heap that grows past what its process
 * holds reserves whole steps with one compare-and-swap, refused if the
 * total would pass the cap; a heap that shrinks (the scavenger, an unmapped
 * huge object) gives back what it holds beyond one step of headroom.  So
 * the palloc fast path never touches shared memory, and the total the
 * processes hold never passes the cap: only a reservation raises it, and a
 * reservation is checked against the cap in the same atomic step.  A heap
 * may run past its own reservation only by metadata grown between two
 * checks (a block of span structs is mapped without asking; it is counted
 * at the next check).
 *
 * The fair-share reserve.  First come, first served, one query that grows
 * without bound would take the whole cap, and every other process would
 * then be refused its next megabyte.  So the top goalloc.fair_share_reserve
 * percent of the cap (10 by default) is kept for processes within their
 * fair share -- the cap divided by the processes holding goalloc memory
 * (holders), this one included: a reservation that would take the total
 * into the reserve is refused to a process that would then hold more than
 * that.  A small backend can still grow when a large one has been stopped,
 * and the large one's ERROR says why.  Nothing is taken from a process
 * that holds more already: the reserve only decides who grows.
 *
 * A refusal is handled by the core as the heap limit's: the heap releases
 * every idle page (which gives back its idle reservations), asks once
 * more, and the allocation fails; goalloc_refused() then raises an ERROR
 * that names goalloc.max_total_memory, the cluster's total and this
 * backend's share.  The transaction aborts and its contexts give their
 * pages back; nothing of another process is touched.  Inside a critical
 * section (an ERROR there is a PANIC) and while interrupts are held off
 * (error recovery) the cap is not applied.
 *
 * Giving back.  At exit (normal, FATAL, proc_exit) a before_shmem_exit
 * callback returns everything the process holds.  A process killed by a
 * signal makes the postmaster reinitialize shared memory, which sets the
 * totals to zero with every other process gone.  A child forked from a
 * process that held a reservation holds none: its heap is its own
 * (goalloc_backend_heap), and budget_pid tells it apart.
 *
 * Without shared_preload_libraries there is no shared memory: nothing is
 * counted and the cap does not apply (goalloc_cluster_memory() says so).
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_budget.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"

#include "goalloc_internal.h"

/* Reservations move by this much. */
#define GOALLOC_BUDGET_STEP		((uint64) 2 << 20)

typedef struct GoAllocBudget
{
	pg_atomic_uint64 reserved;	/* held by all processes together */
	pg_atomic_uint64 peak;		/* highest reserved since start or reset */
	pg_atomic_uint64 refused;	/* allocations the cap refused */
	pg_atomic_uint32 holders;	/* processes holding a reservation */
	int			nslots;
	pg_atomic_uint64 backend_reserved[FLEXIBLE_ARRAY_MEMBER];	/* by
																 * BackendId */
} GoAllocBudget;

static GoAllocBudget *budget = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* What this process holds (valid while budget_pid == MyProcPid). */
static uint64 my_reserved = 0;
static int	budget_pid = 0;
static bool budget_exit_registered = false;
static bool budget_closed = false;	/* given back at exit: count no more */

/*
 * The cap refused this process's last request (read by goalloc_refused),
 * and the fair share it was past if the reserve refused it (else 0).
 */
static bool budget_refused = false;
static uint64 budget_refused_share = 0;
static uint32 budget_refused_holders = 0;

PG_FUNCTION_INFO_V1(goalloc_cluster_memory);
PG_FUNCTION_INFO_V1(goalloc_cluster_memory_reset);

static Size
budget_shmem_size(void)
{
	return add_size(offsetof(GoAllocBudget, backend_reserved),
					mul_size(MaxBackends, sizeof(pg_atomic_uint64)));
}

static void
budget_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(budget_shmem_size());
}

static void
budget_shmem_startup(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	budget = ShmemInitStruct("goalloc budget", budget_shmem_size(), &found);
	if (!found)
	{
		pg_atomic_init_u64(&budget->reserved, 0);
		pg_atomic_init_u64(&budget->peak, 0);
		pg_atomic_init_u64(&budget->refused, 0);
		pg_atomic_init_u32(&budget->holders, 0);
		budget->nslots = MaxBackends;
		for (i = 0; i < budget->nslots; i++)
			pg_atomic_init_u64(&budget->backend_reserved[i], 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* This process's slot in backend_reserved, or NULL (aux processes). */
static pg_atomic_uint64 *
my_budget_slot(void)
{
	if (budget == NULL || MyBackendId == InvalidBackendId ||
		MyBackendId < 1 || MyBackendId > budget->nslots)
		return NULL;
	return &budget->backend_reserved[MyBackendId - 1];
}

/* Set what this process holds, keeping holders and its slot right. */
static void
budget_set_mine(uint64 newval)
{
	pg_atomic_uint64 *slot = my_budget_slot();

	if (my_reserved == 0 && newval > 0)
		pg_atomic_fetch_add_u32(&budget->holders, 1);
	else if (my_reserved > 0 && newval == 0)
		pg_atomic_fetch_sub_u32(&budget->holders, 1);
	my_reserved = newval;
	if (slot != NULL)
		pg_atomic_write_u64(slot, newval);
}

static void
budget_give_back_all(int code, Datum arg)
{
	if (budget == NULL || budget_pid != MyProcPid)
		return;
	/* what the exit code after us allocates is not counted any more */
	budget_closed = true;
	if (my_reserved == 0)
		return;
	pg_atomic_fetch_sub_u64(&budget->reserved, my_reserved);
	budget_set_mine(0);
}

/*
 * budget_counts
 *		Is this process's growth counted now?  Not without shared memory,
 *		nor in a child that has not yet dropped its parent's reservation
 *		(goalloc_budget does), nor once the process exits (budget_closed,
 *		proc_exit_inprogress), nor before it has its PGPROC: InitProcess
 *		checks that no shmem-exit callback was registered earlier (and
 *		FATALs), and ours is registered with the first reservation.  What
 *		the heap backs before then is reserved with the first growth after.
 */
static bool
budget_counts(void)
{
	return budget != NULL && budget_pid == MyProcPid && !budget_closed &&
		MyProc != NULL && !proc_exit_inprogress;
}

/* What holding backed_bytes would add to this process's reservation. */
static uint64
budget_need(size_t backed_bytes)
{
	if ((uint64) backed_bytes <= my_reserved)
		return 0;
	return TYPEALIGN64(GOALLOC_BUDGET_STEP, (uint64) backed_bytes) - my_reserved;
}

/*
 * budget_cap_refuses
 *		Would the cap refuse a cluster total of total bytes, with this
 *		process then holding mine bytes?  Past the cap, yes.  Inside its
 *		reserve (the top goalloc.fair_share_reserve percent of it), if mine
 *		passes the process's fair share: the cap divided by the processes
 *		that hold goalloc memory, this one included.  *share is set to that
 *		share when the reserve refuses, to 0 otherwise.  Never inside a
 *		critical section (an ERROR there is a PANIC) nor while interrupts
 *		are held off (error recovery).
 */
static bool
budget_cap_refuses(uint64 total, uint64 mine, uint64 *share,
				   uint32 *holders)
{
	uint64		cap = (uint64) goalloc_max_total_memory_kb * 1024;
	uint32		n;

	*share = 0;
	*holders = 0;
	if (cap == 0 || total <= cap / 100 * (100 - goalloc_fair_share_reserve) ||
		CritSectionCount != 0 || InterruptHoldoffCount != 0)
		return false;
	if (total > cap)
		return true;
	if (goalloc_fair_share_reserve == 0)
		return false;
	/* holders counts this process once it holds something */
	n = Max(pg_atomic_read_u32(&budget->holders) + (my_reserved == 0 ? 1 : 0), 1);
	*holders = n;
	if (mine <= cap / n)
		return false;
	*share = cap / n;
	return true;
}

/*
 * goalloc_budget
 *		The core's budget hook (ga_heap_config.budget) for the backend's
 *		heap: reserve before the heap backs backed_bytes, give back after it
 *		shrank.  Never raises an error: it runs inside an allocation.
 */
bool
goalloc_budget(void *arg, size_t backed_bytes, bool growing)
{
	uint64		need;
	uint64		cur;
	uint64		peak;

	if (budget == NULL)
		return true;
	if (budget_pid != MyProcPid)
	{
		/* inherited over fork: the parent's reservation is not ours */
		my_reserved = 0;
		budget_pid = MyProcPid;
		budget_exit_registered = false;
		budget_closed = false;
	}
	if (!budget_counts())
		return true;

	if (!growing)
	{
		uint64		keep = TYPEALIGN64(GOALLOC_BUDGET_STEP, (uint64) backed_bytes);

		if (my_reserved > keep + GOALLOC_BUDGET_STEP)
		{
			pg_atomic_fetch_sub_u64(&budget->reserved, my_reserved - keep);
			budget_set_mine(keep);
		}
		return true;
	}

	need = budget_need(backed_bytes);
	if (need == 0)
		return true;

	cur = pg_atomic_read_u64(&budget->reserved);
	for (;;)
	{
		if (budget_cap_refuses(cur + need, my_reserved + need,
							   &budget_refused_share, &budget_refused_holders))
		{
			budget_refused = true;
			return false;
		}
		if (pg_atomic_compare_exchange_u64(&budget->reserved, &cur, cur + need))
			break;
	}
	budget_refused = false;
	cur += need;
	peak = pg_atomic_read_u64(&budget->peak);
	while (peak < cur &&
		   !pg_atomic_compare_exchange_u64(&budget->peak, &peak, cur))
		;

	if (!budget_exit_registered)
	{
		/*
		 * ipc.c raises FATAL only past MAX_ON_EXITS (20) callbacks, of which
		 * PostgreSQL itself registers a handful.
		 */
		before_shmem_exit(budget_give_back_all, (Datum) 0);
		budget_exit_registered = true;
	}
	budget_set_mine(my_reserved + need);
	return true;
}

/*
 * goalloc_budget_would_refuse
 *		Would the cap refuse this process if it held backed_bytes?  What its
 *		reservation covers never is; beyond it the answer is the one
 *		goalloc_budget would give now, which reads the shared total.  Asks
 *		nothing of the cap: for goalloc.route's deferred contexts, which grow
 *		outside the heap and are adopted near the cap instead
 *		(RouteDeferredNearLimit), so that the heap, which the cap can
 *		refuse, serves their growth.
 */
bool
goalloc_budget_would_refuse(size_t backed_bytes)
{
	uint64		need;
	uint64		share;
	uint32		holders;

	if (!budget_counts())
		return false;
	need = budget_need(backed_bytes);
	return need != 0 &&
		budget_cap_refuses(pg_atomic_read_u64(&budget->reserved) + need,
						   my_reserved + need, &share, &holders);
}

/*
 * goalloc_budget_take_refusal
 *		Did the cap refuse this process's last request?  Clears the flag.
 *		For goalloc_refused(), which then counts the refusal and names the
 *		cap in its ERROR.
 */
bool
goalloc_budget_take_refusal(GoAllocBudgetRefusal *refusal)
{
	if (!budget_refused)
		return false;
	budget_refused = false;
	pg_atomic_fetch_add_u64(&budget->refused, 1);
	refusal->cluster_reserved = pg_atomic_read_u64(&budget->reserved);
	refusal->mine = my_reserved;
	refusal->fair_share = budget_refused_share;
	refusal->holders = budget_refused_holders;
	return true;
}

/* What backend i (BackendId - 1) holds, for goalloc_backends; 0 if none. */
uint64
goalloc_budget_backend_reserved(int i)
{
	if (budget == NULL || i < 0 || i >= budget->nslots)
		return 0;
	return pg_atomic_read_u64(&budget->backend_reserved[i]);
}

/*
 * goalloc_cluster_memory()
 *		One row: the cap, what all processes hold, the peak, the refusals,
 *		the processes holding a reservation.
 */
Datum
goalloc_cluster_memory(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (budget == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("goalloc.max_total_memory needs goalloc in shared_preload_libraries")));

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum((int64) goalloc_max_total_memory_kb * 1024);
	values[1] = Int64GetDatum((int64) pg_atomic_read_u64(&budget->reserved));
	values[2] = Int64GetDatum((int64) pg_atomic_read_u64(&budget->peak));
	values[3] = Int64GetDatum((int64) pg_atomic_read_u64(&budget->refused));
	values[4] = Int32GetDatum((int32) pg_atomic_read_u32(&budget->holders));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * goalloc_cluster_memory_reset()
 *		Start the peak and the refusal count again from now.
 */
Datum
goalloc_cluster_memory_reset(PG_FUNCTION_ARGS)
{
	if (budget == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("goalloc.max_total_memory needs goalloc in shared_preload_libraries")));
	pg_atomic_write_u64(&budget->peak, pg_atomic_read_u64(&budget->reserved));
	pg_atomic_write_u64(&budget->refused, 0);
	PG_RETURN_VOID();
}

/*
 * goalloc_budget_init
 *		From _PG_init: shared memory exists only when the library is
 *		preloaded.
 */
void
goalloc_budget_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = budget_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = budget_shmem_startup;
}
