/*
 * The Hyper-V partition interface under TCG: stubs for builds without
 * CONFIG_HYPERV
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "tcg/hyperv-tcg.h"

void hyperv_tcg_reset_vcpu(X86CPU *cpu)
{
}

void hyperv_tcg_unrealize_vcpu(X86CPU *cpu)
{
}

bool hyperv_tcg_rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *val)
{
    return false;
}

bool hyperv_tcg_wrmsr(X86CPU *cpu, uint32_t msr, uint64_t val)
{
    return false;
}

bool hyperv_tcg_hypercall(X86CPU *cpu)
{
    return false;
}

uint64_t hyperv_tcg_ref_time(void)
{
    return 0;
}
