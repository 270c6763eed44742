/* SPDX-License-Identifier: MIT */
/*
 * The optional parts built out (-Dvfio, -Dxe, -Dpci, -Dsyncobj, -Drcu,
 * -Dsim =disabled): their public functions stay, return -EOPNOTSUPP and leave a
 * message that names the option.  tests/meson.build defines GTT_OFF_<PART>
 * for each part this build left out; the others are skipped.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"

/* The last error names the function and the option. */
static void assert_says(const char *fn, const char *option)
{
	const char *msg = gtt_last_error();

	assert_non_null(strstr(msg, fn));
	assert_non_null(strstr(msg, option));
}

static void test_vfio_disabled(void **state)
{
	struct gtt_vfio_config cfg = { .bdf = "0000:00:02.0" };
	struct gtt_vfio_info info;
	struct gtt_backend *be = NULL;
	uint64_t iova, root;
	char buf[64];

	(void)state;
#ifndef GTT_OFF_VFIO
	skip();
#endif
	assert_int_equal(gtt_vfio_create(&cfg, &be), -EOPNOTSUPP);
	assert_says("gtt_vfio_create", "-Dvfio=disabled");
	assert_null(be);
	assert_int_equal(gtt_vfio_info(be, &info), -EOPNOTSUPP);
	assert_says("gtt_vfio_info", "-Dvfio=disabled");
	assert_int_equal(gtt_vfio_ppgtt_create(be, &be, &root), -EOPNOTSUPP);
	assert_says("gtt_vfio_ppgtt_create", "-Dvfio=disabled");
	assert_int_equal(gtt_vfio_request_fd(be), -EOPNOTSUPP);
	assert_says("gtt_vfio_request_fd", "-Dvfio=disabled");
	assert_int_equal(gtt_vfio_dma_map(be, buf, sizeof(buf), &iova), -EOPNOTSUPP);
	assert_says("gtt_vfio_dma_map", "-Dvfio=disabled");
	assert_int_equal(gtt_vfio_dma_unmap(be, 0, 4096), -EOPNOTSUPP);
	assert_says("gtt_vfio_dma_unmap", "-Dvfio=disabled");
	assert_int_equal(gtt_vfio_reg_read(be, GTT_VFIO_SPACE_BAR, 0, 4, &iova), -EOPNOTSUPP);
	assert_says("gtt_vfio_reg_read", "-Dvfio=disabled");
	assert_int_equal(iova, 0);
	assert_int_equal(gtt_vfio_reg_write(be, GTT_VFIO_SPACE_CONFIG, 0, 4, 0), -EOPNOTSUPP);
	assert_says("gtt_vfio_reg_write", "-Dvfio=disabled");
}

static void test_pci_disabled(void **state)
{
	struct gtt_pci_device d;
	size_t count = 99;

	(void)state;
#ifndef GTT_OFF_PCI
	skip();
#endif
	assert_int_equal(gtt_pci_list(NULL, NULL, 0, &count), -EOPNOTSUPP);
	assert_says("gtt_pci_list", "-Dpci=disabled");
	assert_int_equal(count, 0);
	assert_int_equal(gtt_pci_inspect("0000:00:02.0", &d), -EOPNOTSUPP);
	assert_says("gtt_pci_inspect", "-Dpci=disabled");
}

static void test_syncobj_disabled(void **state)
{
	struct gtt_watcher *w;
	struct gtt_fence *f = NULL;

	(void)state;
#ifndef GTT_OFF_SYNCOBJ
	skip();
#endif
	assert_int_equal(gtt_watcher_create(&w), 0);
	assert_int_equal(gtt_fence_import_syncobj(w, -1, 1, 0, &f), -EOPNOTSUPP);
	assert_says("gtt_fence_import_syncobj", "-Dsyncobj=disabled");
	assert_null(f);
	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_fence_export_syncobj(f, 0, 1, 0), -EOPNOTSUPP);
	assert_says("gtt_fence_export_syncobj", "-Dsyncobj=disabled");
	assert_int_equal(gtt_fence_export_syncobj(f, 0, 1, 7), -EOPNOTSUPP);
	gtt_fence_signal(f, 0);
	gtt_fence_put(f);
	gtt_watcher_destroy(w);
}

static void test_rcu_disabled(void **state)
{
	struct fixture fx;
	struct gtt_vm_config vc = { .start = 0x10000, .size = 1 << 20 };
	struct gtt_vm *vm = NULL;

	(void)state;
#ifndef GTT_OFF_RCU
	skip();
#endif
	fixture_init(&fx, 0x10000, 1 << 20, 0);
	vc.backend = fx.be;
	vc.flags = GTT_VM_RCU_READERS;
	assert_int_equal(gtt_vm_create(&vc, &vm), -EOPNOTSUPP);
	assert_says("gtt_vm_create", "-Drcu=disabled");
	assert_null(vm);
	vc.flags = 0;		/* a vm without readers is fine */
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	gtt_vm_destroy(vm);
	fixture_fini(&fx);
}

static void test_sim_disabled(void **state)
{
	struct fixture fx;
	struct gtt_sim *sim = NULL;
	struct gtt_sim_job *job = NULL;
	uint64_t addr = 0x10000;
	size_t count = 99;

	(void)state;
#ifndef GTT_OFF_SIM
	skip();
#endif
	fixture_init(&fx, 0x10000, 1 << 20, 0);
	assert_int_equal(gtt_sim_create(fx.vm, fx.be, &sim), -EOPNOTSUPP);
	assert_says("gtt_sim_create", "-Dsim=disabled");
	assert_null(sim);
	assert_int_equal(gtt_sim_submit(sim, &addr, 1, 0, &job), -EOPNOTSUPP);
	assert_says("gtt_sim_submit", "-Dsim=disabled");
	assert_null(gtt_sim_job_fence(job));
	assert_says("gtt_sim_job_fence", "-Dsim=disabled");
	assert_int_equal(gtt_sim_run(sim, job), -EOPNOTSUPP);
	assert_says("gtt_sim_run", "-Dsim=disabled");
	assert_int_equal(gtt_sim_complete(sim, job, 0), -EOPNOTSUPP);
	assert_says("gtt_sim_complete", "-Dsim=disabled");
	assert_null(gtt_sim_reports(sim, &count));
	assert_says("gtt_sim_reports", "-Dsim=disabled");
	assert_int_equal(count, 0);
	assert_string_equal(gtt_sim_kind_name(GTT_SIM_FAULT), "?");
	assert_int_equal(gtt_sim_report_explain(sim, NULL, NULL), -EOPNOTSUPP);
	assert_says("gtt_sim_report_explain", "-Dsim=disabled");
	assert_int_equal(gtt_sim_report_print(stdout, sim, NULL), -EOPNOTSUPP);
	assert_says("gtt_sim_report_print", "-Dsim=disabled");
	gtt_sim_destroy(sim);
	fixture_fini(&fx);
}

static void test_xe_disabled(void **state)
{
	struct gtt_backend *be = (void *)1;
	struct gtt_fence *done = (void *)1;
	struct gtt_xe_info info;

	(void)state;
#ifndef GTT_OFF_XE
	skip();
#endif
	assert_int_equal(gtt_xe_backend_create(-1, NULL, NULL, &be), -EOPNOTSUPP);
	assert_says("gtt_xe_backend_create", "-Dxe=disabled");
	assert_null(be);
	assert_int_equal(gtt_xe_info(NULL, &info), -EOPNOTSUPP);
	assert_says("gtt_xe_info", "-Dxe=disabled");
	assert_int_equal(gtt_xe_unmap_all(NULL, 1, 0, NULL, 0, &done), -EOPNOTSUPP);
	assert_says("gtt_xe_unmap_all", "-Dxe=disabled");
	assert_null(done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_disabled),
		cmocka_unit_test(test_xe_disabled),
		cmocka_unit_test(test_pci_disabled),
		cmocka_unit_test(test_syncobj_disabled),
		cmocka_unit_test(test_rcu_disabled),
		cmocka_unit_test(test_sim_disabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
