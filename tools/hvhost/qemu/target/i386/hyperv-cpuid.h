/*
 * Hyper-V CPUID leaves and host profiles, shared by every accelerator
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_HYPERV_CPUID_H
#define TARGET_I386_HYPERV_CPUID_H

#include "cpu.h"

/* One hv-* feature: the CPUID bits it shows and the features it needs. */
typedef struct HypervFeatureInfo {
    const char *desc;
    struct {
        uint32_t func;
        int reg;
        uint32_t bits;
    } flags[2];
    uint64_t dependencies;
    bool skip_passthrough;
} HypervFeatureInfo;

#define HYPERV_FEATURE_COUNT (HYPERV_FEAT_TLBFLUSH_DIRECT + 1)
extern const HypervFeatureInfo hyperv_feature_info[HYPERV_FEATURE_COUNT];

/*
 * A Hyper-V release as a guest sees it: version leaf, the features that
 * release offered (an upper bound for the hv-* flags), and the VMBus
 * protocol versions its host accepts (newest first).
 */
typedef struct HypervProfile {
    const char *name;
    const char *product;
    uint16_t major, minor;
    uint32_t build;
    uint32_t service_pack;
    /* hv-* features this release could offer */
    uint64_t features;
    /* CPUID 0x40000003 bits it never showed (e.g. no TSC page on WS2008) */
    uint32_t features_eax_clear;
    /* CPUID 0x40000004.EAX hints it always showed */
    uint32_t hints_eax_set;
    /* CRASH_CTL capability bits */
    uint64_t crash_ctl;
    uint32_t max_vps;
    uint32_t max_lps;
    const uint32_t *vmbus_versions;
    unsigned nr_vmbus_versions;
} HypervProfile;

const HypervProfile *hyperv_profile_find(const char *name);
/* The profile of @cpu, NULL for plain QEMU behaviour. */
const HypervProfile *hyperv_cpu_profile(X86CPU *cpu);

/* Apply cpu->hyperv_profile_name at realize: version, features. */
bool hyperv_apply_profile(X86CPU *cpu, Error **errp);

/* Any Hyper-V enlightenment requested at all? */
bool hyperv_cpu_enabled(X86CPU *cpu);

/* The bits of hv-* features enabled on @cpu for leaf @func, register @reg */
uint32_t hyperv_cpuid_feature_bits(X86CPU *cpu, uint32_t func, int reg);
/* The highest hypervisor leaf of @cpu */
uint32_t hyperv_cpuid_max_leaf(X86CPU *cpu);
/* Leaf @func (0x40000000...) as the guest sees it; false if not one. */
bool hyperv_cpuid_leaf(X86CPU *cpu, uint32_t func, uint32_t *eax,
                       uint32_t *ebx, uint32_t *ecx, uint32_t *edx);

#endif
