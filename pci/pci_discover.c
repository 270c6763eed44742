/* SPDX-License-Identifier: MIT */
/*
 * PCI discovery (gtt/pci.h): libpciaccess enumerates and sizes the BARs;
 * sysfs says which driver has each device and which IOMMU group it is in;
 * the verdict names the fix.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GTT_HAVE_PCIACCESS
#include <pciaccess.h>
#endif

#include "pci_internal.h"
#include "base/util.h"

/* The last path component of symlink @path into @out ("" if none). */
static void link_name(const char *path, char *out, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;
	size_t len;

	out[0] = 0;
	if (n <= 0)
		return;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	len = strlen(base);
	if (len < size)			/* a cut name would be a wrong one */
		memcpy(out, base, len + 1);
}

static void device_driver(const char *root, const char *slot, char *out, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", root, slot);
	link_name(path, out, size);
}

/* Drivers the kernel lets other devices of a VFIO group keep. */
static bool shares_group(const char *driver)
{
	return !driver[0] || !strcmp(driver, "vfio-pci") || !strcmp(driver, "pcieport") ||
	       !strcmp(driver, "pci-stub");
}

static void fix_binding(struct gtt_pci_device *d, const char *who, const char *driver)
{
	size_t n = strlen(d->problem);
	char unbind[2 * 256 + 64] = "";	/* two slot names of up to 255 bytes */

	if (driver[0])
		snprintf(unbind, sizeof(unbind), "\n  echo %s > /sys/bus/pci/devices/%s/driver/unbind",
			 who, who);
	snprintf(d->problem + n, sizeof(d->problem) - n,
		 "; hand it to vfio-pci:\n  modprobe vfio-pci%s"
		 "\n  echo vfio-pci > /sys/bus/pci/devices/%s/driver_override"
		 "\n  echo %s > /sys/bus/pci/drivers_probe", unbind, who, who);
}

/* The first line of file @root@path, without its newline ("" if none). */
static void read_line(const char *root, const char *path, char *out, size_t size)
{
	char full[PATH_MAX];
	FILE *f;

	out[0] = 0;
	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "re");
	if (!f)
		return;
	if (!fgets(out, (int)size, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
}

/* The CPU says it runs under a hypervisor: "hypervisor" among the flags
 * of /proc/cpuinfo (x86 CPUID.1:ECX bit 31). */
static bool cpu_has_hypervisor_flag(const char *root)
{
	char path[PATH_MAX], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		const char *colon = strchr(line, ':');

		if (strncmp(line, "flags", 5) || !colon)
			continue;
		for (const char *t = colon + 1; (t = strstr(t, "hypervisor")); t += 10)
			if (t[-1] == ' ' && (t[10] == ' ' || t[10] == '\n' || !t[10]))
				found = true;
		break;			/* every CPU lists the same flags */
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * What machine this is, when it is a virtual one: the hypervisor's name
 * from DMI (sys_vendor, product_name), "a hypervisor" when only the CPU
 * flag says so, NULL on bare metal.
 */
static const char *virtual_machine(const char *root)
{
	static const struct { const char *needle, *name; } known[] = {
		{ "QEMU", "QEMU" }, { "KVM", "QEMU" }, { "Bochs", "QEMU" },
		{ "VMware", "VMware" }, { "innotek", "VirtualBox" }, { "VirtualBox", "VirtualBox" },
		{ "Virtual Machine", "Hyper-V" }, { "Xen", "Xen" }, { "Parallels", "Parallels" },
		{ "Cloud Hypervisor", "Cloud Hypervisor" },
	};
	char vendor[128], product[128];

	read_line(root, "/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	read_line(root, "/sys/class/dmi/id/product_name", product, sizeof(product));
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strstr(vendor, known[i].needle) || strstr(product, known[i].needle))
			return known[i].name;
	return cpu_has_hypervisor_flag(root) ? "a hypervisor" : NULL;
}

/*
 * No IOMMU group: on bare metal VT-d is off (firmware or kernel command
 * line); in a virtual machine the guest has no virtual IOMMU, which only
 * the host's VM configuration can add.
 */
static void no_iommu_advice(const char *root, struct gtt_pci_device *d)
{
	const char *vm = virtual_machine(root);

	if (!vm)
		snprintf(d->problem, sizeof(d->problem),
			 "%s has no IOMMU group: turn VT-d on in the firmware and boot with "
			 "intel_iommu=on", d->slot);
	else if (!strcmp(vm, "QEMU"))
		snprintf(d->problem, sizeof(d->problem),
			 "%s has no IOMMU group, and this is a QEMU virtual machine: give it a "
			 "vIOMMU (-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on;"
			 " add caching-mode=on if the device is assigned from the host) and boot "
			 "the guest with intel_iommu=on", d->slot);
	else
		snprintf(d->problem, sizeof(d->problem),
			 "%s has no IOMMU group, and this is a virtual machine (%s): give the VM a "
			 "virtual IOMMU in its configuration (VT-d in the firmware does not reach "
			 "the guest) and boot the guest with intel_iommu=on", d->slot, vm);
}

void pci_check_vfio(const char *root, struct gtt_pci_device *d)
{
	char path[PATH_MAX], group[32];
	struct dirent *e;
	DIR *dir;

	d->vfio_ready = false;
	d->problem[0] = 0;
	d->iommu_group = -1;
	device_driver(root, d->slot, d->driver, sizeof(d->driver));
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/vfio-dev", root, d->slot);
	if (dir_first_entry(path, d->vfio_cdev, sizeof(d->vfio_cdev)))
		d->vfio_cdev[0] = 0;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/iommu_group", root, d->slot);
	link_name(path, group, sizeof(group));
	if (!group[0]) {
		no_iommu_advice(root, d);
		return;
	}
	d->iommu_group = atoi(group);
	if (strcmp(d->driver, "vfio-pci")) {
		snprintf(d->problem, sizeof(d->problem), "%s is %s%s", d->slot,
			 d->driver[0] ? "bound to " : "bound to no driver", d->driver);
		fix_binding(d, d->slot, d->driver);
		return;
	}
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d/devices", root,
		 d->iommu_group);
	dir = opendir(path);
	while (dir && (e = readdir(dir))) {
		char other[32];

		if (e->d_name[0] == '.' || !strcmp(e->d_name, d->slot))
			continue;
		device_driver(root, e->d_name, other, sizeof(other));
		if (shares_group(other))
			continue;
		snprintf(d->problem, sizeof(d->problem),
			 "IOMMU group %d also holds %s, bound to %s: every device of the group must "
			 "go to vfio-pci", d->iommu_group, e->d_name, other);
		fix_binding(d, e->d_name, other);
		closedir(dir);
		return;
	}
	if (dir)
		closedir(dir);
	snprintf(path, sizeof(path), "%s/dev/vfio/%d", root, d->iommu_group);
	if (access(path, R_OK | W_OK)) {
		snprintf(d->problem, sizeof(d->problem),
			 "/dev/vfio/%d cannot be opened read-write (%s): run as root, or give the "
			 "user the device (chown or a udev rule)", d->iommu_group, strerror(errno));
		return;
	}
	d->vfio_ready = true;
}

#ifdef GTT_HAVE_PCIACCESS

static pthread_mutex_t pci_lock = PTHREAD_MUTEX_INITIALIZER;

static void describe(struct pci_device *dev, struct gtt_pci_device *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->slot, sizeof(d->slot), "%04x:%02x:%02x.%x", dev->domain, dev->bus,
		 dev->dev, dev->func);
	d->vendor_id = dev->vendor_id;
	d->device_id = dev->device_id;
	d->class_code = dev->device_class;
	d->revision = dev->revision;
	if (d->vendor_id == 0x8086)
		d->platform = gtt_intel_lookup(d->device_id, &d->label);
	if (!pci_device_probe(dev))
		for (int i = 0; i < 6; i++)
			d->bar_size[i] = dev->regions[i].size;
	if (d->vendor_id == 0x8086 && d->class_code >> 16 == 0x03)
		d->ggc_read = !pci_device_cfg_read_u16(dev, &d->ggc, 0x50);
	pci_check_vfio("", d);
}

static int pci_open(const char *who)
{
	int err = pci_system_init();

	if (err)
		return set_error(-ENODEV, "%s: cannot read the PCI bus (%s); is /sys mounted?",
				 who, strerror(err));
	return 0;
}

GTT_API int gtt_pci_list(const struct gtt_pci_match *match,
			 struct gtt_pci_device *out, size_t max, size_t *count)
{
	struct pci_id_match m = { .vendor_id = 0x8086, .device_id = PCI_MATCH_ANY,
				  .subvendor_id = PCI_MATCH_ANY, .subdevice_id = PCI_MATCH_ANY,
				  .device_class = 0x030000, .device_class_mask = 0xff0000 };
	struct pci_device_iterator *it;
	struct pci_device *dev;
	size_t n = 0;
	int err;

	if (!count || (max && !out))
		return set_error(-EINVAL, "gtt_pci_list: count missing, or out missing with max > 0");
	if (match && !reserved_zero(match->reserved, sizeof(match->reserved)))
		return set_error(-EINVAL, "gtt_pci_list: the match has non-zero reserved fields (built against a newer libgtt?)");
	if (match) {
		m.vendor_id = match->vendor_id;
		m.device_id = match->device_id;
		m.device_class = match->class_code;
		m.device_class_mask = match->class_mask;
	}
	pthread_mutex_lock(&pci_lock);
	err = pci_open("gtt_pci_list");
	if (!err) {
		it = pci_id_match_iterator_create(&m);
		while (it && (dev = pci_device_next(it))) {
			if (n < max)
				describe(dev, &out[n]);
			n++;
		}
		if (it)
			pci_iterator_destroy(it);
		else
			err = set_error(-ENOMEM, "gtt_pci_list: out of memory");
		pci_system_cleanup();
	}
	pthread_mutex_unlock(&pci_lock);
	*count = n;
	return err;
}

GTT_API int gtt_pci_inspect(const char *slot, struct gtt_pci_device *out)
{
	unsigned int dom = 0, bus, dev, fn;
	struct pci_device *pd;
	char tail;
	int err;

	if (!slot || !out ||
	    (sscanf(slot, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
	     (dom = 0, sscanf(slot, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)) ||
	    dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return set_error(-EINVAL, "gtt_pci_inspect: '%s' is not a PCI slot (DDDD:BB:DD.F)",
				 slot ? slot : "(null)");
	pthread_mutex_lock(&pci_lock);
	err = pci_open("gtt_pci_inspect");
	if (!err) {
		pd = pci_device_find_by_slot(dom, bus, dev, fn);
		if (pd)
			describe(pd, out);
		else
			err = set_error(-ENOENT, "gtt_pci_inspect: no PCI device at %s", slot);
		pci_system_cleanup();
	}
	pthread_mutex_unlock(&pci_lock);
	return err;
}

#else

GTT_API int gtt_pci_list(const struct gtt_pci_match *match,
			 struct gtt_pci_device *out, size_t max, size_t *count)
{
	(void)match, (void)out, (void)max;
	if (count)
		*count = 0;
	return set_error(-EOPNOTSUPP, "gtt_pci_list: libgtt was built without libpciaccess "
			 "(-Dpci=disabled)");
}

GTT_API int gtt_pci_inspect(const char *slot, struct gtt_pci_device *out)
{
	(void)slot, (void)out;
	return set_error(-EOPNOTSUPP, "gtt_pci_inspect: libgtt was built without libpciaccess "
			 "(-Dpci=disabled)");
}

#endif
