/* SPDX-License-Identifier: MIT */
/*
 * A fake xe kernel (see fake_xe.h).  Its rules are Linux 6.12.117's (the
 * version whose uAPI header scripts/uapi-headers.sh takes), read in the
 * Debian linux-source-6.12 package; line numbers are of that version.
 * Written from the rules, not from the kernel's code.  Each rule names the
 * enum fake_xe_rule value the fake records when it refuses a call.
 *
 * Every ioctl (xe_device.c xe_drm_ioctl(), l.200):
 *   FR_WEDGED      the device is wedged: -ECANCELED before anything else
 *   FR_GONE        (the fake's unplugged device: -ENODEV)
 * DRM_IOCTL_XE_VM_CREATE (xe_vm.c xe_vm_create_ioctl(), l.1851):
 *   FR_VMC_EXTENSIONS    extensions != 0 (l.1863)
 *   FR_VMC_FAULT_NO_USM  FAULT_MODE on a device without USM (l.1869)
 *   FR_VMC_RESERVED      reserved[] != 0 (l.1873)
 *   FR_VMC_FLAGS         unknown flags (l.1876)
 *   FR_VMC_SCRATCH_FAULT SCRATCH_PAGE with FAULT_MODE (l.1879)
 *   FR_VMC_FAULT_NO_LR   FAULT_MODE without LR_MODE (l.1883)
 * DRM_IOCTL_XE_VM_DESTROY (xe_vm_destroy_ioctl(), l.1940):
 *   FR_VMD_PAD pad or reserved != 0 (l.1949); FR_VMD_UNKNOWN -ENOENT (l.1955)
 * DRM_IOCTL_XE_EXEC_QUEUE_CREATE (xe_exec_queue.c
 * xe_exec_queue_create_ioctl(), l.531):
 *   FR_QC_FLAGS flags or reserved != 0 (l.550); FR_QC_LEN width *
 *   num_placements 0 or > 9 (l.555); FR_QC_INSTANCES no instance array
 *   (-EFAULT, l.561); FR_QC_GT gt_id >= gt_count (l.564); FR_QC_BIND_SHAPE
 *   VM_BIND class with width != 1, num_placements != 1 or instance != 0
 *   (l.568); FR_QC_ENGINE no such engine (l.599-603); FR_QC_VM unknown VM
 *   for an engine queue, -ENOENT (l.607).  FR_QC_EXTENSIONS: extensions
 *   (set-property chains) are not modelled: -EINVAL.
 *   A VM_BIND queue is not tied to a VM in 6.12 (vm_id is ignored).
 * DRM_IOCTL_XE_EXEC_QUEUE_DESTROY (xe_exec_queue_destroy_ioctl(), l.827):
 *   FR_QD_PAD (l.835), FR_QD_UNKNOWN -ENOENT (l.842).  The queue is killed:
 *   the fake fails its pending jobs with -ECANCELED.
 * DRM_IOCTL_XE_GEM_CREATE (xe_bo.c xe_gem_create_ioctl(), l.2043):
 *   FR_GEM_MBZ extensions, pad, reserved (l.2056); FR_GEM_PLACEMENT none or
 *   not a region of the device (l.2062); FR_GEM_FLAGS (l.2066);
 *   FR_GEM_HANDLE handle != 0 (l.2072); FR_GEM_SIZE 0 or not 4 KiB
 *   aligned (l.2075-2081); FR_GEM_SIZE_64K a VRAM object on a NEED64K
 *   platform whose size is not 64 KiB aligned (xe_bo.c l.1324-1339);
 *   FR_GEM_VISIBLE NEEDS_VISIBLE_VRAM without a VRAM placement (l.2101);
 *   FR_GEM_CACHING cpu_caching 0 or unknown (l.2107); FR_GEM_VRAM_WB VRAM
 *   with write-back caching (l.2111); FR_GEM_SCANOUT_WB a scanout object
 *   with write-back caching (l.2115); FR_GEM_VM unknown vm_id (l.2121).
 * DRM_IOCTL_XE_VM_BIND, vm_bind_ioctl_check_args() (xe_vm.c l.2883):
 *   FR_BIND_PAD pad, pad2, reserved (l.2890); FR_BIND_EXTENSIONS (l.2894);
 *   FR_BIND_NUM_SYNCS > DRM_XE_MAX_SYNCS (l.2897); FR_BIND_VECTOR the
 *   vector of binds cannot be read (-EFAULT, l.2913); per op:
 *   FR_OP_PAT_RANGE pat_index >= the PAT table (l.2933);
 *   FR_OP_PAT_RESERVED a reserved PAT entry (l.2941); l.2951-2978, -EINVAL:
 *   FR_OP_OP op > PREFETCH; FR_OP_FLAGS flags beyond READONLY, IMMEDIATE,
 *   NULL, DUMPABLE; FR_OP_NULL_OBJ NULL with obj; FR_OP_NULL_OFFSET NULL
 *   with obj_offset; FR_OP_NULL_NOT_MAP NULL on another op than MAP;
 *   FR_OP_MAP_NO_OBJ MAP without obj and without NULL;
 *   FR_OP_UNMAP_ALL_NO_OBJ, FR_OP_UNMAP_ALL_ADDR, FR_OP_UNMAP_ALL_RANGE
 *   UNMAP_ALL needs obj, addr 0, range 0; FR_OP_USERPTR_OBJ MAP_USERPTR
 *   with obj; FR_OP_USERPTR_COH MAP_USERPTR with a non-coherent PAT index;
 *   FR_OP_PREFETCH_OBJ PREFETCH with obj; FR_OP_PREFETCH_REGION a region on
 *   another op; FR_OP_REGION a region the device does not have (checked on
 *   every op); FR_OP_UNMAP_OBJ UNMAP with obj; l.2982-2986: FR_OP_ALIGN
 *   obj_offset (or userptr), addr or range not 4 KiB aligned;
 *   FR_OP_RANGE_ZERO range 0 on anything but UNMAP_ALL.
 *   FR_OP_MBZ: an op's extensions, pad, pad2 or reserved != 0.  The uAPI
 *   says MBZ; 6.12 does not check them; the fake does, so that the backend
 *   keeps working on a kernel that starts to.
 * DRM_IOCTL_XE_VM_BIND, xe_vm_bind_ioctl() (l.3084):
 *   FR_BIND_QUEUE_UNKNOWN exec_queue_id unknown, -ENOENT (l.3107);
 *   FR_BIND_QUEUE_NOT_BIND not a VM_BIND queue (l.3112); FR_BIND_VM_UNKNOWN
 *   unknown vm_id, -EINVAL (l.3119); FR_OP_VM_RANGE range or addr + range
 *   beyond the VM (l.3137); FR_OP_OBJ_UNKNOWN unknown obj, -ENOENT
 *   (l.3172); then xe_vm_bind_ioctl_validate_bo() (l.3035): FR_BO_TOO_SMALL
 *   range > size or obj_offset > size - range (l.3041); FR_BO_64K a VRAM
 *   object on a NEED64K platform with obj_offset, addr or range not 64 KiB
 *   aligned (l.3057); FR_BO_COH_WB a non-coherent PAT index on a
 *   write-back object (l.3067; checked for UNMAP_ALL too); FR_BO_COH_IMPORT
 *   a non-coherent PAT index on an object with no CPU caching mode of its
 *   own, a dma-buf from another device (l.3071: the kernel assumes it may
 *   be CPU-cached; fake_xe_bo_import() makes one).
 *   No binds (num_binds 0), or ops with nothing to do (an unmap of nothing),
 *   are not errors: the out-syncs signal after the in-syncs and the queue's
 *   earlier jobs (-ENODATA, l.3213, l.3254, l.3272).
 * DRM_IOCTL_XE_VM_BIND, vm_bind_ioctl_ops_execute() (l.2837), after the
 * syncs: the ops are split against the kernel's view of the VM (its
 * gpuvm, which the fake changes at the ioctl, before the job runs):
 *   FR_REMAP_64K an UNMAP or MAP that cuts a mapping of a VRAM object on a
 *   NEED64K device (DG2, PVC) at an address that is not 64 KiB aligned.
 *   The kernel's REMAP (vm_bind_ioctl_ops_parse(), l.2263) keeps the parts
 *   outside the op and binds them again unless the cut is aligned to the
 *   old mapping's largest page (skip_prev/skip_next, l.2339); that bind
 *   must use 64 KiB pages for VRAM on such a device, and a part ending
 *   inside a 64 KiB page cannot (xe_pt.c xe_pt_stage_bind_entry(), l.532:
 *   XE_WARN_ON, -EINVAL; the ioctl unwinds, nothing is done).  Objects in
 *   system memory, user memory and NULL mappings split at any 4 KiB page;
 *   so does VRAM on every other device (BMG included: xe_pci.c gives
 *   XE_VRAM_FLAGS_NEED64K to Xe_HPG and Xe_HPC only).
 * DRM_IOCTL_XE_DEVICE_QUERY (xe_query.c xe_query_ioctl(), l.720):
 *   FR_QUERY_MBZ extensions or reserved != 0 (l.726); FR_QUERY_UNKNOWN a
 *   query number the kernel does not have (l.730) or, in the fake, any
 *   query but DRM_XE_DEVICE_QUERY_CONFIG; FR_QUERY_SIZE (query_config(),
 *   l.317) a size that is neither 0 (which asks for the size) nor the
 *   reply's.  The reply: the platform's device id, HAS_VRAM, the minimum
 *   alignment (64 KiB with XE_VRAM_FLAGS_NEED64K, else 4 KiB), va_bits.
 * Syncs, xe_sync.c xe_sync_entry_parse() (l.111):
 *   FR_SYNC_FLAGS flags beyond SIGNAL, FR_SYNC_RESERVED (l.126);
 *   FR_SYNC_LR_SIGNAL a syncobj signalled from an LR VM, -EOPNOTSUPP
 *   (l.133, l.153); FR_SYNC_HANDLE_HIGH the upper half of the handle word
 *   (l.136, l.156); FR_SYNC_POINT_ZERO timeline value 0 (l.159);
 *   FR_SYNC_UNKNOWN unknown syncobj, -ENOENT (l.140, l.163);
 *   FR_SYNC_NO_FENCE an in-sync with no fence (l.145, l.174);
 *   FR_SYNC_POINT_PENDING an in-sync timeline point not yet submitted
 *   (dma_fence_chain_find_seqno() from l.179, -EINVAL); FR_SYNC_TYPE unknown type
 *   (l.207).  FR_SYNC_UFENCE: user fences are not modelled (-EOPNOTSUPP;
 *   the backend uses none).
 * Syncobjs, drm_syncobj.c:
 *   FR_SO_CREATE_FLAGS (l.847); FR_SO_PAD pad != 0 (destroy l.864,
 *   handle_to_fd l.878, fd_to_handle l.902, transfer l.990, signal l.1554);
 *   FR_SO_UNKNOWN unknown handle (destroy -EINVAL l.646; others -ENOENT);
 *   FR_SO_FD_FLAGS flags other than 0 and the sync_file one (l.882,
 *   l.906); FR_SO_NOT_SYNC_FILE an import of a descriptor that is not
 *   open, -EINVAL (sync_file_get_fence(), l.751); FR_SO_EXPORT_NO_FENCE an
 *   export of a syncobj without a fence, -EINVAL (drm_syncobj_find_fence()
 *   from drm_syncobj_export_sync_file(), l.777, l.478);
 *   FR_SO_SYNCOBJ_FD syncobj descriptors (flags 0) are not modelled;
 *   FR_SO_TRANSFER_FLAGS (drm_syncobj_find_fence(), l.447);
 *   FR_SO_TRANSFER_NO_FENCE no fence at the source point, -EINVAL (l.478);
 *   FR_SO_COUNT no handles (l.1557, l.1595); FR_SO_SIGNAL_FLAGS timeline
 *   signal flags != 0 (l.1592).
 *   Not refused, counted: a timeline point signalled that is not above the
 *   last one (drm_syncobj_add_point() only logs it): @unordered_points.
 *
 * Bind jobs apply their ops to the page table when they run, in queue
 * order; UNMAP_ALL is evaluated then too (the kernel evaluates it at the
 * ioctl, which is the same thing with one queue).  The kernel's view of
 * the VM takes every accepted call's ops at once, at the ioctl.  A job whose in-fence failed still runs.
 * Waiting for timeline point v waits for every point up to the first one
 * at or above v, as a fence chain does.
 *
 * Locking: f->lock around every call and poll; everything else is
 * single-threaded test code.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_xe.h"

/* Xe_LP's PAT (xe_pat.c xelp_pat_table): 0 WB (1-way), 1-3 WC/WT/UC. */
const struct fake_xe_platform fake_xe_tgl = {
	.name = "TGL", .devid = 0x9a49, .pat_entries = 4, .coh = { 2, 1, 1, 1 },
	.va_bits = 48, .gt_count = 1,
};
const struct fake_xe_platform fake_xe_dg2 = {
	.name = "DG2", .devid = 0x56a0, .pat_entries = 4, .coh = { 2, 1, 1, 1 },
	.need64k = true, .vram = true, .va_bits = 48, .gt_count = 1,
};
/* Xe2's PAT (xe2_pat_table): coherent at 1, 2, 4, 5, 7, 22, 23, 26, 27,
 * 30, 31; 16..19 reserved (all zero: no coherency mode). */
#define XE2_COH { 1, 2, 2, 1, 2, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, \
		  0, 0, 0, 0, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2 }
const struct fake_xe_platform fake_xe_lnl = {
	.name = "LNL", .devid = 0x6420, .pat_entries = 32, .coh = XE2_COH, .usm = true,
	.va_bits = 48, .gt_count = 2,
};
const struct fake_xe_platform fake_xe_bmg = {
	.name = "BMG", .devid = 0xe20b, .pat_entries = 32, .coh = XE2_COH, .vram = true, .usm = true,
	.va_bits = 48, .gt_count = 2,
};

#define COH_NONE 1

struct fake_xe_fence {
	struct fake_xe_fence *next;	/* every fence, freed at fini */
	int state;			/* 0 pending, 1 done, < 0 failed */
	int ext_fd;			/* an imported descriptor, or -1 */
	struct fake_xe_fence **deps;	/* an array fence: done when all are */
	size_t ndeps;
};

struct point {
	uint64_t value;
	struct fake_xe_fence *fence;
};

struct fake_xe_syncobj {
	struct fake_xe_syncobj *next;
	uint32_t handle;
	struct fake_xe_fence *fence;	/* binary, or the last point's */
	struct point *pts;
	size_t npts, cap;
};

struct fake_xe_export {
	struct fake_xe_export *next;
	int wfd;
	struct fake_xe_fence *fence;
};

struct fake_xe_bo {
	struct fake_xe_bo *next;
	uint32_t handle;
	uint64_t size;
	bool vram;
	uint16_t caching;
};

struct job {
	struct job *next;
	uint32_t vm_id;
	struct drm_xe_vm_bind_op *ops;
	size_t nops;
	struct fake_xe_fence **in;
	size_t nin;
	struct fake_xe_fence *out;
};

struct fake_xe_queue {
	struct fake_xe_queue *next;
	uint32_t id;
	bool bind;
	struct job *head, *tail;
};

struct extent {
	uint64_t start, size;
	struct fake_xe_pte pte;
};

/* Extents in address order, non-overlapping. */
struct table {
	struct extent *ext;
	size_t n, cap;
};

struct fake_xe_vm {
	struct fake_xe_vm *next;
	uint32_t id;
	uint32_t flags;
	uint64_t size;
	struct table pt;		/* what the GPU sees: jobs that ran */
	struct table va;		/* the kernel's view (its gpuvm): every
					 * accepted bind, at its ioctl */
	struct fake_xe_queue defq;	/* exec_queue_id 0 */
};

static const struct { const char *name, *src; } rules[FR_RULES] = {
#define R(id, s) [id] = { #id, s }
	R(FR_NONE, "-"),
	R(FR_WEDGED, "xe_device.c:200 xe_drm_ioctl"),
	R(FR_GONE, "fake: unplugged"),
	R(FR_INJECTED, "fake: fake_xe_fail()"),
	R(FR_BAD_FD, "fake: not the device"),
	R(FR_UNKNOWN_IOCTL, "drm_ioctl: -ENOTTY"),
	R(FR_VMC_EXTENSIONS, "xe_vm.c:1863 xe_vm_create_ioctl"),
	R(FR_VMC_FAULT_NO_USM, "xe_vm.c:1869 xe_vm_create_ioctl"),
	R(FR_VMC_RESERVED, "xe_vm.c:1873 xe_vm_create_ioctl"),
	R(FR_VMC_FLAGS, "xe_vm.c:1876 xe_vm_create_ioctl"),
	R(FR_VMC_SCRATCH_FAULT, "xe_vm.c:1879 xe_vm_create_ioctl"),
	R(FR_VMC_FAULT_NO_LR, "xe_vm.c:1883 xe_vm_create_ioctl"),
	R(FR_VMD_PAD, "xe_vm.c:1949 xe_vm_destroy_ioctl"),
	R(FR_VMD_UNKNOWN, "xe_vm.c:1955 xe_vm_destroy_ioctl"),
	R(FR_QC_FLAGS, "xe_exec_queue.c:550 xe_exec_queue_create_ioctl"),
	R(FR_QC_LEN, "xe_exec_queue.c:555 xe_exec_queue_create_ioctl"),
	R(FR_QC_INSTANCES, "xe_exec_queue.c:561 xe_exec_queue_create_ioctl"),
	R(FR_QC_GT, "xe_exec_queue.c:564 xe_exec_queue_create_ioctl"),
	R(FR_QC_BIND_SHAPE, "xe_exec_queue.c:568 xe_exec_queue_create_ioctl"),
	R(FR_QC_EXTENSIONS, "fake: queue extensions not modelled"),
	R(FR_QC_ENGINE, "xe_exec_queue.c:599 xe_exec_queue_create_ioctl"),
	R(FR_QC_VM, "xe_exec_queue.c:607 xe_exec_queue_create_ioctl"),
	R(FR_QD_PAD, "xe_exec_queue.c:835 xe_exec_queue_destroy_ioctl"),
	R(FR_QD_UNKNOWN, "xe_exec_queue.c:842 xe_exec_queue_destroy_ioctl"),
	R(FR_GEM_MBZ, "xe_bo.c:2056 xe_gem_create_ioctl"),
	R(FR_GEM_PLACEMENT, "xe_bo.c:2062 xe_gem_create_ioctl"),
	R(FR_GEM_FLAGS, "xe_bo.c:2066 xe_gem_create_ioctl"),
	R(FR_GEM_HANDLE, "xe_bo.c:2072 xe_gem_create_ioctl"),
	R(FR_GEM_SIZE, "xe_bo.c:2075 xe_gem_create_ioctl"),
	R(FR_GEM_SIZE_64K, "xe_bo.c:1339 ___xe_bo_create_locked"),
	R(FR_GEM_VISIBLE, "xe_bo.c:2101 xe_gem_create_ioctl"),
	R(FR_GEM_CACHING, "xe_bo.c:2107 xe_gem_create_ioctl"),
	R(FR_GEM_VRAM_WB, "xe_bo.c:2111 xe_gem_create_ioctl"),
	R(FR_GEM_SCANOUT_WB, "xe_bo.c:2115 xe_gem_create_ioctl"),
	R(FR_GEM_VM, "xe_bo.c:2121 xe_gem_create_ioctl"),
	R(FR_BIND_PAD, "xe_vm.c:2890 vm_bind_ioctl_check_args"),
	R(FR_BIND_EXTENSIONS, "xe_vm.c:2894 vm_bind_ioctl_check_args"),
	R(FR_BIND_NUM_SYNCS, "xe_vm.c:2897 vm_bind_ioctl_check_args"),
	R(FR_BIND_VECTOR, "xe_vm.c:2913 vm_bind_ioctl_check_args"),
	R(FR_OP_PAT_RANGE, "xe_vm.c:2933 vm_bind_ioctl_check_args"),
	R(FR_OP_PAT_RESERVED, "xe_vm.c:2941 vm_bind_ioctl_check_args"),
	R(FR_OP_OP, "xe_vm.c:2951 vm_bind_ioctl_check_args"),
	R(FR_OP_FLAGS, "xe_vm.c:2952 vm_bind_ioctl_check_args"),
	R(FR_OP_NULL_OBJ, "xe_vm.c:2953 vm_bind_ioctl_check_args"),
	R(FR_OP_NULL_OFFSET, "xe_vm.c:2954 vm_bind_ioctl_check_args"),
	R(FR_OP_NULL_NOT_MAP, "xe_vm.c:2955 vm_bind_ioctl_check_args"),
	R(FR_OP_MAP_NO_OBJ, "xe_vm.c:2957 vm_bind_ioctl_check_args"),
	R(FR_OP_UNMAP_ALL_NO_OBJ, "xe_vm.c:2960 vm_bind_ioctl_check_args"),
	R(FR_OP_UNMAP_ALL_ADDR, "xe_vm.c:2962 vm_bind_ioctl_check_args"),
	R(FR_OP_UNMAP_ALL_RANGE, "xe_vm.c:2964 vm_bind_ioctl_check_args"),
	R(FR_OP_USERPTR_OBJ, "xe_vm.c:2966 vm_bind_ioctl_check_args"),
	R(FR_OP_USERPTR_COH, "xe_vm.c:2968 vm_bind_ioctl_check_args"),
	R(FR_OP_PREFETCH_OBJ, "xe_vm.c:2970 vm_bind_ioctl_check_args"),
	R(FR_OP_PREFETCH_REGION, "xe_vm.c:2972 vm_bind_ioctl_check_args"),
	R(FR_OP_REGION, "xe_vm.c:2974 vm_bind_ioctl_check_args"),
	R(FR_OP_UNMAP_OBJ, "xe_vm.c:2976 vm_bind_ioctl_check_args"),
	R(FR_OP_ALIGN, "xe_vm.c:2982 vm_bind_ioctl_check_args"),
	R(FR_OP_RANGE_ZERO, "xe_vm.c:2985 vm_bind_ioctl_check_args"),
	R(FR_OP_MBZ, "fake: uAPI MBZ, unchecked by 6.12"),
	R(FR_BIND_QUEUE_UNKNOWN, "xe_vm.c:3107 xe_vm_bind_ioctl"),
	R(FR_BIND_QUEUE_NOT_BIND, "xe_vm.c:3112 xe_vm_bind_ioctl"),
	R(FR_BIND_VM_UNKNOWN, "xe_vm.c:3119 xe_vm_bind_ioctl"),
	R(FR_OP_VM_RANGE, "xe_vm.c:3137 xe_vm_bind_ioctl"),
	R(FR_OP_OBJ_UNKNOWN, "xe_vm.c:3172 xe_vm_bind_ioctl"),
	R(FR_BO_TOO_SMALL, "xe_vm.c:3041 xe_vm_bind_ioctl_validate_bo"),
	R(FR_BO_64K, "xe_vm.c:3057 xe_vm_bind_ioctl_validate_bo"),
	R(FR_BO_COH_WB, "xe_vm.c:3067 xe_vm_bind_ioctl_validate_bo"),
	R(FR_BO_COH_IMPORT, "xe_vm.c:3071 xe_vm_bind_ioctl_validate_bo"),
	R(FR_SYNC_FLAGS, "xe_sync.c:126 xe_sync_entry_parse"),
	R(FR_SYNC_RESERVED, "xe_sync.c:127 xe_sync_entry_parse"),
	R(FR_SYNC_LR_SIGNAL, "xe_sync.c:133 xe_sync_entry_parse"),
	R(FR_SYNC_HANDLE_HIGH, "xe_sync.c:136 xe_sync_entry_parse"),
	R(FR_SYNC_UNKNOWN, "xe_sync.c:140 xe_sync_entry_parse"),
	R(FR_SYNC_NO_FENCE, "xe_sync.c:145 xe_sync_entry_parse"),
	R(FR_SYNC_POINT_ZERO, "xe_sync.c:159 xe_sync_entry_parse"),
	R(FR_SYNC_POINT_PENDING, "xe_sync.c:179 dma_fence_chain_find_seqno"),
	R(FR_SYNC_UFENCE, "fake: user fences not modelled"),
	R(FR_SYNC_TYPE, "xe_sync.c:207 xe_sync_entry_parse"),
	R(FR_REMAP_64K, "xe_pt.c:532 xe_pt_stage_bind_entry (a REMAP's rebind)"),
	R(FR_QUERY_MBZ, "xe_query.c:726 xe_query_ioctl"),
	R(FR_QUERY_UNKNOWN, "xe_query.c:730 xe_query_ioctl (fake: config only)"),
	R(FR_QUERY_SIZE, "xe_query.c:329 query_config"),
	R(FR_SO_CREATE_FLAGS, "drm_syncobj.c:847 drm_syncobj_create_ioctl"),
	R(FR_SO_PAD, "drm_syncobj.c:864 (and each ioctl's pad check)"),
	R(FR_SO_UNKNOWN, "drm_syncobj.c:646 drm_syncobj_destroy / drm_syncobj_find"),
	R(FR_SO_FD_FLAGS, "drm_syncobj.c:882/906 handle_to_fd/fd_to_handle"),
	R(FR_SO_NOT_SYNC_FILE, "drm_syncobj.c:751 drm_syncobj_import_sync_file_fence"),
	R(FR_SO_EXPORT_NO_FENCE, "drm_syncobj.c:777 drm_syncobj_export_sync_file"),
	R(FR_SO_SYNCOBJ_FD, "fake: syncobj descriptors not modelled"),
	R(FR_SO_TRANSFER_FLAGS, "drm_syncobj.c:447 drm_syncobj_find_fence"),
	R(FR_SO_TRANSFER_NO_FENCE, "drm_syncobj.c:478 drm_syncobj_find_fence"),
	R(FR_SO_COUNT, "drm_syncobj.c:1557 drm_syncobj_signal_ioctl"),
	R(FR_SO_SIGNAL_FLAGS, "drm_syncobj.c:1592 drm_syncobj_timeline_signal_ioctl"),
#undef R
};

const char *fake_xe_rule_name(enum fake_xe_rule r)
{
	return r < FR_RULES && rules[r].name ? rules[r].name : "?";
}

const char *fake_xe_rule_source(enum fake_xe_rule r)
{
	return r < FR_RULES && rules[r].src ? rules[r].src : "?";
}

static int refuse(struct fake_xe *f, enum fake_xe_rule r, int err)
{
	f->last_rule = r;
	f->refused[r]++;
	f->refusals++;
	return -err;
}

static void *zalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		abort();	/* test support: out of memory ends the test */
	return p;
}

/* ---- fences ---- */

static struct fake_xe_fence *fence_new(struct fake_xe *f, int state)
{
	struct fake_xe_fence *fe = zalloc(sizeof(*fe));

	fe->state = state;
	fe->ext_fd = -1;
	fe->next = f->fences;
	f->fences = fe;
	return fe;
}

static int fence_state(struct fake_xe_fence *fe)
{
	if (fe->state)
		return fe->state;
	if (fe->ext_fd >= 0) {
		struct pollfd p = { .fd = fe->ext_fd, .events = POLLIN };

		if (poll(&p, 1, 0) == 1) {
			fe->state = (p.revents & POLLIN) ? 1 : -EPIPE;
			close(fe->ext_fd);
			fe->ext_fd = -1;
		}
		return fe->state;
	}
	if (fe->ndeps) {
		int st = 1;

		for (size_t i = 0; i < fe->ndeps; i++) {
			int s = fence_state(fe->deps[i]);

			if (!s)
				return 0;
			if (s < 0 && st == 1)
				st = s;
		}
		fe->state = st;
	}
	return fe->state;
}

/* ---- syncobjs ---- */

static struct fake_xe_syncobj *so_find(struct fake_xe *f, uint32_t h)
{
	for (struct fake_xe_syncobj *s = f->syncobjs; s; s = s->next)
		if (s->handle == h)
			return s;
	return NULL;
}

static void so_add_point(struct fake_xe *f, struct fake_xe_syncobj *s, uint64_t v,
			 struct fake_xe_fence *fe)
{
	if (s->npts && s->pts[s->npts - 1].value >= v)
		f->unordered_points++;
	if (s->npts == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->pts = realloc(s->pts, s->cap * sizeof(*s->pts));
		if (!s->pts)
			abort();
	}
	s->pts[s->npts++] = (struct point){ v, fe };
	s->fence = fe;
}

/* The fence a wait for point @v of @s waits for, or NULL (-EINVAL). */
static struct fake_xe_fence *so_point(struct fake_xe *f, struct fake_xe_syncobj *s,
				      uint64_t v, enum fake_xe_rule *why)
{
	size_t last = SIZE_MAX, n = 0;
	struct fake_xe_fence *arr;

	if (!s->npts) {
		*why = FR_SYNC_NO_FENCE;
		return NULL;
	}
	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].value >= v && (last == SIZE_MAX || s->pts[i].value < s->pts[last].value))
			last = i;
	if (last == SIZE_MAX) {
		*why = FR_SYNC_POINT_PENDING;
		return NULL;
	}
	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].value <= s->pts[last].value && !fence_state(s->pts[i].fence))
			n++;
	if (n <= 1 && !fence_state(s->pts[last].fence))
		return s->pts[last].fence;
	if (!n)
		return s->pts[last].fence;
	arr = fence_new(f, 0);
	arr->deps = zalloc(n * sizeof(*arr->deps));
	for (size_t i = 0; i < s->npts; i++)
		if (s->pts[i].value <= s->pts[last].value && !fence_state(s->pts[i].fence))
			arr->deps[arr->ndeps++] = s->pts[i].fence;
	return arr;
}

/* ---- page tables ---- */

static struct fake_xe_vm *vm_find(struct fake_xe *f, uint32_t id)
{
	for (struct fake_xe_vm *v = f->vms; v; v = v->next)
		if (v->id == id)
			return v;
	return NULL;
}

static void ext_push(struct table *t, struct extent e)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->ext = realloc(t->ext, t->cap * sizeof(*t->ext));
		if (!t->ext)
			abort();
	}
	t->ext[t->n++] = e;
}

static void pt_unmap(struct table *t, uint64_t start, uint64_t size)
{
	struct extent *old = t->ext;
	size_t n = t->n;
	uint64_t end = start + size;

	t->ext = NULL;
	t->n = t->cap = 0;
	for (size_t i = 0; i < n; i++) {
		struct extent e = old[i];
		uint64_t ee = e.start + e.size;

		if (ee <= start || e.start >= end) {
			ext_push(t, e);
			continue;
		}
		if (e.start < start)
			ext_push(t, (struct extent){ e.start, start - e.start, e.pte });
		if (ee > end) {
			struct extent r = { end, ee - end, e.pte };

			if (r.pte.kind == FAKE_PTE_BO || r.pte.kind == FAKE_PTE_USERPTR)
				r.pte.offset += end - e.start;
			ext_push(t, r);
		}
	}
	free(old);
}

static void pt_map(struct table *t, uint64_t start, uint64_t size, struct fake_xe_pte pte)
{
	size_t i;

	pt_unmap(t, start, size);
	ext_push(t, (struct extent){ 0 });
	for (i = t->n - 1; i > 0 && t->ext[i - 1].start > start; i--)
		t->ext[i] = t->ext[i - 1];
	t->ext[i] = (struct extent){ start, size, pte };
}

static void pt_unmap_obj(struct table *t, uint32_t obj)
{
	size_t j = 0;

	for (size_t i = 0; i < t->n; i++)
		if (!(t->ext[i].pte.kind == FAKE_PTE_BO && t->ext[i].pte.obj == obj))
			t->ext[j++] = t->ext[i];
	t->n = j;
}

static void table_copy(struct table *dst, const struct table *src)
{
	dst->n = dst->cap = src->n;
	dst->ext = malloc((src->n ? src->n : 1) * sizeof(*dst->ext));
	if (!dst->ext)
		abort();
	if (src->n)
		memcpy(dst->ext, src->ext, src->n * sizeof(*dst->ext));
}

/* One bind op applied to @t. */
static void apply_op(struct table *t, const struct drm_xe_vm_bind_op *op)
{
	struct fake_xe_pte pte = { .read_only = op->flags & DRM_XE_VM_BIND_FLAG_READONLY,
				   .pat_index = op->pat_index };

	switch (op->op) {
	case DRM_XE_VM_BIND_OP_MAP:
		if (op->flags & DRM_XE_VM_BIND_FLAG_NULL) {
			pte.kind = FAKE_PTE_NULL;
		} else {
			pte.kind = FAKE_PTE_BO;
			pte.obj = op->obj;
			pte.offset = op->obj_offset;
		}
		pt_map(t, op->addr, op->range, pte);
		break;
	case DRM_XE_VM_BIND_OP_MAP_USERPTR:
		pte.kind = FAKE_PTE_USERPTR;
		pte.offset = op->userptr;
		pt_map(t, op->addr, op->range, pte);
		break;
	case DRM_XE_VM_BIND_OP_UNMAP:
		pt_unmap(t, op->addr, op->range);
		break;
	case DRM_XE_VM_BIND_OP_UNMAP_ALL:
		pt_unmap_obj(t, op->obj);
		break;
	default:		/* PREFETCH: nothing a GPU sees */
		break;
	}
}

/* ---- jobs ---- */

static void job_free(struct job *j)
{
	free(j->ops);
	free(j->in);
	free(j);
}

static void run_job(struct fake_xe *f, struct job *j)
{
	struct fake_xe_vm *vm = vm_find(f, j->vm_id);

	if (!vm) {		/* the VM went away first */
		j->out->state = -ECANCELED;
		f->jobs_failed++;
		return;
	}
	for (size_t i = 0; i < j->nops; i++) {
		apply_op(&vm->pt, &j->ops[i]);
		f->ops_run++;
	}
	j->out->state = 1;
	f->jobs_run++;
}

static bool job_ready(struct job *j)
{
	for (size_t i = 0; i < j->nin; i++)
		if (!fence_state(j->in[i]))
			return false;
	return true;
}

/* One ready job at the head of @q, if there is one. */
static bool run_head(struct fake_xe *f, struct fake_xe_queue *q)
{
	struct job *j = q->head;

	if (!j || !job_ready(j))
		return false;
	q->head = j->next;
	if (!q->head)
		q->tail = NULL;
	run_job(f, j);
	job_free(j);
	return true;
}

static bool run_queue(struct fake_xe *f, struct fake_xe_queue *q)
{
	bool ran = false;

	while (run_head(f, q))
		ran = true;
	return ran;
}

static void cancel_queue(struct fake_xe *f, struct fake_xe_queue *q, int err)
{
	while (q->head) {
		struct job *j = q->head;

		q->head = j->next;
		j->out->state = err;
		f->jobs_failed++;
		job_free(j);
	}
	q->tail = NULL;
}

static void pass_exports(struct fake_xe *f)
{
	struct fake_xe_export **pp = &f->exports;

	while (*pp) {
		struct fake_xe_export *e = *pp;
		int st = fence_state(e->fence);

		if (!st) {
			pp = &e->next;
			continue;
		}
		/* No reader left (the fence went, or signalled and closed
		 * its descriptor): nobody to tell. */
		if (st > 0 && write(e->wfd, "s", 1) != 1 && errno != EPIPE)
			abort();
		close(e->wfd);		/* with nothing written: a hang-up, the error */
		*pp = e->next;
		free(e);
		f->exports_live--;
	}
}

static void progress(struct fake_xe *f)
{
	bool again = !f->paused;

	while (again) {
		again = false;
		for (struct fake_xe_queue *q = f->queues; q; q = q->next)
			again |= run_queue(f, q);
		for (struct fake_xe_vm *v = f->vms; v; v = v->next)
			again |= run_queue(f, &v->defq);
	}
	pass_exports(f);
}

/* ---- VM, queue, BO ---- */

static int vm_create(struct fake_xe *f, struct drm_xe_vm_create *a)
{
	const uint32_t all = DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE | DRM_XE_VM_CREATE_FLAG_LR_MODE |
			     DRM_XE_VM_CREATE_FLAG_FAULT_MODE;
	struct fake_xe_vm *vm;

	if (a->extensions)
		return refuse(f, FR_VMC_EXTENSIONS, EINVAL);
	if ((a->flags & DRM_XE_VM_CREATE_FLAG_FAULT_MODE) && !f->plat->usm)
		return refuse(f, FR_VMC_FAULT_NO_USM, EINVAL);
	if (a->reserved[0] || a->reserved[1])
		return refuse(f, FR_VMC_RESERVED, EINVAL);
	if (a->flags & ~all)
		return refuse(f, FR_VMC_FLAGS, EINVAL);
	if ((a->flags & DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE) &&
	    (a->flags & DRM_XE_VM_CREATE_FLAG_FAULT_MODE))
		return refuse(f, FR_VMC_SCRATCH_FAULT, EINVAL);
	if (!(a->flags & DRM_XE_VM_CREATE_FLAG_LR_MODE) &&
	    (a->flags & DRM_XE_VM_CREATE_FLAG_FAULT_MODE))
		return refuse(f, FR_VMC_FAULT_NO_LR, EINVAL);
	vm = zalloc(sizeof(*vm));
	vm->id = ++f->next_vm;
	vm->flags = a->flags;
	f->last_vm_flags = a->flags;
	vm->size = 1ull << f->plat->va_bits;
	vm->next = f->vms;
	f->vms = vm;
	f->vms_live++;
	a->vm_id = vm->id;
	return 0;
}

static int vm_destroy(struct fake_xe *f, struct drm_xe_vm_destroy *a)
{
	struct fake_xe_vm **pp = &f->vms;

	if (a->pad || a->reserved[0] || a->reserved[1])
		return refuse(f, FR_VMD_PAD, EINVAL);
	while (*pp && (*pp)->id != a->vm_id)
		pp = &(*pp)->next;
	if (!*pp)
		return refuse(f, FR_VMD_UNKNOWN, ENOENT);
	struct fake_xe_vm *vm = *pp;

	*pp = vm->next;
	cancel_queue(f, &vm->defq, -ECANCELED);
	free(vm->pt.ext);
	free(vm->va.ext);
	free(vm);
	f->vms_live--;
	return 0;
}

static int queue_create(struct fake_xe *f, struct drm_xe_exec_queue_create *a)
{
	const struct drm_xe_engine_class_instance *eci = (const void *)(uintptr_t)a->instances;
	unsigned int len = (unsigned int)a->width * a->num_placements;
	struct fake_xe_queue *q;
	bool bind;

	if (a->flags || a->reserved[0] || a->reserved[1])
		return refuse(f, FR_QC_FLAGS, EINVAL);
	if (!len || len > 9)
		return refuse(f, FR_QC_LEN, EINVAL);
	if (!eci)
		return refuse(f, FR_QC_INSTANCES, EFAULT);
	if (eci[0].gt_id >= f->plat->gt_count)
		return refuse(f, FR_QC_GT, EINVAL);
	bind = eci[0].engine_class == DRM_XE_ENGINE_CLASS_VM_BIND;
	if (bind && (a->width != 1 || a->num_placements != 1 || eci[0].engine_instance != 0))
		return refuse(f, FR_QC_BIND_SHAPE, EINVAL);
	if (a->extensions)
		return refuse(f, FR_QC_EXTENSIONS, EINVAL);
	if (!bind) {
		if (eci[0].engine_class > DRM_XE_ENGINE_CLASS_COMPUTE || eci[0].engine_instance)
			return refuse(f, FR_QC_ENGINE, EINVAL);
		if (!vm_find(f, a->vm_id))
			return refuse(f, FR_QC_VM, ENOENT);
	}
	q = zalloc(sizeof(*q));
	q->id = ++f->next_queue;
	q->bind = bind;
	q->next = f->queues;
	f->queues = q;
	f->queues_live++;
	a->exec_queue_id = q->id;
	return 0;
}

static struct fake_xe_queue *queue_find(struct fake_xe *f, uint32_t id)
{
	for (struct fake_xe_queue *q = f->queues; q; q = q->next)
		if (q->id == id)
			return q;
	return NULL;
}

static int queue_destroy(struct fake_xe *f, struct drm_xe_exec_queue_destroy *a)
{
	struct fake_xe_queue **pp = &f->queues;

	if (a->pad || a->reserved[0] || a->reserved[1])
		return refuse(f, FR_QD_PAD, EINVAL);
	while (*pp && (*pp)->id != a->exec_queue_id)
		pp = &(*pp)->next;
	if (!*pp)
		return refuse(f, FR_QD_UNKNOWN, ENOENT);
	struct fake_xe_queue *q = *pp;

	*pp = q->next;
	cancel_queue(f, q, -ECANCELED);
	free(q);
	f->queues_live--;
	return 0;
}

static struct fake_xe_bo *bo_find(struct fake_xe *f, uint32_t h)
{
	for (struct fake_xe_bo *b = f->bos; b; b = b->next)
		if (b->handle == h)
			return b;
	return NULL;
}

static int gem_create(struct fake_xe *f, struct drm_xe_gem_create *a)
{
	uint32_t regions = f->plat->vram ? 3u : 1u;
	const uint32_t flags = DRM_XE_GEM_CREATE_FLAG_DEFER_BACKING | DRM_XE_GEM_CREATE_FLAG_SCANOUT |
			       DRM_XE_GEM_CREATE_FLAG_NEEDS_VISIBLE_VRAM;
	bool vram = a->placement & 2u;
	struct fake_xe_bo *b;

	if (a->extensions || a->pad[0] || a->pad[1] || a->pad[2] || a->reserved[0] || a->reserved[1])
		return refuse(f, FR_GEM_MBZ, EINVAL);
	if ((a->placement & ~regions) || !a->placement)
		return refuse(f, FR_GEM_PLACEMENT, EINVAL);
	if (a->flags & ~flags)
		return refuse(f, FR_GEM_FLAGS, EINVAL);
	if (a->handle)
		return refuse(f, FR_GEM_HANDLE, EINVAL);
	if (!a->size || (a->size & 0xfff))
		return refuse(f, FR_GEM_SIZE, EINVAL);
	if ((a->flags & DRM_XE_GEM_CREATE_FLAG_NEEDS_VISIBLE_VRAM) && !vram)
		return refuse(f, FR_GEM_VISIBLE, EINVAL);
	if (!a->cpu_caching || a->cpu_caching > DRM_XE_GEM_CPU_CACHING_WC)
		return refuse(f, FR_GEM_CACHING, EINVAL);
	if (vram && a->cpu_caching == DRM_XE_GEM_CPU_CACHING_WB)
		return refuse(f, FR_GEM_VRAM_WB, EINVAL);
	if ((a->flags & DRM_XE_GEM_CREATE_FLAG_SCANOUT) && a->cpu_caching == DRM_XE_GEM_CPU_CACHING_WB)
		return refuse(f, FR_GEM_SCANOUT_WB, EINVAL);
	if (a->vm_id && !vm_find(f, a->vm_id))
		return refuse(f, FR_GEM_VM, ENOENT);
	if (vram && f->plat->need64k && (a->size & 0xffff))
		return refuse(f, FR_GEM_SIZE_64K, EINVAL);
	b = zalloc(sizeof(*b));
	b->handle = ++f->next_bo;
	b->size = a->size;
	b->vram = vram;
	b->caching = a->cpu_caching;
	b->next = f->bos;
	f->bos = b;
	a->handle = b->handle;
	return 0;
}

/* ---- VM_BIND ---- */

static int check_op(struct fake_xe *f, const struct drm_xe_vm_bind_op *o)
{
	uint32_t regions = f->plat->vram ? 3u : 1u;
	const uint32_t supported = DRM_XE_VM_BIND_FLAG_READONLY | DRM_XE_VM_BIND_FLAG_IMMEDIATE |
				   DRM_XE_VM_BIND_FLAG_NULL | DRM_XE_VM_BIND_FLAG_DUMPABLE;
	bool is_null = o->flags & DRM_XE_VM_BIND_FLAG_NULL;
	uint32_t region = o->prefetch_mem_region_instance;
	unsigned int coh;

	if (o->pat_index >= f->plat->pat_entries)
		return refuse(f, FR_OP_PAT_RANGE, EINVAL);
	coh = f->plat->coh[o->pat_index];
	if (!coh)
		return refuse(f, FR_OP_PAT_RESERVED, EINVAL);
	if (o->op > DRM_XE_VM_BIND_OP_PREFETCH)
		return refuse(f, FR_OP_OP, EINVAL);
	if (o->flags & ~supported)
		return refuse(f, FR_OP_FLAGS, EINVAL);
	if (o->obj && is_null)
		return refuse(f, FR_OP_NULL_OBJ, EINVAL);
	if (o->obj_offset && is_null)
		return refuse(f, FR_OP_NULL_OFFSET, EINVAL);
	if (o->op != DRM_XE_VM_BIND_OP_MAP && is_null)
		return refuse(f, FR_OP_NULL_NOT_MAP, EINVAL);
	if (!o->obj && o->op == DRM_XE_VM_BIND_OP_MAP && !is_null)
		return refuse(f, FR_OP_MAP_NO_OBJ, EINVAL);
	if (!o->obj && o->op == DRM_XE_VM_BIND_OP_UNMAP_ALL)
		return refuse(f, FR_OP_UNMAP_ALL_NO_OBJ, EINVAL);
	if (o->addr && o->op == DRM_XE_VM_BIND_OP_UNMAP_ALL)
		return refuse(f, FR_OP_UNMAP_ALL_ADDR, EINVAL);
	if (o->range && o->op == DRM_XE_VM_BIND_OP_UNMAP_ALL)
		return refuse(f, FR_OP_UNMAP_ALL_RANGE, EINVAL);
	if (o->obj && o->op == DRM_XE_VM_BIND_OP_MAP_USERPTR)
		return refuse(f, FR_OP_USERPTR_OBJ, EINVAL);
	if (coh == COH_NONE && o->op == DRM_XE_VM_BIND_OP_MAP_USERPTR)
		return refuse(f, FR_OP_USERPTR_COH, EINVAL);
	if (o->obj && o->op == DRM_XE_VM_BIND_OP_PREFETCH)
		return refuse(f, FR_OP_PREFETCH_OBJ, EINVAL);
	if (region && o->op != DRM_XE_VM_BIND_OP_PREFETCH)
		return refuse(f, FR_OP_PREFETCH_REGION, EINVAL);
	if (region >= 32 || !((1u << region) & regions))
		return refuse(f, FR_OP_REGION, EINVAL);
	if (o->obj && o->op == DRM_XE_VM_BIND_OP_UNMAP)
		return refuse(f, FR_OP_UNMAP_OBJ, EINVAL);
	if ((o->obj_offset & 0xfff) || (o->addr & 0xfff) || (o->range & 0xfff))
		return refuse(f, FR_OP_ALIGN, EINVAL);
	if (!o->range && o->op != DRM_XE_VM_BIND_OP_UNMAP_ALL)
		return refuse(f, FR_OP_RANGE_ZERO, EINVAL);
	if (o->extensions || o->pad || o->pad2 || o->reserved[0] || o->reserved[1] || o->reserved[2])
		return refuse(f, FR_OP_MBZ, EINVAL);
	return 0;
}

static int check_bo(struct fake_xe *f, const struct drm_xe_vm_bind_op *o)
{
	struct fake_xe_bo *b = bo_find(f, o->obj);

	if (!b)
		return refuse(f, FR_OP_OBJ_UNKNOWN, ENOENT);
	if (o->range > b->size || o->obj_offset > b->size - o->range)
		return refuse(f, FR_BO_TOO_SMALL, EINVAL);
	if (b->vram && f->plat->need64k &&
	    ((o->obj_offset & 0xffff) || (o->addr & 0xffff) || (o->range & 0xffff)))
		return refuse(f, FR_BO_64K, EINVAL);
	if (f->plat->coh[o->pat_index] == COH_NONE && b->caching == DRM_XE_GEM_CPU_CACHING_WB)
		return refuse(f, FR_BO_COH_WB, EINVAL);
	if (f->plat->coh[o->pat_index] == COH_NONE && !b->caching)
		return refuse(f, FR_BO_COH_IMPORT, EINVAL);
	return 0;
}

/*
 * Whether op @o cuts a mapping of a VRAM object in @t (the kernel's view)
 * at an address that is not 64 KiB aligned on a NEED64K device.  The
 * kernel's REMAP keeps the parts outside the op and binds them again
 * unless their cut end is aligned to the old mapping's largest page
 * (vm_bind_ioctl_ops_parse(), skip_prev/skip_next); a VRAM object there
 * must be bound with 64 KiB pages, which a piece ending inside one cannot
 * be (xe_pt_stage_bind_entry(): -EINVAL, after a kernel WARN).
 */
static bool cuts_64k(struct fake_xe *f, const struct table *t, const struct drm_xe_vm_bind_op *o)
{
	uint64_t s = o->addr, e = o->addr + o->range;

	if (!f->plat->need64k || (o->op != DRM_XE_VM_BIND_OP_MAP &&
				  o->op != DRM_XE_VM_BIND_OP_MAP_USERPTR &&
				  o->op != DRM_XE_VM_BIND_OP_UNMAP))
		return false;
	for (size_t i = 0; i < t->n; i++) {
		const struct extent *x = &t->ext[i];
		uint64_t xe = x->start + x->size;
		struct fake_xe_bo *b;

		if (xe <= s || x->start >= e || x->pte.kind != FAKE_PTE_BO)
			continue;
		b = bo_find(f, x->pte.obj);
		if (b && b->vram && ((x->start < s && (s & 0xffff)) || (xe > e && (e & 0xffff))))
			return true;
	}
	return false;
}

struct parsed_sync {
	struct fake_xe_syncobj *so;
	struct fake_xe_fence *in;	/* an in-sync's fence */
	bool signal, timeline;
	uint64_t value;
};

static int parse_sync(struct fake_xe *f, const struct drm_xe_sync *s, bool lr,
		      struct parsed_sync *out)
{
	bool signal = s->flags & DRM_XE_SYNC_FLAG_SIGNAL;
	enum fake_xe_rule why = FR_NONE;

	memset(out, 0, sizeof(*out));
	if (s->flags & ~DRM_XE_SYNC_FLAG_SIGNAL)
		return refuse(f, FR_SYNC_FLAGS, EINVAL);
	if (s->reserved[0] || s->reserved[1])
		return refuse(f, FR_SYNC_RESERVED, EINVAL);
	switch (s->type) {
	case DRM_XE_SYNC_TYPE_SYNCOBJ:
	case DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ:
		out->timeline = s->type == DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ;
		if (lr && signal)
			return refuse(f, FR_SYNC_LR_SIGNAL, EOPNOTSUPP);
		if (s->addr >> 32)
			return refuse(f, FR_SYNC_HANDLE_HIGH, EINVAL);
		if (out->timeline && !s->timeline_value)
			return refuse(f, FR_SYNC_POINT_ZERO, EINVAL);
		out->so = so_find(f, s->handle);
		if (!out->so)
			return refuse(f, FR_SYNC_UNKNOWN, ENOENT);
		out->signal = signal;
		out->value = s->timeline_value;
		if (signal)
			return 0;
		if (!out->timeline) {
			out->in = out->so->fence;
			if (!out->in)
				return refuse(f, FR_SYNC_NO_FENCE, EINVAL);
			return 0;
		}
		if (!out->so->fence)
			return refuse(f, FR_SYNC_NO_FENCE, EINVAL);
		out->in = so_point(f, out->so, s->timeline_value, &why);
		if (!out->in)
			return refuse(f, why, EINVAL);
		return 0;
	case DRM_XE_SYNC_TYPE_USER_FENCE:
		return refuse(f, FR_SYNC_UFENCE, EOPNOTSUPP);
	default:
		return refuse(f, FR_SYNC_TYPE, EINVAL);
	}
}

static int vm_bind(struct fake_xe *f, struct drm_xe_vm_bind *a)
{
	const struct drm_xe_vm_bind_op *ops;
	const struct drm_xe_sync *syncs = (const void *)(uintptr_t)a->syncs;
	struct parsed_sync *ps = NULL;
	struct fake_xe_queue *q = NULL;
	struct fake_xe_vm *vm;
	struct table va;
	struct job *j;
	int err;

	f->vm_binds++;
	if (a->pad || a->pad2 || a->reserved[0] || a->reserved[1])
		return refuse(f, FR_BIND_PAD, EINVAL);
	if (a->extensions)
		return refuse(f, FR_BIND_EXTENSIONS, EINVAL);
	if (a->num_syncs > DRM_XE_MAX_SYNCS)
		return refuse(f, FR_BIND_NUM_SYNCS, EINVAL);
	if (a->num_binds > 1 && !a->vector_of_binds)
		return refuse(f, FR_BIND_VECTOR, EFAULT);
	ops = a->num_binds > 1 ? (const void *)(uintptr_t)a->vector_of_binds : &a->bind;
	for (uint32_t i = 0; i < a->num_binds; i++) {
		err = check_op(f, &ops[i]);
		if (err)
			return err;
	}
	if (a->exec_queue_id) {
		q = queue_find(f, a->exec_queue_id);
		if (!q)
			return refuse(f, FR_BIND_QUEUE_UNKNOWN, ENOENT);
		if (!q->bind)
			return refuse(f, FR_BIND_QUEUE_NOT_BIND, EINVAL);
	}
	vm = vm_find(f, a->vm_id);
	if (!vm)
		return refuse(f, FR_BIND_VM_UNKNOWN, EINVAL);
	if (!q)
		q = &vm->defq;
	for (uint32_t i = 0; i < a->num_binds; i++)
		if (ops[i].range > vm->size || ops[i].addr > vm->size - ops[i].range)
			return refuse(f, FR_OP_VM_RANGE, EINVAL);
	for (uint32_t i = 0; i < a->num_binds; i++)
		if (ops[i].obj && (err = check_bo(f, &ops[i])))
			return err;
	if (a->num_syncs && !syncs)
		return refuse(f, FR_BIND_VECTOR, EFAULT);
	ps = zalloc(a->num_syncs * sizeof(*ps));
	for (uint32_t i = 0; i < a->num_syncs; i++) {
		err = parse_sync(f, &syncs[i], vm->flags & DRM_XE_VM_CREATE_FLAG_LR_MODE, &ps[i]);
		if (err) {
			free(ps);
			return err;
		}
	}
	/* The kernel splits and rebinds what the ops cut (its gpuvm is
	 * updated here, at the ioctl; the page table when the job runs). */
	table_copy(&va, &vm->va);
	for (uint32_t i = 0; i < a->num_binds; i++) {
		if (cuts_64k(f, &va, &ops[i])) {
			free(va.ext);
			free(ps);
			return refuse(f, FR_REMAP_64K, EINVAL);
		}
		apply_op(&va, &ops[i]);
	}
	free(vm->va.ext);
	vm->va = va;
	/* Accepted: the job waits for the in-syncs and its queue. */
	j = zalloc(sizeof(*j));
	j->vm_id = vm->id;
	j->nops = a->num_binds;
	j->ops = zalloc(j->nops * sizeof(*j->ops));
	memcpy(j->ops, ops, j->nops * sizeof(*j->ops));
	j->in = zalloc(a->num_syncs * sizeof(*j->in));
	for (uint32_t i = 0; i < a->num_syncs; i++)
		if (ps[i].in)
			j->in[j->nin++] = ps[i].in;
	j->out = fence_new(f, 0);
	for (uint32_t i = 0; i < a->num_syncs; i++) {
		if (!ps[i].signal)
			continue;
		if (ps[i].timeline)
			so_add_point(f, ps[i].so, ps[i].value, j->out);
		else
			ps[i].so->fence = j->out;
	}
	free(ps);
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	f->binds_ok++;
	f->last_bind = *a;
	memcpy(f->last_ops, ops, (a->num_binds < 64 ? a->num_binds : 64) * sizeof(*ops));
	memcpy(f->last_syncs, syncs, (a->num_syncs < 16 ? a->num_syncs : 16) * sizeof(*syncs));
	return 0;
}

/* ---- DEVICE_QUERY ---- */

static int device_query(struct fake_xe *f, struct drm_xe_device_query *a)
{
	const uint32_t n = f->config_params ? f->config_params :
			   DRM_XE_QUERY_CONFIG_MAX_EXEC_QUEUE_PRIORITY + 1;
	const uint32_t size = sizeof(struct drm_xe_query_config) + n * sizeof(uint64_t);
	struct drm_xe_query_config *c = (void *)(uintptr_t)a->data;

	if (a->extensions || a->reserved[0] || a->reserved[1])
		return refuse(f, FR_QUERY_MBZ, EINVAL);
	if (a->query != DRM_XE_DEVICE_QUERY_CONFIG)
		return refuse(f, FR_QUERY_UNKNOWN, EINVAL);
	if (!a->size) {
		a->size = size;
		return 0;
	}
	if (a->size != size)
		return refuse(f, FR_QUERY_SIZE, EINVAL);
	if (!c)
		return -EFAULT;
	memset(c, 0, size);
	c->num_params = n;
	c->info[DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID] = f->plat->devid;
	c->info[DRM_XE_QUERY_CONFIG_FLAGS] = f->plat->vram ? DRM_XE_QUERY_CONFIG_FLAG_HAS_VRAM : 0;
	if (n > DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT)	/* a short answer: a test's */
		c->info[DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT] =
			f->config_min_align ? f->config_min_align :
			f->plat->need64k ? 0x10000 : 0x1000;
	if (n > DRM_XE_QUERY_CONFIG_VA_BITS)
		c->info[DRM_XE_QUERY_CONFIG_VA_BITS] = f->plat->va_bits;
	if (n > DRM_XE_QUERY_CONFIG_MAX_EXEC_QUEUE_PRIORITY)
		c->info[DRM_XE_QUERY_CONFIG_MAX_EXEC_QUEUE_PRIORITY] = 2;
	return 0;
}

/* ---- syncobj ioctls ---- */

static int so_create(struct fake_xe *f, struct drm_syncobj_create *a)
{
	struct fake_xe_syncobj *s;

	if (a->flags & ~DRM_SYNCOBJ_CREATE_SIGNALED)
		return refuse(f, FR_SO_CREATE_FLAGS, EINVAL);
	s = zalloc(sizeof(*s));
	s->handle = ++f->next_syncobj;
	if (a->flags & DRM_SYNCOBJ_CREATE_SIGNALED)
		s->fence = fence_new(f, 1);
	s->next = f->syncobjs;
	f->syncobjs = s;
	f->syncobjs_live++;
	f->syncobj_creates++;
	a->handle = s->handle;
	return 0;
}

static void so_free(struct fake_xe_syncobj *s)
{
	free(s->pts);
	free(s);
}

static int so_destroy(struct fake_xe *f, struct drm_syncobj_destroy *a)
{
	struct fake_xe_syncobj **pp = &f->syncobjs;

	if (a->pad)
		return refuse(f, FR_SO_PAD, EINVAL);
	while (*pp && (*pp)->handle != a->handle)
		pp = &(*pp)->next;
	if (!*pp)
		return refuse(f, FR_SO_UNKNOWN, EINVAL);
	struct fake_xe_syncobj *s = *pp;

	*pp = s->next;
	so_free(s);
	f->syncobjs_live--;
	f->syncobj_destroys++;
	return 0;
}

static int so_fd_to_handle(struct fake_xe *f, struct drm_syncobj_handle *a)
{
	struct fake_xe_syncobj *s;
	struct fake_xe_fence *fe;
	int fd;

	if (a->pad)
		return refuse(f, FR_SO_PAD, EINVAL);
	if (a->flags && a->flags != DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE)
		return refuse(f, FR_SO_FD_FLAGS, EINVAL);
	if (!a->flags)
		return refuse(f, FR_SO_SYNCOBJ_FD, EOPNOTSUPP);
	if (a->fd < 0 || fcntl(a->fd, F_GETFD) < 0)
		return refuse(f, FR_SO_NOT_SYNC_FILE, EINVAL);
	s = so_find(f, a->handle);
	if (!s)
		return refuse(f, FR_SO_UNKNOWN, ENOENT);
	fd = fcntl(a->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	fe = fence_new(f, 0);
	fe->ext_fd = fd;
	s->fence = fe;
	f->imports++;
	return 0;
}

static int so_handle_to_fd(struct fake_xe *f, struct drm_syncobj_handle *a)
{
	struct fake_xe_syncobj *s;
	struct fake_xe_export *e;
	int p[2];

	if (a->pad)
		return refuse(f, FR_SO_PAD, EINVAL);
	if (a->flags && a->flags != DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
		return refuse(f, FR_SO_FD_FLAGS, EINVAL);
	if (!a->flags)
		return refuse(f, FR_SO_SYNCOBJ_FD, EOPNOTSUPP);
	s = so_find(f, a->handle);
	if (!s)
		return refuse(f, FR_SO_UNKNOWN, ENOENT);
	if (!s->fence)
		return refuse(f, FR_SO_EXPORT_NO_FENCE, EINVAL);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	e = zalloc(sizeof(*e));
	e->wfd = p[1];
	e->fence = s->fence;
	e->next = f->exports;
	f->exports = e;
	f->exports_live++;
	a->fd = p[0];
	return 0;
}

static int so_transfer(struct fake_xe *f, struct drm_syncobj_transfer *a)
{
	struct fake_xe_syncobj *dst, *src;
	struct fake_xe_fence *fe;
	enum fake_xe_rule why = FR_NONE;

	if (a->pad)
		return refuse(f, FR_SO_PAD, EINVAL);
	dst = so_find(f, a->dst_handle);
	if (!dst)
		return refuse(f, FR_SO_UNKNOWN, ENOENT);
	src = so_find(f, a->src_handle);
	if (!src)
		return refuse(f, FR_SO_UNKNOWN, ENOENT);
	if (a->flags & ~DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
		return refuse(f, FR_SO_TRANSFER_FLAGS, EINVAL);
	if (a->src_point) {
		fe = src->fence ? so_point(f, src, a->src_point, &why) : NULL;
	} else {
		fe = src->fence;
	}
	if (!fe)
		return refuse(f, FR_SO_TRANSFER_NO_FENCE, EINVAL);
	if (a->dst_point)
		so_add_point(f, dst, a->dst_point, fe);
	else
		dst->fence = fe;
	return 0;
}

static int so_signal(struct fake_xe *f, struct drm_syncobj_array *a)
{
	const uint32_t *h = (const void *)(uintptr_t)a->handles;

	if (a->pad)
		return refuse(f, FR_SO_PAD, EINVAL);
	if (!a->count_handles)
		return refuse(f, FR_SO_COUNT, EINVAL);
	for (uint32_t i = 0; i < a->count_handles; i++)
		if (!so_find(f, h[i]))
			return refuse(f, FR_SO_UNKNOWN, ENOENT);
	for (uint32_t i = 0; i < a->count_handles; i++)
		so_find(f, h[i])->fence = fence_new(f, 1);
	return 0;
}

static int so_timeline_signal(struct fake_xe *f, struct drm_syncobj_timeline_array *a)
{
	const uint32_t *h = (const void *)(uintptr_t)a->handles;
	const uint64_t *pts = (const void *)(uintptr_t)a->points;

	if (a->flags)
		return refuse(f, FR_SO_SIGNAL_FLAGS, EINVAL);
	if (!a->count_handles)
		return refuse(f, FR_SO_COUNT, EINVAL);
	for (uint32_t i = 0; i < a->count_handles; i++)
		if (!so_find(f, h[i]))
			return refuse(f, FR_SO_UNKNOWN, ENOENT);
	for (uint32_t i = 0; i < a->count_handles; i++) {
		struct fake_xe_syncobj *s = so_find(f, h[i]);

		if (pts[i])
			so_add_point(f, s, pts[i], fence_new(f, 1));
		else
			s->fence = fence_new(f, 1);
	}
	return 0;
}

/* ---- the seam ---- */

static int dispatch(struct fake_xe *f, unsigned long req, void *arg)
{
	switch (req) {
	case DRM_IOCTL_XE_VM_CREATE: return vm_create(f, arg);
	case DRM_IOCTL_XE_VM_DESTROY: return vm_destroy(f, arg);
	case DRM_IOCTL_XE_EXEC_QUEUE_CREATE: return queue_create(f, arg);
	case DRM_IOCTL_XE_EXEC_QUEUE_DESTROY: return queue_destroy(f, arg);
	case DRM_IOCTL_XE_GEM_CREATE: return gem_create(f, arg);
	case DRM_IOCTL_XE_VM_BIND: return vm_bind(f, arg);
	case DRM_IOCTL_XE_DEVICE_QUERY: return device_query(f, arg);
	case DRM_IOCTL_SYNCOBJ_CREATE: return so_create(f, arg);
	case DRM_IOCTL_SYNCOBJ_DESTROY: return so_destroy(f, arg);
	case DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: return so_fd_to_handle(f, arg);
	case DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: return so_handle_to_fd(f, arg);
	case DRM_IOCTL_SYNCOBJ_TRANSFER: return so_transfer(f, arg);
	case DRM_IOCTL_SYNCOBJ_SIGNAL: return so_signal(f, arg);
	case DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL: return so_timeline_signal(f, arg);
	default: return refuse(f, FR_UNKNOWN_IOCTL, ENOTTY);
	}
}

static int call(struct fake_xe *f, int fd, unsigned long req, void *arg)
{
	int err;

	f->calls++;
	if (fd != FAKE_XE_FD)
		return refuse(f, FR_BAD_FD, EBADF);
	if (f->gone)
		return refuse(f, FR_GONE, ENODEV);
	if (f->wedged)
		return refuse(f, FR_WEDGED, ECANCELED);
	if (f->fail_nth && f->fail_req == req && --f->fail_nth == 0) {
		if (req == DRM_IOCTL_XE_VM_BIND)
			f->vm_binds++;
		return refuse(f, FR_INJECTED, f->fail_errno);
	}
	err = dispatch(f, req, arg);
	progress(f);
	return err;
}

int fake_xe_ioctl(struct fake_xe *f, unsigned long req, void *arg)
{
	int err;

	pthread_mutex_lock(&f->lock);
	err = call(f, FAKE_XE_FD, req, arg);
	pthread_mutex_unlock(&f->lock);
	return err;
}

static int sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_xe *f = ctx;
	int err;

	pthread_mutex_lock(&f->lock);
	err = call(f, fd, req, arg);
	pthread_mutex_unlock(&f->lock);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return err;
}

struct xe_sys fake_xe_sys(struct fake_xe *f)
{
	return (struct xe_sys){ .ctx = f, .ioctl = sys_ioctl };
}

void fake_xe_init(struct fake_xe *f, const struct fake_xe_platform *plat)
{
	/* Writing to a sync_file pipe whose readers are gone must not kill
	 * the test (a real sync_file has no such writer). */
	signal(SIGPIPE, SIG_IGN);
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->plat = plat;
}

static void *poller(void *arg)
{
	struct fake_xe *f = arg;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		if (f->thread_stop) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		progress(f);
		pthread_mutex_unlock(&f->lock);
		usleep(100);
	}
}

void fake_xe_start_thread(struct fake_xe *f)
{
	if (!f->thread_on && !pthread_create(&f->thread, NULL, poller, f))
		f->thread_on = true;
}

void fake_xe_fini(struct fake_xe *f)
{
	if (f->thread_on) {
		pthread_mutex_lock(&f->lock);
		f->thread_stop = true;
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	while (f->queues) {
		struct fake_xe_queue *q = f->queues;

		f->queues = q->next;
		cancel_queue(f, q, -ECANCELED);
		free(q);
	}
	while (f->vms) {
		struct fake_xe_vm *v = f->vms;

		f->vms = v->next;
		cancel_queue(f, &v->defq, -ECANCELED);
		free(v->pt.ext);
		free(v->va.ext);
		free(v);
	}
	pass_exports(f);		/* every fence has an outcome now */
	while (f->syncobjs) {
		struct fake_xe_syncobj *s = f->syncobjs;

		f->syncobjs = s->next;
		so_free(s);
	}
	while (f->exports) {		/* imports still pending: hang up */
		struct fake_xe_export *e = f->exports;

		f->exports = e->next;
		close(e->wfd);
		free(e);
	}
	while (f->fences) {
		struct fake_xe_fence *fe = f->fences;

		f->fences = fe->next;
		if (fe->ext_fd >= 0)
			close(fe->ext_fd);
		free(fe->deps);
		free(fe);
	}
	while (f->bos) {
		struct fake_xe_bo *b = f->bos;

		f->bos = b->next;
		free(b);
	}
	pthread_mutex_destroy(&f->lock);
}

void fake_xe_poll(struct fake_xe *f)
{
	pthread_mutex_lock(&f->lock);
	progress(f);
	pthread_mutex_unlock(&f->lock);
}

void fake_xe_pause(struct fake_xe *f, bool paused)
{
	pthread_mutex_lock(&f->lock);
	f->paused = paused;
	progress(f);
	pthread_mutex_unlock(&f->lock);
}

unsigned int fake_xe_run(struct fake_xe *f, unsigned int max)
{
	unsigned int n = 0;
	bool ran = true;

	pthread_mutex_lock(&f->lock);
	while (n < max && ran) {
		unsigned int before = n;

		for (struct fake_xe_queue *q = f->queues; q && n < max; q = q->next)
			n += run_head(f, q);
		for (struct fake_xe_vm *v = f->vms; v && n < max; v = v->next)
			n += run_head(f, &v->defq);
		ran = n > before;
	}
	pass_exports(f);
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fake_xe_fail(struct fake_xe *f, unsigned long req, unsigned int nth, int err)
{
	pthread_mutex_lock(&f->lock);
	f->fail_req = req;
	f->fail_nth = nth;
	f->fail_errno = err;
	pthread_mutex_unlock(&f->lock);
}

void fake_xe_wedge(struct fake_xe *f)
{
	pthread_mutex_lock(&f->lock);
	f->wedged = true;
	for (struct fake_xe_queue *q = f->queues; q; q = q->next)
		cancel_queue(f, q, -ECANCELED);
	for (struct fake_xe_vm *v = f->vms; v; v = v->next)
		cancel_queue(f, &v->defq, -ECANCELED);
	pass_exports(f);
	pthread_mutex_unlock(&f->lock);
}

uint32_t fake_xe_bo(struct fake_xe *f, uint64_t size, bool vram)
{
	struct drm_xe_gem_create g = {
		.size = size, .placement = vram ? 2u : 1u,
		.cpu_caching = vram ? DRM_XE_GEM_CPU_CACHING_WC : DRM_XE_GEM_CPU_CACHING_WB,
	};

	return fake_xe_ioctl(f, DRM_IOCTL_XE_GEM_CREATE, &g) ? 0 : g.handle;
}

uint32_t fake_xe_bo_import(struct fake_xe *f, uint64_t size)
{
	struct fake_xe_bo *b = zalloc(sizeof(*b));

	pthread_mutex_lock(&f->lock);
	b->handle = ++f->next_bo;
	b->size = size;
	b->next = f->bos;
	f->bos = b;
	pthread_mutex_unlock(&f->lock);
	return b->handle;
}

unsigned int fake_xe_pending(struct fake_xe *f)
{
	unsigned int n = 0;

	pthread_mutex_lock(&f->lock);
	for (struct fake_xe_queue *q = f->queues; q; q = q->next)
		for (struct job *j = q->head; j; j = j->next)
			n++;
	for (struct fake_xe_vm *v = f->vms; v; v = v->next)
		for (struct job *j = v->defq.head; j; j = j->next)
			n++;
	pthread_mutex_unlock(&f->lock);
	return n;
}

int fake_xe_lookup(struct fake_xe *f, uint32_t vm_id, uint64_t addr, struct fake_xe_pte *out)
{
	struct fake_xe_vm *vm;
	int err = 0;

	pthread_mutex_lock(&f->lock);
	vm = vm_find(f, vm_id);
	memset(out, 0, sizeof(*out));
	if (!vm) {
		err = -ENOENT;
	} else {
		for (size_t i = 0; i < vm->pt.n; i++) {
			const struct extent *e = &vm->pt.ext[i];

			if (addr >= e->start && addr - e->start < e->size) {
				*out = e->pte;
				if (out->kind == FAKE_PTE_BO || out->kind == FAKE_PTE_USERPTR)
					out->offset += addr - e->start;
				break;
			}
		}
	}
	pthread_mutex_unlock(&f->lock);
	return err;
}

int fake_xe_extents(struct fake_xe *f, uint32_t vm_id)
{
	struct fake_xe_vm *vm;
	int n;

	pthread_mutex_lock(&f->lock);
	vm = vm_find(f, vm_id);
	n = vm ? (int)vm->pt.n : -1;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fake_xe_walk(struct fake_xe *f, uint32_t vm_id,
		  void (*fn)(void *arg, uint64_t start, uint64_t size,
			     const struct fake_xe_pte *pte),
		  void *arg)
{
	struct fake_xe_vm *vm;

	pthread_mutex_lock(&f->lock);
	vm = vm_find(f, vm_id);
	for (size_t i = 0; vm && i < vm->pt.n; i++)
		fn(arg, vm->pt.ext[i].start, vm->pt.ext[i].size, &vm->pt.ext[i].pte);
	pthread_mutex_unlock(&f->lock);
}
