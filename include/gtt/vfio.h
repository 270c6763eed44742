/* SPDX-License-Identifier: MIT */
/**
 * DOC: VFIO backend
 *
 * A backend whose page table is a GPU's GGTT, written through VFIO: the
 * device's BAR is mmapped, a scratch page is DMA-mapped through the IOMMU,
 * and the Intel GGTT code (the same the mock's Intel mode runs) writes the
 * entries with single aligned stores.  Buffers the GPU should see are
 * DMA-mapped with gtt_vfio_dma_map(); their IOVAs go into &struct gtt_pages.
 *
 * With a zero @window_size the device identifies itself: its PCI ID gives
 * the platform (gtt_intel_lookup()), its GGC register the GGTT size
 * (gtt_intel_ggtt_size()), and the window is BAR0 at the platform's
 * offset.  Otherwise the profile says which BAR holds the entry window,
 * where, and which platform's entry format to write (used to test on
 * devices that are not GPUs).  The MMIO registers are taken to start at
 * offset 0 of the same BAR (true of Intel's BAR0).
 *
 * After every bind and clear the vm calls the invalidate op, which writes
 * the platform's TLB invalidation registers (gtt_intel_ggtt_invalidation()).
 *
 * When the kernel wants the device back (hot unplug, unbinding vfio-pci)
 * it signals the device's request eventfd (gtt_vfio_request_fd()) and
 * waits until the device is closed; a device that goes away without
 * asking (surprise removal, a reset that disables its memory space) is
 * noticed by the posting read after each batch: the entry reads back wrong
 * and the config space reads all-ones or fails.  Either way every later op
 * returns -ENODEV without touching the BAR, and destroy skips the scratch
 * restore; destroying the backend is what lets the kernel finish.  A device that disappears in the
 * middle of a batch can still fault the process (SIGBUS on the BAR
 * mapping): the library installs no signal handlers.
 *
 * Destroying the backend writes scratch back into every entry it ever
 * wrote, unmaps everything and closes the device (once the PPGTTs made
 * from it are gone too).
 *
 * Thread safety: the backend ops follow the backend contract; create and
 * destroy must not race with anything.
 */
#ifndef GTT_VFIO_H
#define GTT_VFIO_H

#include <gtt/backend.h>
#include <gtt/common.h>
#include <gtt/intel.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct gtt_vfio_config - Which device, and how its GGTT is laid out.
 * @group: IOMMU group number (/dev/vfio/@group); unused with @iommufd.
 * @bdf: the device, e.g. "0000:00:02.0".
 * @bar: region index of the BAR holding the GGTT entries (0 on Intel).
 * @window_offset: offset of the entries in that BAR (8 MiB on gen8+).
 * @window_size: bytes of entries (the GGTT covers window_size / entry
 *	size pages); 0 to read everything from the device.
 * @family: platform whose GGTT entry format to write (ignored with a
 *	zero @window_size).
 * @force: also drive platforms where CPU GGTT writes are risky (MTL+).
 * @guc: GuC firmware runs on the device: also invalidate its TLB (see
 *	gtt_intel_ggtt_invalidation(); under bare vfio-pci it normally does not).
 * @iommufd: use the VFIO device cdev and /dev/iommu (Linux >= 6.6) instead
 *	of the group and container; @group is then ignored.  Only when
 *	libgtt was built with uAPI headers that have it (-EOPNOTSUPP
 *	otherwise); Debian 12's kernels have neither the headers nor
 *	CONFIG_IOMMUFD, so this path is tested against a fake kernel only.
 * @read_only: inspect only: nothing is written to the device (no scratch
 *	fill, no COMMAND register change, no restore); bind and clear fail
 *	with -EROFS, and so does gtt_vfio_reg_write().  The scratch page is
 *	taken to be what the last entry points at (i915 and xe keep the last
 *	page on scratch).
 * @regs_only: open the device and map BAR @bar for gtt_vfio_reg_read()
 *	and gtt_vfio_reg_write() only: no GGTT is attached, nothing is
 *	written at creation (no scratch page, no COMMAND register change),
 *	bind, clear and translate fail with -EOPNOTSUPP and no PPGTT can be
 *	made.  Any device will do; an Intel GPU is still identified (or
 *	@window_size and @family given), so that its entry window and its
 *	risk (@force) are known.  Taken from what was reserved[0]: zero
 *	keeps the old behaviour.
 * @reserved: zero (see common.h).
 */
struct gtt_vfio_config {
	int group;
	const char *bdf;
	unsigned int bar;
	uint64_t window_offset;
	uint64_t window_size;
	enum gtt_intel_family family;
	bool force;
	bool guc;
	bool iommufd;
	bool read_only;
	bool regs_only;
	uint64_t reserved[3];
};

/**
 * gtt_vfio_create() - Open the device and take over its GGTT.
 * @cfg: the configuration.
 * @out: receives the backend; its translate op walks the real table.
 *
 * Every entry is set to scratch first.  Return: 0, -EINVAL, -EPERM (a
 * risky platform without @force, or a group not viable), -ENODEV (not a
 * known Intel GPU and no profile, or the GGTT is disabled), -EOPNOTSUPP,
 * -ENOENT, -ENOMEM, or the VFIO error; gtt_last_error() says what to fix.
 */
GTT_API int gtt_vfio_create(const struct gtt_vfio_config *cfg,
			    struct gtt_backend **out);

/**
 * struct gtt_vfio_info - What a VFIO backend drives.
 * @platform: the platform whose entry format it writes (NULL with
 *	regs_only on a device that is not a known Intel GPU).
 * @group: IOMMU group.
 * @bar: BAR of the entry window.
 * @bar_size: its size.
 * @window_offset: offset of the entries in the BAR.
 * @window_size: bytes of entries (0 with regs_only when the device is not
 *	a known Intel GPU).
 * @ggtt_size: bytes of GPU address space the entries cover (0 with
 *	regs_only: no GGTT is attached).
 * @scratch_iova: the scratch page's IOVA (read-only: the page the last
 *	entry points at, or %UINT64_MAX).
 * @read_only: opened for inspection only.
 * @reserved: zero.
 */
struct gtt_vfio_info {
	const struct gtt_intel_platform *platform;
	int group;
	unsigned int bar;
	uint64_t bar_size;
	uint64_t window_offset;
	uint64_t window_size;
	uint64_t ggtt_size;
	uint64_t scratch_iova;
	bool read_only;
	uint64_t reserved[4];
};

/**
 * gtt_vfio_info() - Describe a VFIO backend (GGTT, or a PPGTT made from one).
 * @be: the backend.
 * @out: receives the description (of the GGTT behind a PPGTT).
 *
 * Return: 0, or -EINVAL if @be is not a VFIO backend.
 */
GTT_API int gtt_vfio_info(struct gtt_backend *be, struct gtt_vfio_info *out);

/**
 * gtt_vfio_ppgtt_create() - A PPGTT of the device, its tables DMA-mapped.
 * @ggtt: a backend from gtt_vfio_create(); the PPGTT shares its device and
 *	IOMMU container (and keeps them open until both are destroyed).
 * @out: receives the PPGTT backend (name "vfio-ppgtt"), for a vm.
 * @root: receives the IOVA of the top-level table: the PML4 (4-level), or
 *	for 3-level platforms (CHV) a table whose first 4 entries point at
 *	the 4 page directories.  It is what a context image points at.
 *
 * The tables are the platform's gen8+ layout (see gtt/intel.h), written
 * by the same code the mock's PPGTT mode runs, in host memory mapped for
 * the device through the IOMMU; writes are followed by a fence, and by
 * clflush on platforms without an LLC.  The scratch page is 64 KiB and
 * 64 KiB aligned.  The invalidate op does nothing: PPGTT TLBs belong to
 * the engines, and submission is outside this library.
 *
 * gen6/7 (SNB, IVB, HSW, VLV): a 2 GiB two-level PPGTT whose page
 * directory is 512 entries of this device's GGTT, written through BAR0:
 * those of the highest 64 KiB-aligned 2 MiB of GGTT below its last page
 * whose entries are all scratch.  @root then receives that range's GGTT
 * offset, which is also the RING_PP_DIR_BASE value
 * (gtt_intel_gen6_pp_dir_load() lists the ring register writes; libgtt
 * does not write them).  Keep [@root, @root + 2 MiB) out of the GGTT's vm:
 * binds and clears there fail with -EBUSY until the PPGTT is destroyed,
 * which puts scratch back.  Page tables stay allocated once made (the
 * context caches PDEs); after a bind that made one, rings must reload
 * PP_DIR_BASE before using it (i915 does before every request).  Creating
 * or destroying it must not race with binds and clears of the GGTT.
 *
 * Return: 0, -EINVAL (not a VFIO backend), -ENOSPC (gen6/7: no free GGTT
 * range for the directory), -ENOMEM or the VFIO error of a DMA mapping.
 */
GTT_API int gtt_vfio_ppgtt_create(struct gtt_backend *ggtt, struct gtt_backend **out,
				  uint64_t *root);

/**
 * gtt_vfio_request_fd() - The fd that says the kernel wants the device back.
 * @be: a VFIO backend, or a PPGTT made from one.
 *
 * It becomes readable when the device is being unplugged or unbound from
 * vfio-pci; the kernel then waits for the device to be closed.  Poll it
 * (do not read it) and destroy the backend when it fires; the backend's
 * own ops notice it too and return -ENODEV.  Owned by the backend.
 *
 * Return: the fd, -EINVAL (not a VFIO backend), or -EOPNOTSUPP (the
 * device has no request IRQ).
 */
GTT_API int gtt_vfio_request_fd(struct gtt_backend *be);

/**
 * gtt_vfio_dma_map() - Make [@cpu, @cpu + @size) reachable by the device.
 * @be: a VFIO backend, or a PPGTT made from one.
 * @cpu: page-aligned memory that stays valid until unmapped.
 * @size: bytes, a multiple of 4 KiB.
 * @iova: receives the device address to put in &struct gtt_pages_segment.
 *
 * Return: 0, -EINVAL, -ENOSPC, or the VFIO error.
 */
GTT_API int gtt_vfio_dma_map(struct gtt_backend *be, void *cpu, uint64_t size,
			     uint64_t *iova);

/**
 * gtt_vfio_dma_unmap() - Undo exactly one gtt_vfio_dma_map().
 *
 * Return: 0, -EINVAL (not exactly one mapping), or the VFIO error.
 */
GTT_API int gtt_vfio_dma_unmap(struct gtt_backend *be, uint64_t iova,
			       uint64_t size);

/**
 * enum gtt_vfio_space - Where a register lives, for gtt_vfio_reg_read().
 * @GTT_VFIO_SPACE_BAR: the backend's mapped BAR (&gtt_vfio_config.bar;
 *	BAR0, the MMIO registers, on Intel GPUs), through the mmap.
 * @GTT_VFIO_SPACE_CONFIG: the device's PCI config space (GGC at 0x50),
 *	through the VFIO config region (vfio-pci virtualises some of it).
 */
enum gtt_vfio_space {
	GTT_VFIO_SPACE_BAR = 0,
	GTT_VFIO_SPACE_CONFIG = 1,
};

/**
 * gtt_vfio_reg_read() - Read one register of the device.
 * @be: a VFIO backend (any mode), or a PPGTT made from one.
 * @space: the BAR or the config space.
 * @offset: byte offset in @space, a multiple of @width.
 * @width: bytes: 4 or 8 in the BAR (one load of that width through the
 *	uncached mapping), 1, 2 or 4 in config space.
 * @value: receives the value (zero-extended).
 *
 * Return: 0; -EINVAL (bad @space, @width or alignment, NULL @value, not a
 * VFIO backend); -ERANGE (the register is not inside a part of the BAR
 * VFIO let us map, or past the config space); -ENODEV (the device has
 * gone, or the kernel wants it back); or the config read's error.
 */
GTT_API int gtt_vfio_reg_read(struct gtt_backend *be, enum gtt_vfio_space space,
			      uint64_t offset, unsigned int width, uint64_t *value);

/**
 * gtt_vfio_reg_write() - Write one register of the device.
 * @be: a VFIO backend not opened &gtt_vfio_config.read_only.
 * @space: the BAR or the config space.
 * @offset: byte offset in @space, a multiple of @width.
 * @width: as for gtt_vfio_reg_read().
 * @value: the value; it must fit in @width bytes.
 *
 * A BAR write is one aligned store of @width bytes followed by a full
 * fence; nothing is read back (read the register yourself if it should
 * be).  The GGTT entry window is not a register: writes into it are
 * refused, bind through a vm instead.  On platforms where CPU writes to
 * the GGTT are known to hang the GPU (MTL and later), every write needs
 * &gtt_vfio_config.force, as binds do.
 *
 * Return: 0; -EINVAL (as for reads, a @value wider than @width, or the
 * entry window); -ERANGE; -EROFS (opened read-only); -EPERM (a risky
 * platform without force); -ENODEV; or the config write's error.
 */
GTT_API int gtt_vfio_reg_write(struct gtt_backend *be, enum gtt_vfio_space space,
			       uint64_t offset, unsigned int width, uint64_t value);

#ifdef __cplusplus
}
#endif
#endif
