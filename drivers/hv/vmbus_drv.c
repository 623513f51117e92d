// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus: module entry points and the VMBus ACPI device.
 *
 * Load order: platform (detection, guest OS id, hypercall page, per-CPU
 * hypercall pages), the vmbus bus type and message workqueue, the VMBus
 * ACPI device driver (its interrupt and the SynIC, then the VMBus
 * connection and the offers), the clocksource, sysfs.  Unload runs the
 * exact reverse (devices removed, UNLOAD sent, SynIC off), so the
 * hypercall MSR is off before the module text holding the page goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include "hyperv_vmbus.h"

/* Why the SynIC is not on, for the summary line */
static int hv_vmbus_probe_err = -ENODEV;

static int hv_vmbus_probe(struct platform_device *pdev)
{
	int irq, ret;

	irq = platform_get_irq_optional(pdev, 0);
	if (irq < 0) {
		dev_err(&pdev->dev,
			"the VMBus ACPI device has no interrupt (%d); cannot receive SynIC interrupts\n",
			irq);
		hv_vmbus_probe_err = irq == -ENXIO ? -ENODEV : irq;
		return hv_vmbus_probe_err;
	}

	ret = hv_synic_init(irq);
	hv_vmbus_probe_err = ret;
	if (ret)
		return ret;

	vmbus_set_parent(&pdev->dev);
	ret = vmbus_connect();
	if (!ret) {
		ret = vmbus_request_offers();
		/* Devices that came before a timeout stay */
		if (ret == -ETIMEDOUT)
			ret = 0;
		if (ret) {
			vmbus_remove_all_channels();
			vmbus_disconnect();
		}
	}
	if (ret) {
		hv_synic_exit();
		hv_vmbus_probe_err = ret;
	}
	return ret;
}

static void __hv_vmbus_remove(struct platform_device *pdev)
{
	vmbus_remove_all_channels();
	vmbus_disconnect();
	hv_synic_exit();
	hv_vmbus_probe_err = -ENODEV;
}

#ifdef HV_IC_PLATFORM_REMOVE_VOID
static void hv_vmbus_remove(struct platform_device *pdev)
{
	__hv_vmbus_remove(pdev);
}
#else
static int hv_vmbus_remove(struct platform_device *pdev)
{
	__hv_vmbus_remove(pdev);
	return 0;
}
#endif

/* Gen1 Hyper-V names the device "VMBus", Gen2 "VMBUS" */
static const struct acpi_device_id hv_vmbus_acpi_ids[] = {
	{ "VMBUS", 0 },
	{ "VMBus", 0 },
	{ }
};
MODULE_DEVICE_TABLE(acpi, hv_vmbus_acpi_ids);

static struct platform_driver hv_vmbus_driver = {
	.probe = hv_vmbus_probe,
	.remove = hv_vmbus_remove,
	.driver = {
		.name = KBUILD_MODNAME,
		.acpi_match_table = ACPI_PTR(hv_vmbus_acpi_ids),
	},
};

static void hv_vmbus_summary(bool hypercall_ok)
{
	unsigned int cpu, vector;
	char synic[96];
	int irq;

	if (hv_synic_target(&cpu, &vector, &irq))
		snprintf(synic, sizeof(synic),
			 "SynIC on %u CPUs (IRQ %d, vector %#x on CPU %u)",
			 hv_synic_nr_cpus(), irq, vector, cpu);
	else if (hv_vmbus_probe_err == -ENODEV)
		snprintf(synic, sizeof(synic),
			 "SynIC off (no VMBus ACPI device)");
	else
		snprintf(synic, sizeof(synic),
			 "SynIC off (VMBus device setup failed: %d)",
			 hv_vmbus_probe_err);

	u32 v = hvic_vmbus_version();
	char vmbus[32];

	if (v)
		snprintf(vmbus, sizeof(vmbus), "VMBus %u.%u",
			 VMBUS_VERSION_MAJOR(v), VMBUS_VERSION_MINOR(v));
	else
		snprintf(vmbus, sizeof(vmbus), "VMBus not connected");

	pr_info("Hyper-V %u.%u.%u detected, hypercall page %s, %s, %s, clocksource %s\n",
		hv_info.major, hv_info.minor, hv_info.build,
		hypercall_ok ? "ok" : "self-test FAILED", synic, vmbus,
		hv_clocksource_name());
}

static int __init hv_vmbus_init(void)
{
	bool hypercall_ok;
	int ret;

	ret = hv_platform_init();
	if (ret)
		return ret;

	ret = vmbus_bus_init();
	if (ret)
		goto platform_exit;
	ret = vmbus_mgmt_init();
	if (ret)
		goto bus_exit;

	ret = platform_driver_register(&hv_vmbus_driver);
	if (ret)
		goto mgmt_exit;

	ret = hv_clocksource_init();
	if (ret)
		goto driver_unregister;

	ret = hv_sysfs_init(&hypercall_ok);
	if (ret)
		goto clocksource_exit;

	hv_vmbus_summary(hypercall_ok);
	return 0;

clocksource_exit:
	hv_clocksource_exit();
driver_unregister:
	platform_driver_unregister(&hv_vmbus_driver);
mgmt_exit:
	vmbus_mgmt_exit();
bus_exit:
	vmbus_bus_exit();
platform_exit:
	hv_platform_exit();
	return ret;
}

static void __exit hv_vmbus_exit(void)
{
	hv_sysfs_exit();
	hv_clocksource_exit();
	platform_driver_unregister(&hv_vmbus_driver);
	vmbus_mgmt_exit();
	vmbus_bus_exit();
	hv_platform_exit();
}

module_init(hv_vmbus_init);
module_exit(hv_vmbus_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hyper-V platform and VMBus for kernels without Hyper-V support (hyperv-ic)");
MODULE_VERSION(HV_IC_VERSION);
