/*
 * The Hyper-V partition interface under TCG
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_TCG_HYPERV_TCG_H
#define TARGET_I386_TCG_HYPERV_TCG_H

#include "cpu.h"

/* Synthetic MSRs live in [0x40000000, 0x400001ff] */
#define HV_TCG_MSR_FIRST 0x40000000
#define HV_TCG_MSR_LAST  0x400001ff

/* CPU reset: SynIC creation (first time) and reset, timers off. */
void hyperv_tcg_reset_vcpu(X86CPU *cpu);

/* CPU unplug: the vCPU's timers and state go. */
void hyperv_tcg_unrealize_vcpu(X86CPU *cpu);

/* rdmsr/wrmsr of a synthetic MSR; false means #GP. */
bool hyperv_tcg_rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *val);
bool hyperv_tcg_wrmsr(X86CPU *cpu, uint32_t msr, uint64_t val);

/* VMCALL: false means #UD (no hypercall page, or not at CPL 0). */
bool hyperv_tcg_hypercall(X86CPU *cpu);

/*
 * Partition reference time (100 ns units, TIME_REF_COUNT) as vCPU 0 reads
 * it now, for host devices (time sync); 0 before the first vCPU reset.
 */
uint64_t hyperv_tcg_ref_time(void);

#endif
