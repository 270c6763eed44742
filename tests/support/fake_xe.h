/* SPDX-License-Identifier: MIT */
/*
 * DOC: a fake xe kernel for tests/test_xe.c, behind struct xe_sys.
 *
 * It answers the ioctls the xe backend and its tests make — XE_VM_CREATE
 * and DESTROY, EXEC_QUEUE_CREATE and DESTROY, VM_BIND, GEM_CREATE,
 * DEVICE_QUERY (the config query only), and
 * SYNCOBJ_CREATE, DESTROY, FD_TO_HANDLE, HANDLE_TO_FD, TRANSFER, SIGNAL and
 * TIMELINE_SIGNAL — and checks each argument the way Linux 6.12's xe and
 * drm_syncobj code do (the rule list, with the kernel's function names and
 * lines, is at the top of fake_xe.c and in enum fake_xe_rule).  A refused
 * call returns -1 with errno set, like ioctl(2), and records which rule
 * refused it (@last_rule, @refused[rule]).
 *
 * What a GPU would see: each VM keeps a page table (address ranges mapping
 * a BO and offset, user memory, NULL, or nothing: fake_xe_lookup()).  Bind
 * jobs run in order per queue: a job runs once its in-syncs have signalled
 * and every earlier job of its queue ran, then applies its ops to the table
 * and signals its out-syncs.  Each VM also keeps the kernel's own view of
 * its mappings (xe's gpuvm), changed by every accepted VM_BIND at once:
 * the rules about splitting a mapping are checked against it.  Progress happens at the end of every ioctl
 * and in fake_xe_poll() (or a thread: fake_xe_start_thread()); with
 * @paused no job runs.
 *
 * Sync_files: an exported one is the read end of a pipe, which becomes
 * readable (one byte) when its fence signals without error, and hangs up
 * with nothing to read when it signals with one (the watcher then reports
 * -EPIPE).  Any pollable descriptor may be imported as a sync_file (the
 * real kernel takes only sync_files): readable means signalled, a hang-up
 * without data a failure.  Its state is polled, never consumed.
 *
 * Faults: fake_xe_fail() makes the Nth call of one ioctl fail with a chosen
 * errno; fake_xe_wedge() makes every later ioctl fail with -ECANCELED (as
 * xe_drm_ioctl() does for a wedged device) and fails every pending job;
 * @gone makes every ioctl fail with -ENODEV.
 *
 * Locking: one mutex serialises every call and fake_xe_poll(); the fields
 * below may be read by the test between calls (with the thread on, under
 * @lock).
 */
#ifndef GTT_TESTS_SUPPORT_FAKE_XE_H
#define GTT_TESTS_SUPPORT_FAKE_XE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <drm/xe_drm.h>

#include "backends/xe/xe_sys.h"

/* The descriptor the fake answers on. */
#define FAKE_XE_FD 200

/* What a platform changes in the rules. */
struct fake_xe_platform {
	const char *name;
	uint16_t devid;			/* DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID */
	unsigned int pat_entries;	/* xe->pat.n_entries */
	uint8_t coh[32];		/* per index: 0 reserved, 1 none, 2 at least 1-way */
	bool need64k;			/* XE_VRAM_FLAGS_NEED64K (DG2, PVC) */
	bool vram;			/* a VRAM region (placement bit 1) */
	bool usm;			/* fault mode possible */
	unsigned int va_bits;		/* VM size is 1 << va_bits */
	unsigned int gt_count;
};

/* Tiger Lake (Xe_LP: 4 PAT entries, 0 = WB 1-way), DG2 (the same PAT, VRAM
 * needing 64 KiB binds), Lunar Lake and Battlemage (Xe2: 32 entries, 0
 * non-coherent, 16..19 reserved; BMG with VRAM, no 64 KiB rule). */
extern const struct fake_xe_platform fake_xe_tgl, fake_xe_dg2, fake_xe_lnl, fake_xe_bmg;

/* The rules, in the order a call meets them; see fake_xe.c. */
enum fake_xe_rule {
	FR_NONE = 0,
	FR_WEDGED, FR_GONE, FR_INJECTED, FR_BAD_FD, FR_UNKNOWN_IOCTL,
	/* VM_CREATE, VM_DESTROY */
	FR_VMC_EXTENSIONS, FR_VMC_FAULT_NO_USM, FR_VMC_RESERVED, FR_VMC_FLAGS,
	FR_VMC_SCRATCH_FAULT, FR_VMC_FAULT_NO_LR,
	FR_VMD_PAD, FR_VMD_UNKNOWN,
	/* EXEC_QUEUE_CREATE, EXEC_QUEUE_DESTROY */
	FR_QC_FLAGS, FR_QC_LEN, FR_QC_INSTANCES, FR_QC_GT, FR_QC_BIND_SHAPE,
	FR_QC_EXTENSIONS, FR_QC_ENGINE, FR_QC_VM,
	FR_QD_PAD, FR_QD_UNKNOWN,
	/* GEM_CREATE */
	FR_GEM_MBZ, FR_GEM_PLACEMENT, FR_GEM_FLAGS, FR_GEM_HANDLE, FR_GEM_SIZE,
	FR_GEM_SIZE_64K, FR_GEM_VISIBLE, FR_GEM_CACHING, FR_GEM_VRAM_WB,
	FR_GEM_SCANOUT_WB, FR_GEM_VM,
	/* VM_BIND: vm_bind_ioctl_check_args() */
	FR_BIND_PAD, FR_BIND_EXTENSIONS, FR_BIND_NUM_SYNCS, FR_BIND_VECTOR,
	FR_OP_PAT_RANGE, FR_OP_PAT_RESERVED, FR_OP_OP, FR_OP_FLAGS,
	FR_OP_NULL_OBJ, FR_OP_NULL_OFFSET, FR_OP_NULL_NOT_MAP, FR_OP_MAP_NO_OBJ,
	FR_OP_UNMAP_ALL_NO_OBJ, FR_OP_UNMAP_ALL_ADDR, FR_OP_UNMAP_ALL_RANGE,
	FR_OP_USERPTR_OBJ, FR_OP_USERPTR_COH, FR_OP_PREFETCH_OBJ,
	FR_OP_PREFETCH_REGION, FR_OP_REGION, FR_OP_UNMAP_OBJ,
	FR_OP_ALIGN, FR_OP_RANGE_ZERO, FR_OP_MBZ,
	/* VM_BIND: xe_vm_bind_ioctl() */
	FR_BIND_QUEUE_UNKNOWN, FR_BIND_QUEUE_NOT_BIND, FR_BIND_VM_UNKNOWN,
	FR_OP_VM_RANGE, FR_OP_OBJ_UNKNOWN,
	/* xe_vm_bind_ioctl_validate_bo() */
	FR_BO_TOO_SMALL, FR_BO_64K, FR_BO_COH_WB, FR_BO_COH_IMPORT,
	/* syncs: xe_sync_entry_parse() */
	FR_SYNC_FLAGS, FR_SYNC_RESERVED, FR_SYNC_LR_SIGNAL, FR_SYNC_HANDLE_HIGH,
	FR_SYNC_UNKNOWN, FR_SYNC_NO_FENCE, FR_SYNC_POINT_ZERO,
	FR_SYNC_POINT_PENDING, FR_SYNC_UFENCE, FR_SYNC_TYPE,
	/* VM_BIND: vm_bind_ioctl_ops_execute(), the page-table update */
	FR_REMAP_64K,
	/* DEVICE_QUERY: xe_query.c */
	FR_QUERY_MBZ, FR_QUERY_UNKNOWN, FR_QUERY_SIZE,
	/* drm_syncobj.c */
	FR_SO_CREATE_FLAGS, FR_SO_PAD, FR_SO_UNKNOWN, FR_SO_FD_FLAGS,
	FR_SO_NOT_SYNC_FILE, FR_SO_EXPORT_NO_FENCE, FR_SO_SYNCOBJ_FD,
	FR_SO_TRANSFER_FLAGS, FR_SO_TRANSFER_NO_FENCE, FR_SO_COUNT,
	FR_SO_SIGNAL_FLAGS,
	FR_RULES
};

/* The rule's name ("FR_OP_ALIGN") and where the kernel has it. */
const char *fake_xe_rule_name(enum fake_xe_rule r);
const char *fake_xe_rule_source(enum fake_xe_rule r);

/* One page-table entry's view (what fake_xe_lookup() reports). */
enum fake_xe_pte_kind { FAKE_PTE_NONE, FAKE_PTE_BO, FAKE_PTE_USERPTR, FAKE_PTE_NULL };
struct fake_xe_pte {
	enum fake_xe_pte_kind kind;
	uint32_t obj;		/* FAKE_PTE_BO */
	uint64_t offset;	/* BO: offset of this page in the object; USERPTR: its address */
	bool read_only;
	uint16_t pat_index;
};

struct fake_xe_vm;
struct fake_xe_queue;
struct fake_xe_syncobj;
struct fake_xe_fence;
struct fake_xe_export;
struct fake_xe_bo;

struct fake_xe {
	pthread_mutex_t lock;
	const struct fake_xe_platform *plat;
	/* What was asked. */
	unsigned int calls;		/* every ioctl */
	unsigned int syncobj_creates, syncobj_destroys, imports;
	unsigned int vm_binds;		/* VM_BIND calls, accepted or not */
	unsigned int binds_ok;		/* accepted */
	unsigned int ops_run;		/* bind ops applied by jobs */
	unsigned int jobs_run, jobs_failed;
	unsigned int syncobjs_live, vms_live, queues_live, exports_live, imports_live;
	unsigned int unordered_points;	/* timeline points not above the last one */
	uint32_t last_vm_flags;		/* of the last VM created */
	/* The last accepted VM_BIND, copied. */
	struct drm_xe_vm_bind last_bind;
	struct drm_xe_vm_bind_op last_ops[64];
	struct drm_xe_sync last_syncs[16];
	/* Refusals. */
	enum fake_xe_rule last_rule;
	unsigned int refused[FR_RULES];
	unsigned int refusals;
	/* Faults. */
	unsigned long fail_req;
	unsigned int fail_nth;
	int fail_errno;
	bool wedged, gone, paused;
	/* Config parameters the query answers (0: Linux 6.12's five; more,
	 * zero past those: a later kernel's). */
	unsigned int config_params;
	/* The minimum alignment the query answers (0: the platform's). */
	uint64_t config_min_align;
	/* State. */
	struct fake_xe_vm *vms;
	struct fake_xe_queue *queues;
	struct fake_xe_syncobj *syncobjs;
	struct fake_xe_fence *fences;
	struct fake_xe_export *exports;
	struct fake_xe_bo *bos;
	uint32_t next_vm, next_queue, next_syncobj, next_bo;
	pthread_t thread;
	bool thread_on, thread_stop;
};

/* A fake device of platform @plat; fake_xe_fini() frees everything. */
void fake_xe_init(struct fake_xe *f, const struct fake_xe_platform *plat);
void fake_xe_fini(struct fake_xe *f);
/* Its system calls. */
struct xe_sys fake_xe_sys(struct fake_xe *f);
/* One call through the seam: 0 or -errno. */
int fake_xe_ioctl(struct fake_xe *f, unsigned long req, void *arg);

/* Run every job that can run, and pass signals on to exported sync_files. */
void fake_xe_poll(struct fake_xe *f);
/* A thread that calls fake_xe_poll() every 100 us until fake_xe_fini(). */
void fake_xe_start_thread(struct fake_xe *f);
/* Hold or release the bind queues (released: polls at once). */
void fake_xe_pause(struct fake_xe *f, bool paused);
/* Run at most @max jobs that can run (paused or not), oldest queue first,
 * and pass signals on to exported sync_files: how many ran. */
unsigned int fake_xe_run(struct fake_xe *f, unsigned int max);

/* The @nth call (1 = the next) of ioctl @req fails with -@err. */
void fake_xe_fail(struct fake_xe *f, unsigned long req, unsigned int nth, int err);
/* Wedge the device: every later ioctl fails with ECANCELED and every
 * pending job fails (its out-fences signal with -ECANCELED). */
void fake_xe_wedge(struct fake_xe *f);

/* A BO of @size bytes (in VRAM if @vram): its handle, or 0 if refused. */
uint32_t fake_xe_bo(struct fake_xe *f, uint64_t size, bool vram);
/* A BO of @size bytes imported from another device's dma-buf (PRIME): no
 * CPU caching mode of its own (xe's bo->cpu_caching 0): its handle. */
uint32_t fake_xe_bo_import(struct fake_xe *f, uint64_t size);
/* Jobs waiting (all queues). */
unsigned int fake_xe_pending(struct fake_xe *f);

/*
 * What VM @vm_id maps at @addr.  Return: 0, or -ENOENT for an unknown VM.
 */
int fake_xe_lookup(struct fake_xe *f, uint32_t vm_id, uint64_t addr,
		   struct fake_xe_pte *out);
/* Number of mapped extents of VM @vm_id (-1: no such VM). */
int fake_xe_extents(struct fake_xe *f, uint32_t vm_id);
/* Calls @fn for each mapped extent in address order. */
void fake_xe_walk(struct fake_xe *f, uint32_t vm_id,
		  void (*fn)(void *arg, uint64_t start, uint64_t size,
			     const struct fake_xe_pte *pte),
		  void *arg);

#endif
