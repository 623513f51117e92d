/*
 * Hyper-V CPUID leaves and host profiles, shared by every accelerator
 *
 * The hv-* CPU properties choose the enlightenments; a host profile
 * (hv-profile=ws2008 ... ws2025) makes the CPUID leaves look like one
 * Windows Server release: its version, and only the features it offered.
 * Documentation/hvhost.md in hyperv-ic has the table and its sources.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "hw/boards.h"
#include "hw/qdev-core.h"
#include "cpu.h"
#include "hyperv-cpuid.h"
#include "kvm/hyperv-proto.h"

#define FEAT(f) BIT_ULL(HYPERV_FEAT_##f)

const HypervFeatureInfo hyperv_feature_info[HYPERV_FEATURE_COUNT] = {
    [HYPERV_FEAT_RELAXED] = {
        .desc = "relaxed timing (hv-relaxed)",
        .flags = { { HV_CPUID_ENLIGHTMENT_INFO, R_EAX,
                     HV_RELAXED_TIMING_RECOMMENDED } },
    },
    [HYPERV_FEAT_VAPIC] = {
        .desc = "virtual APIC (hv-vapic)",
        .flags = { { HV_CPUID_FEATURES, R_EAX, HV_APIC_ACCESS_AVAILABLE } },
    },
    [HYPERV_FEAT_TIME] = {
        .desc = "clocksources (hv-time)",
        .flags = { { HV_CPUID_FEATURES, R_EAX,
                     HV_TIME_REF_COUNT_AVAILABLE |
                     HV_REFERENCE_TSC_AVAILABLE } },
    },
    [HYPERV_FEAT_CRASH] = {
        .desc = "crash MSRs (hv-crash)",
        .flags = { { HV_CPUID_FEATURES, R_EDX,
                     HV_GUEST_CRASH_MSR_AVAILABLE } },
    },
    [HYPERV_FEAT_RESET] = {
        .desc = "reset MSR (hv-reset)",
        .flags = { { HV_CPUID_FEATURES, R_EAX, HV_RESET_AVAILABLE } },
    },
    [HYPERV_FEAT_VPINDEX] = {
        .desc = "VP_INDEX MSR (hv-vpindex)",
        .flags = { { HV_CPUID_FEATURES, R_EAX, HV_VP_INDEX_AVAILABLE } },
    },
    [HYPERV_FEAT_RUNTIME] = {
        .desc = "VP_RUNTIME MSR (hv-runtime)",
        .flags = { { HV_CPUID_FEATURES, R_EAX, HV_VP_RUNTIME_AVAILABLE } },
    },
    [HYPERV_FEAT_SYNIC] = {
        .desc = "synthetic interrupt controller (hv-synic)",
        .flags = { { HV_CPUID_FEATURES, R_EAX, HV_SYNIC_AVAILABLE } },
    },
    [HYPERV_FEAT_STIMER] = {
        .desc = "synthetic timers (hv-stimer)",
        .flags = { { HV_CPUID_FEATURES, R_EAX, HV_SYNTIMERS_AVAILABLE } },
        .dependencies = FEAT(SYNIC) | FEAT(TIME),
    },
    [HYPERV_FEAT_FREQUENCIES] = {
        .desc = "frequency MSRs (hv-frequencies)",
        .flags = { { HV_CPUID_FEATURES, R_EAX, HV_ACCESS_FREQUENCY_MSRS },
                   { HV_CPUID_FEATURES, R_EDX,
                     HV_FREQUENCY_MSRS_AVAILABLE } },
    },
    [HYPERV_FEAT_REENLIGHTENMENT] = {
        .desc = "reenlightenment MSRs (hv-reenlightenment)",
        .flags = { { HV_CPUID_FEATURES, R_EAX,
                     HV_ACCESS_REENLIGHTENMENTS_CONTROL } },
    },
    [HYPERV_FEAT_TLBFLUSH] = {
        .desc = "paravirtualized TLB flush (hv-tlbflush)",
        .flags = { { HV_CPUID_ENLIGHTMENT_INFO, R_EAX,
                     HV_REMOTE_TLB_FLUSH_RECOMMENDED |
                     HV_EX_PROCESSOR_MASKS_RECOMMENDED } },
        .dependencies = FEAT(VPINDEX),
    },
    [HYPERV_FEAT_EVMCS] = {
        .desc = "enlightened VMCS (hv-evmcs)",
        .flags = { { HV_CPUID_ENLIGHTMENT_INFO, R_EAX,
                     HV_ENLIGHTENED_VMCS_RECOMMENDED } },
        .dependencies = FEAT(VAPIC),
    },
    [HYPERV_FEAT_IPI] = {
        .desc = "paravirtualized IPI (hv-ipi)",
        .flags = { { HV_CPUID_ENLIGHTMENT_INFO, R_EAX,
                     HV_CLUSTER_IPI_RECOMMENDED |
                     HV_EX_PROCESSOR_MASKS_RECOMMENDED } },
        .dependencies = FEAT(VPINDEX),
    },
    [HYPERV_FEAT_STIMER_DIRECT] = {
        .desc = "direct mode synthetic timers (hv-stimer-direct)",
        .flags = { { HV_CPUID_FEATURES, R_EDX,
                     HV_STIMER_DIRECT_MODE_AVAILABLE } },
        .dependencies = FEAT(STIMER),
    },
    [HYPERV_FEAT_AVIC] = {
        .desc = "AVIC/APICv support (hv-avic/hv-apicv)",
        .flags = { { HV_CPUID_ENLIGHTMENT_INFO, R_EAX,
                     HV_DEPRECATING_AEOI_RECOMMENDED } },
    },
    [HYPERV_FEAT_SYNDBG] = {
        .desc = "Enable synthetic kernel debugger channel (hv-syndbg)",
        .flags = { { HV_CPUID_FEATURES, R_EDX,
                     HV_FEATURE_DEBUG_MSRS_AVAILABLE } },
        .dependencies = FEAT(SYNIC) | FEAT(RELAXED),
        .skip_passthrough = true,
    },
    [HYPERV_FEAT_MSR_BITMAP] = {
        .desc = "enlightened MSR-Bitmap (hv-emsr-bitmap)",
        .flags = { { HV_CPUID_NESTED_FEATURES, R_EAX,
                     HV_NESTED_MSR_BITMAP } },
    },
    [HYPERV_FEAT_XMM_INPUT] = {
        .desc = "XMM fast hypercall input (hv-xmm-input)",
        .flags = { { HV_CPUID_FEATURES, R_EDX,
                     HV_HYPERCALL_XMM_INPUT_AVAILABLE } },
    },
    [HYPERV_FEAT_TLBFLUSH_EXT] = {
        .desc = "Extended gva ranges for TLB flush hypercalls "
                "(hv-tlbflush-ext)",
        .flags = { { HV_CPUID_FEATURES, R_EDX,
                     HV_EXT_GVA_RANGES_FLUSH_AVAILABLE } },
        .dependencies = FEAT(TLBFLUSH),
    },
    [HYPERV_FEAT_TLBFLUSH_DIRECT] = {
        .desc = "direct TLB flush (hv-tlbflush-direct)",
        .flags = { { HV_CPUID_NESTED_FEATURES, R_EAX,
                     HV_NESTED_DIRECT_FLUSH } },
        .dependencies = FEAT(VAPIC),
    },
};

#define DEFAULT_EVMCS_VERSION ((1 << 8) | 1)
#define HV_CRASH_CTL_NOTIFY_MSG_BIT (1ull << 62)

/* VMBus protocol versions, major << 16 | minor, newest first */
#define VMBV(maj, min) (((maj) << 16) | (min))
static const uint32_t vmbus_ws2008[] = { VMBV(0, 13) };
static const uint32_t vmbus_ws2008r2[] = { VMBV(1, 1), VMBV(0, 13) };
static const uint32_t vmbus_ws2012[] = { VMBV(2, 4), VMBV(1, 1), VMBV(0, 13) };
static const uint32_t vmbus_ws2012r2[] = {
    VMBV(3, 0), VMBV(2, 4), VMBV(1, 1), VMBV(0, 13)
};
static const uint32_t vmbus_ws2016[] = {
    VMBV(4, 0), VMBV(3, 0), VMBV(2, 4), VMBV(1, 1), VMBV(0, 13)
};
static const uint32_t vmbus_ws2019[] = {
    VMBV(5, 2), VMBV(5, 1), VMBV(5, 0), VMBV(4, 1), VMBV(4, 0),
    VMBV(3, 0), VMBV(2, 4), VMBV(1, 1), VMBV(0, 13)
};
static const uint32_t vmbus_ws2022[] = {
    VMBV(5, 3), VMBV(5, 2), VMBV(5, 1), VMBV(5, 0), VMBV(4, 1),
    VMBV(4, 0), VMBV(3, 0), VMBV(2, 4), VMBV(1, 1), VMBV(0, 13)
};

/*
 * Every release: hypercalls, VP index and runtime, reference counter,
 * SynIC and its timers, relaxed timing, reset.  Auto-EOI is deprecated on
 * every profile: SINT interrupts are always EOIed by the guest here.
 */
#define BASE_FEATURES (FEAT(RELAXED) | FEAT(TIME) | FEAT(RESET) | \
                       FEAT(VPINDEX) | FEAT(RUNTIME) | FEAT(SYNIC) | \
                       FEAT(STIMER) | FEAT(AVIC))
/* WS2012 R2 (TLFS 4.0): reference TSC page, guest crash MSRs */
#define R2_FEATURES (BASE_FEATURES | FEAT(CRASH))
/* WS2016 (TLFS 5.0): frequency MSRs, direct-mode synthetic timers */
#define W16_FEATURES (R2_FEATURES | FEAT(FREQUENCIES) | FEAT(STIMER_DIRECT))

#define CRASH_NOTIFY HV_CRASH_CTL_NOTIFY
#define CRASH_MSG (HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_NOTIFY_MSG_BIT)

#define VERSIONS(v) .vmbus_versions = (v), .nr_vmbus_versions = ARRAY_SIZE(v)

static const HypervProfile profiles[] = {
    {
        .name = "ws2008", .product = "Windows Server 2008",
        .major = 6, .minor = 0, .build = 6001, .service_pack = 1,
        .features = BASE_FEATURES,
        .features_eax_clear = HV_REFERENCE_TSC_AVAILABLE,
        .max_lps = 16,
        .max_vps = 4, VERSIONS(vmbus_ws2008),
    }, {
        .name = "ws2008r2", .product = "Windows Server 2008 R2",
        .major = 6, .minor = 1, .build = 7600,
        .features = BASE_FEATURES,
        .features_eax_clear = HV_REFERENCE_TSC_AVAILABLE,
        .max_lps = 64,
        .max_vps = 4, VERSIONS(vmbus_ws2008r2),
    }, {
        .name = "ws2012", .product = "Windows Server 2012",
        .major = 6, .minor = 2, .build = 9200,
        .features = BASE_FEATURES,
        .features_eax_clear = HV_REFERENCE_TSC_AVAILABLE,
        .max_lps = 320,
        .max_vps = 64, VERSIONS(vmbus_ws2012),
    }, {
        .name = "ws2012r2", .product = "Windows Server 2012 R2",
        .major = 6, .minor = 3, .build = 9600,
        .features = R2_FEATURES, .crash_ctl = CRASH_NOTIFY,
        .max_lps = 320,
        .max_vps = 64, VERSIONS(vmbus_ws2012r2),
    }, {
        .name = "ws2016", .product = "Windows Server 2016",
        .major = 10, .minor = 0, .build = 14393,
        .features = W16_FEATURES, .crash_ctl = CRASH_NOTIFY,
        .max_lps = 512,
        .max_vps = 240, VERSIONS(vmbus_ws2016),
    }, {
        .name = "ws2019", .product = "Windows Server 2019",
        .major = 10, .minor = 0, .build = 17763,
        .features = W16_FEATURES, .crash_ctl = CRASH_MSG,
        .max_lps = 512,
        .max_vps = 240, VERSIONS(vmbus_ws2019),
    }, {
        .name = "ws2022", .product = "Windows Server 2022",
        .major = 10, .minor = 0, .build = 20348,
        .features = W16_FEATURES, .crash_ctl = CRASH_MSG,
        .max_lps = 1024,
        .max_vps = 240, VERSIONS(vmbus_ws2022),
    }, {
        .name = "ws2025", .product = "Windows Server 2025",
        .major = 10, .minor = 0, .build = 26100,
        .features = W16_FEATURES, .crash_ctl = CRASH_MSG,
        .max_lps = 2048,
        .max_vps = 2048, VERSIONS(vmbus_ws2022),
    },
};

const HypervProfile *hyperv_profile_find(const char *name)
{
    size_t i;

    for (i = 0; name && i < ARRAY_SIZE(profiles); i++) {
        if (!strcmp(profiles[i].name, name)) {
            return &profiles[i];
        }
    }
    return NULL;
}

const HypervProfile *hyperv_cpu_profile(X86CPU *cpu)
{
    return hyperv_profile_find(cpu->hyperv_profile_name);
}

bool hyperv_apply_profile(X86CPU *cpu, Error **errp)
{
    MachineState *ms = MACHINE(qdev_get_machine());
    const HypervProfile *p;

    if (!cpu->hyperv_profile_name) {
        return true;
    }
    p = hyperv_cpu_profile(cpu);
    if (!p) {
        error_setg(errp, "hv-profile: unknown host profile '%s' (ws2008, "
                   "ws2008r2, ws2012, ws2012r2, ws2016, ws2019, ws2022, "
                   "ws2025)", cpu->hyperv_profile_name);
        return false;
    }
    cpu->hyperv_features &= p->features;
    /* what this release always recommended, whatever the flags say */
    cpu->hyperv_features |= FEAT(AVIC) & p->features;
    cpu->hyperv_ver_id_major = p->major;
    cpu->hyperv_ver_id_minor = p->minor;
    cpu->hyperv_ver_id_build = p->build;
    cpu->hyperv_ver_id_sp = p->service_pack;
    cpu->hyperv_ver_id_sb = 0;
    cpu->hyperv_ver_id_sn = 0;
    cpu->hv_max_vps = p->max_vps;
    cpu->hyperv_limits[0] = p->max_lps;
    if (ms->smp.max_cpus > p->max_vps) {
        error_setg(errp, "hv-profile=%s: %s ran at most %u virtual "
                   "processors per VM, not %u", p->name, p->product,
                   p->max_vps, ms->smp.max_cpus);
        return false;
    }
    return true;
}

bool hyperv_cpu_enabled(X86CPU *cpu)
{
    return cpu->hyperv_features || cpu->hyperv_passthrough ||
        cpu->hyperv_spinlock_attempts != HYPERV_SPINLOCK_NEVER_NOTIFY;
}

uint32_t hyperv_cpuid_feature_bits(X86CPU *cpu, uint32_t func, int reg)
{
    uint32_t r = 0;
    int i, j;

    for (i = 0; i < HYPERV_FEATURE_COUNT; i++) {
        if (!hyperv_feat_enabled(cpu, i)) {
            continue;
        }
        for (j = 0; j < ARRAY_SIZE(hyperv_feature_info[i].flags); j++) {
            if (hyperv_feature_info[i].flags[j].func == func &&
                hyperv_feature_info[i].flags[j].reg == reg) {
                r |= hyperv_feature_info[i].flags[j].bits;
            }
        }
    }
    /* the nested features leaf also carries the eVMCS version range */
    if (func == HV_CPUID_NESTED_FEATURES && reg == R_EAX &&
        hyperv_feat_enabled(cpu, HYPERV_FEAT_EVMCS)) {
        r |= DEFAULT_EVMCS_VERSION;
    }
    return r;
}

uint32_t hyperv_cpuid_max_leaf(X86CPU *cpu)
{
    uint32_t max = HV_CPUID_IMPLEMENT_LIMITS;

    if (hyperv_cpuid_feature_bits(cpu, HV_CPUID_NESTED_FEATURES, R_EAX)) {
        max = HV_CPUID_NESTED_FEATURES;
    }
    return max;
}

bool hyperv_cpuid_leaf(X86CPU *cpu, uint32_t func, uint32_t *eax,
                       uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    const HypervProfile *p = hyperv_cpu_profile(cpu);
    uint32_t max = hyperv_cpuid_max_leaf(cpu);
    bool syndbg = hyperv_feat_enabled(cpu, HYPERV_FEAT_SYNDBG);

    *eax = *ebx = *ecx = *edx = 0;
    switch (func) {
    case HV_CPUID_VENDOR_AND_MAX_FUNCTIONS:
        *eax = syndbg ? MAX(max, HV_CPUID_SYNDBG_PLATFORM_CAPABILITIES) : max;
        *ebx = cpu->hyperv_vendor_id[0];
        *ecx = cpu->hyperv_vendor_id[1];
        *edx = cpu->hyperv_vendor_id[2];
        return true;
    case HV_CPUID_INTERFACE:
        *eax = cpu->hyperv_interface_id[0];
        *ebx = cpu->hyperv_interface_id[1];
        *ecx = cpu->hyperv_interface_id[2];
        *edx = cpu->hyperv_interface_id[3];
        return true;
    case HV_CPUID_VERSION:
        *eax = cpu->hyperv_ver_id_build;
        *ebx = (uint32_t)cpu->hyperv_ver_id_major << 16 |
               cpu->hyperv_ver_id_minor;
        *ecx = cpu->hyperv_ver_id_sp;
        *edx = (uint32_t)cpu->hyperv_ver_id_sb << 24 |
               (cpu->hyperv_ver_id_sn & 0xffffff);
        return true;
    case HV_CPUID_FEATURES:
        *eax = hyperv_cpuid_feature_bits(cpu, func, R_EAX);
        *ebx = hyperv_cpuid_feature_bits(cpu, func, R_EBX);
        *edx = hyperv_cpuid_feature_bits(cpu, func, R_EDX);
        /* every enlightened partition has the hypercall page */
        *eax |= HV_HYPERCALL_AVAILABLE;
        /* SynIC users (VMBus) need the message and event hypercalls */
        if (hyperv_feat_enabled(cpu, HYPERV_FEAT_SYNIC) &&
            !cpu->hyperv_synic_kvm_only) {
            *ebx |= HV_POST_MESSAGES | HV_SIGNAL_EVENTS;
        }
        /* not emulated by KVM, but Windows needs it for CPU hotplug */
        *edx |= HV_CPU_DYNAMIC_PARTITIONING_AVAILABLE;
        if (p) {
            *eax &= ~p->features_eax_clear;
        }
        return true;
    case HV_CPUID_ENLIGHTMENT_INFO:
        *eax = hyperv_cpuid_feature_bits(cpu, func, R_EAX);
        *ebx = cpu->hyperv_spinlock_attempts;
        if (hyperv_feat_enabled(cpu, HYPERV_FEAT_VAPIC) &&
            !hyperv_feat_enabled(cpu, HYPERV_FEAT_AVIC)) {
            *eax |= HV_APIC_ACCESS_RECOMMENDED;
        }
        if (cpu->hyperv_no_nonarch_cs == ON_OFF_AUTO_ON) {
            *eax |= HV_NO_NONARCH_CORESHARING;
        }
        if (p) {
            *eax |= p->hints_eax_set;
        }
        return true;
    case HV_CPUID_IMPLEMENT_LIMITS:
        *eax = cpu->hv_max_vps;
        *ebx = cpu->hyperv_limits[0];
        *ecx = cpu->hyperv_limits[1];
        *edx = cpu->hyperv_limits[2];
        return true;
    case HV_CPUID_IMPLEMENT_LIMITS + 1 ... HV_CPUID_NESTED_FEATURES - 1:
        /* hardware features, CPU management, isolation: none */
        return func <= max;
    case HV_CPUID_NESTED_FEATURES:
        *eax = hyperv_cpuid_feature_bits(cpu, func, R_EAX);
        return func <= max;
    case HV_CPUID_SYNDBG_VENDOR_AND_MAX_FUNCTIONS:
        if (syndbg) {
            memcpy(ebx, "Micr", 4);
            memcpy(ecx, "osof", 4);
            memcpy(edx, "t VS", 4);
        }
        return syndbg;
    case HV_CPUID_SYNDBG_INTERFACE:
        if (syndbg) {
            memcpy(eax, "VS#1", 4);
        }
        return syndbg;
    case HV_CPUID_SYNDBG_PLATFORM_CAPABILITIES:
        if (syndbg) {
            *eax = HV_SYNDBG_CAP_ALLOW_KERNEL_DEBUGGING;
        }
        return syndbg;
    default:
        return false;
    }
}
