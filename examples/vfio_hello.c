/* SPDX-License-Identifier: MIT */
/*
 * gtt-vfio-hello: a GPU's GGTT through VFIO in one page of code (see
 * docs/vfio.md).  Checks that the device is ready for VFIO, takes its GGTT
 * over, DMA-maps a 1 MiB buffer, binds it through a vm, shows where it
 * landed and what the entry holds, and tears everything down (the GGTT
 * gets scratch back).
 *   gtt-vfio-hello SLOT                           an Intel GPU
 *   gtt-vfio-hello SLOT BAR OFFSET SIZE PLATFORM  any device: its BAR holds
 *                                                 GGTT-like entries
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <gtt/gtt.h>
#include <gtt/pci.h>
#include <gtt/vfio.h>

#define BUF_SIZE (1u << 20)

int main(int argc, char **argv)
{
	struct gtt_vfio_config cfg = { 0 };
	struct gtt_vm_config vc = { .name = "ggtt" };
	struct gtt_backend *ggtt = NULL;
	struct gtt_pages_segment seg;
	struct gtt_pages *pages = NULL;
	struct gtt_translation t;
	struct gtt_vfio_info info;
	struct gtt_vma_info where;
	struct gtt_pci_device d;
	struct gtt_vm *vm = NULL;
	void *buf = NULL;
	uint64_t iova = 0;
	gtt_vma_t vma;
	int err;

	if (argc != 2 && argc != 6) {
		fprintf(stderr, "usage: %s SLOT [BAR OFFSET SIZE PLATFORM]\n", argv[0]);
		return 2;
	}
	/* 1. Is the device ours to drive? */
	if ((err = gtt_pci_inspect(argv[1], &d)))
		goto fail;
	if (!d.vfio_ready) {
		fprintf(stderr, "%s is not ready for VFIO:\n%s\n", d.slot, d.problem);
		return 1;
	}
	cfg.group = d.iommu_group;
	cfg.bdf = d.slot;
	if (argc == 6) {		/* a profile instead of an Intel PCI ID */
		const struct gtt_intel_platform *p = gtt_intel_find(argv[5]);

		if (!p) {
			fprintf(stderr, "unknown platform %s\n", argv[5]);
			return 2;
		}
		cfg.bar = (unsigned int)strtoul(argv[2], NULL, 0);
		cfg.window_offset = strtoull(argv[3], NULL, 0);
		cfg.window_size = strtoull(argv[4], NULL, 0);
		cfg.family = p->family;
	}

	/* 2. Take the GGTT over: every entry becomes scratch. */
	if ((err = gtt_vfio_create(&cfg, &ggtt)))
		goto fail;
	gtt_vfio_info(ggtt, &info);
	printf("%s: %s GGTT, %llu MiB of address space, entries at BAR%u + 0x%llx\n",
	       d.slot, info.platform->name, (unsigned long long)(info.ggtt_size >> 20),
	       info.bar, (unsigned long long)info.window_offset);

	/* 3. Memory the device may read: DMA-mapped, described as pages. */
	buf = aligned_alloc(4096, BUF_SIZE);
	err = buf ? gtt_vfio_dma_map(ggtt, buf, BUF_SIZE, &iova) : -ENOMEM;
	if (err)
		goto fail;
	seg = (struct gtt_pages_segment){ iova, BUF_SIZE };
	if ((err = gtt_pages_create(&seg, 1, 0, &pages)))
		goto fail;

	/* 4. A vm over the GGTT, leaving out page 0 and the last page. */
	vc.start = 4096;
	vc.size = info.ggtt_size - 2 * 4096;
	vc.backend = ggtt;
	if ((err = gtt_vm_create(&vc, &vm)) ||
	    (err = gtt_vma_create(vm, pages, NULL, &vma)) ||
	    (err = gtt_vma_bind(vm, vma, NULL, NULL)) ||
	    (err = gtt_vma_query(vm, vma, &where)) ||
	    (err = gtt_backend_translate(ggtt, where.offset, &t)))
		goto fail;
	printf("bound 1 MiB at GGTT 0x%llx: its first entry is 0x%016llx -> IOVA 0x%llx%s\n",
	       (unsigned long long)where.offset, (unsigned long long)t.pte,
	       (unsigned long long)t.addr, t.addr == iova ? "" : " (WRONG)");
	if (t.addr != iova)
		err = -EIO;
	else
		printf("ok\n");
fail:
	if (err && err != -EIO)
		fprintf(stderr, "gtt-vfio-hello: %s\n", gtt_last_error());
	/* 5. Teardown: unbind (scratch back), unmap, close the device. */
	gtt_vm_destroy(vm);
	gtt_pages_put(pages);
	if (iova)
		gtt_vfio_dma_unmap(ggtt, iova, BUF_SIZE);
	gtt_backend_destroy(ggtt);
	free(buf);
	return err ? 1 : 0;
}
