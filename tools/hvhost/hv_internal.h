/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost: private definitions shared by hv.c and profiles.c (and the unit
 * tests, which may look at a profile's raw CPUID values).
 */
#ifndef HVHOST_HV_INTERNAL_H
#define HVHOST_HV_INTERNAL_H

#include <stdint.h>

#include "hv.h"

/* Profile capabilities that are not a CPUID bit of their own */
#define HV_PROF_CRASH_NOTIFY_MSG	(1U << 0)	/* CRASH_CTL bit 62 */

struct hv_profile {
	const char *name;		/* "ws2019" */
	const char *product;		/* "Windows Server 2019" */

	/* CPUID 0x40000002 */
	uint16_t major;
	uint16_t minor;
	uint32_t build;
	uint32_t service_pack;
	uint8_t service_branch;
	uint32_t service_number;	/* 24 bits */

	/* CPUID 0x40000003 */
	uint32_t features_eax;		/* privileges, MSRs */
	uint32_t features_ebx;		/* privileges, hypercalls */
	uint32_t features_ecx;		/* power management */
	uint32_t features_edx;		/* miscellaneous features */

	/* CPUID 0x40000004 */
	uint32_t hints_eax;
	uint32_t spin_retries;		/* 0xffffffff: never notify */

	/* CPUID 0x40000005 */
	uint32_t max_vps;
	uint32_t max_lps;

	uint32_t flags;			/* HV_PROF_* */

	const uint32_t *vmbus_versions;	/* newest first */
	int nr_vmbus_versions;
};

/* Highest hypervisor CPUID leaf hvhost reports, all profiles */
#define HVHOST_CPUID_MAX_LEAF		0x4000000A

/* Spin-wait retry count meaning "never notify" (CPUID 0x40000004 EBX) */
#define HVHOST_SPIN_RETRIES_NEVER	0xffffffffU

/* VMBus protocol versions, major << 16 | minor */
#define HVHOST_VMBUS_VERSION(maj, min)	(((uint32_t)(maj) << 16) | (min))

#endif
