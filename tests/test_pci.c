/* SPDX-License-Identifier: MIT */
/*
 * PCI discovery: the VFIO verdicts over a fake sysfs tree (every refusal
 * names its fix), and the libpciaccess enumeration against this machine's
 * own /sys/bus/pci.  The QEMU guest runs it on devices bound to vfio-pci.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "pci/pci_internal.h"

static char root[64];

static void mkdirs(const char *fmt, ...)
{
	char path[512], cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, path);
	assert_int_equal(system(cmd), 0);
}

static void link_to(const char *target, const char *fmt, ...)
{
	char path[1024], rel[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

/* A file under the fake root with @text in it. */
static void write_file(const char *rel, const char *text)
{
	char path[512], dir[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", rel);
	*strrchr(dir, '/') = 0;
	mkdirs("%s", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A device in sysfs, bound to @driver ("" = none), in @group (-1 = none). */
static void fake_device(const char *slot, const char *driver, int group)
{
	char target[PATH_MAX];

	mkdirs("sys/bus/pci/devices/%s", slot);
	if (driver[0]) {
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		link_to(target, "sys/bus/pci/devices/%s/driver", slot);
	}
	if (group >= 0) {
		snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", group);
		link_to(target, "sys/bus/pci/devices/%s/iommu_group", slot);
		mkdirs("sys/kernel/iommu_groups/%d/devices", group);
		snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", slot);
		link_to(target, "sys/kernel/iommu_groups/%d/devices/%s", group, slot);
	}
}

static struct gtt_pci_device check(const char *slot)
{
	struct gtt_pci_device d = { 0 };

	snprintf(d.slot, sizeof(d.slot), "%s", slot);
	pci_check_vfio(root, &d);
	return d;
}

static void test_verdicts_name_the_fix(void **state)
{
	struct gtt_pci_device d;
	char cmd[128];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/gtt-pci-XXXXXX");
	assert_non_null(mkdtemp(root));

	/* No IOMMU group. */
	fake_device("0000:00:02.0", "i915", -1);
	d = check("0000:00:02.0");
	assert_false(d.vfio_ready);
	assert_int_equal(d.iommu_group, -1);
	assert_string_equal(d.driver, "i915");
	assert_non_null(strstr(d.problem, "intel_iommu=on"));
	assert_non_null(strstr(d.problem, "turn VT-d on in the firmware"));

	/* ... in a virtual machine: the guest needs a vIOMMU, not firmware
	 * settings.  The CPU flag alone says there is a hypervisor. */
	write_file("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n");
	d = check("0000:00:02.0");
	assert_null(strstr(d.problem, "firmware and boot"));
	assert_non_null(strstr(d.problem, "this is a virtual machine (a hypervisor)"));
	assert_non_null(strstr(d.problem, "virtual IOMMU"));
	/* DMI names QEMU: its vIOMMU options. */
	write_file("sys/class/dmi/id/sys_vendor", "QEMU\n");
	write_file("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
	d = check("0000:00:02.0");
	assert_non_null(strstr(d.problem, "this is a QEMU virtual machine"));
	assert_non_null(strstr(d.problem, "-device intel-iommu,intremap=on"));
	assert_non_null(strstr(d.problem, "-machine q35,kernel-irqchip=split"));
	assert_null(strstr(d.problem, "VT-d"));
	/* VMware, by vendor, without the CPU flag. */
	write_file("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme hypervisorx\n");
	write_file("sys/class/dmi/id/sys_vendor", "VMware, Inc.\n");
	write_file("sys/class/dmi/id/product_name", "VMware7,1\n");
	d = check("0000:00:02.0");
	assert_non_null(strstr(d.problem, "virtual machine (VMware)"));
	/* Bare metal: a flag that only contains the word is not the flag. */
	write_file("sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
	write_file("sys/class/dmi/id/product_name", "OptiPlex 7090\n");
	d = check("0000:00:02.0");
	assert_non_null(strstr(d.problem, "turn VT-d on in the firmware"));

	/* Bound to i915: unbind, override, probe. */
	fake_device("0000:00:02.0", "i915", 1);
	d = check("0000:00:02.0");
	assert_false(d.vfio_ready);
	assert_int_equal(d.iommu_group, 1);
	assert_non_null(strstr(d.problem, "bound to i915"));
	assert_non_null(strstr(d.problem, "echo 0000:00:02.0 > /sys/bus/pci/devices/0000:00:02.0/driver/unbind"));
	assert_non_null(strstr(d.problem, "echo vfio-pci > /sys/bus/pci/devices/0000:00:02.0/driver_override"));
	assert_non_null(strstr(d.problem, "echo 0000:00:02.0 > /sys/bus/pci/drivers_probe"));

	/* Unbound: nothing to unbind. */
	fake_device("0000:00:04.0", "", 4);
	d = check("0000:00:04.0");
	assert_string_equal(d.driver, "");
	assert_non_null(strstr(d.problem, "bound to no driver"));
	assert_null(strstr(d.problem, "unbind"));

	/* On vfio-pci, but the group holds a device another driver has. */
	fake_device("0000:00:02.0", "vfio-pci", 1);
	fake_device("0000:00:02.1", "snd_hda_intel", 1);
	d = check("0000:00:02.0");
	assert_false(d.vfio_ready);
	assert_non_null(strstr(d.problem, "also holds 0000:00:02.1, bound to snd_hda_intel"));
	assert_non_null(strstr(d.problem, "echo 0000:00:02.1 > /sys/bus/pci/drivers_probe"));

	/* Group mates on pcieport or no driver are fine; /dev/vfio/1 missing. */
	fake_device("0000:00:02.1", "pcieport", 1);
	fake_device("0000:00:02.2", "", 1);
	d = check("0000:00:02.0");
	assert_false(d.vfio_ready);
	assert_non_null(strstr(d.problem, "/dev/vfio/1 cannot be opened"));

	/* Everything in place. */
	mkdirs("dev/vfio");
	snprintf(cmd, sizeof(cmd), "%s/dev/vfio/1", root);
	int fd = open(cmd, O_CREAT | O_RDWR, 0600);

	assert_true(fd >= 0);
	close(fd);
	d = check("0000:00:02.0");
	assert_true(d.vfio_ready);
	assert_string_equal(d.problem, "");
	assert_int_equal(d.iommu_group, 1);
	assert_string_equal(d.vfio_cdev, "");		/* no cdev: a pre-6.6 kernel */
	mkdirs("sys/bus/pci/devices/0000:00:02.0/vfio-dev/vfio3");
	d = check("0000:00:02.0");
	assert_string_equal(d.vfio_cdev, "vfio3");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The enumeration agrees with /sys/bus/pci/devices on this machine. */
static void test_enumeration_matches_sysfs(void **state)
{
	struct gtt_pci_match any = { .vendor_id = GTT_PCI_ANY, .device_id = GTT_PCI_ANY };
	struct gtt_pci_device *devs, one;
	size_t count = 0, sysfs = 0, intel = 0;
	struct dirent *e;
	DIR *dir = opendir("/sys/bus/pci/devices");
	int err;

	(void)state;
	if (!dir) {
		assert_int_equal(gtt_pci_list(NULL, NULL, 0, &count), -ENODEV);
		return;
	}
	while ((e = readdir(dir)))
		sysfs += e->d_name[0] != '.';
	closedir(dir);
	err = gtt_pci_list(&any, NULL, 0, &count);
	assert_int_equal(err, 0);
	assert_int_equal(count, sysfs);
	devs = calloc(count + 1, sizeof(*devs));
	assert_int_equal(gtt_pci_list(&any, devs, count, &count), 0);
	for (size_t i = 0; i < count; i++) {
		char path[PATH_MAX], text[16] = "";
		unsigned int vendor = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", devs[i].slot);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(text, sizeof(text), f));
		fclose(f);
		sscanf(text, "%x", &vendor);
		assert_int_equal(vendor, devs[i].vendor_id);
		intel += vendor == 0x8086 && devs[i].class_code >> 16 == 0x03;
		assert_true(devs[i].vfio_ready || devs[i].problem[0]);
	}
	if (count) {
		assert_int_equal(gtt_pci_inspect(devs[0].slot, &one), 0);
		assert_int_equal(one.device_id, devs[0].device_id);
		assert_int_equal(one.class_code, devs[0].class_code);
		assert_string_equal(one.driver, devs[0].driver);
	}
	/* The default match: Intel display devices only. */
	assert_int_equal(gtt_pci_list(NULL, devs, count, &count), 0);
	assert_int_equal(count, intel);
	for (size_t i = 0; i < count; i++)
		assert_true(devs[i].vendor_id == 0x8086 && devs[i].class_code >> 16 == 0x03);
	free(devs);

	assert_int_equal(gtt_pci_list(NULL, NULL, 3, &count), -EINVAL);
	assert_int_equal(gtt_pci_list(NULL, NULL, 0, NULL), -EINVAL);
	assert_int_equal(gtt_pci_inspect("not-a-slot", &one), -EINVAL);
	assert_int_equal(gtt_pci_inspect("00:02.0:", &one), -EINVAL);
	assert_int_equal(gtt_pci_inspect(NULL, &one), -EINVAL);
	assert_int_equal(gtt_pci_inspect("ffff:ff:1f.7", &one), -ENOENT);
	assert_non_null(strstr(gtt_last_error(), "ffff:ff:1f.7"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts_name_the_fix),
		cmocka_unit_test(test_enumeration_matches_sysfs),
	};

	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
