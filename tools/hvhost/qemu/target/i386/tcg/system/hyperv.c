/*
 * The Hyper-V partition interface under TCG
 *
 * With KVM, the kernel emulates the synthetic MSRs, the hypercall page,
 * reference time and the synthetic timers, and QEMU's hw/hyperv only sees
 * SynIC page changes and the message/event hypercalls.  Under TCG this
 * file is that kernel part: the MSRs (0x40000000-0x400001ff), VMCALL at
 * CPL 0, TIME_REF_COUNT and the reference TSC page from one formula, the
 * synthetic timers on QEMU's virtual clock, SINT delivery to the local
 * APIC, and guest crash reports.  Messages and event flags go through
 * hw/hyperv/hyperv.c unchanged, so QEMU's VMBus server runs as with KVM.
 *
 * Partition-wide registers (guest OS id, hypercall page, TSC page, crash
 * parameters) are one set for all vCPUs, as on Hyper-V.  Everything here
 * runs under the BQL except the reads of reference time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/host-utils.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "cpu.h"
#include "exec/address-spaces.h"
#include "exec/cpu-common.h"
#include "exec/memory.h"
#include "hw/core/cpu.h"
#include "hw/hyperv/hyperv.h"
#include "system/runstate.h"
#include "hyperv-cpuid.h"
#include "kvm/hyperv-proto.h"
#include "tcg/hyperv-tcg.h"
#include "trace.h"

/* TLFS values QEMU's headers do not carry */
#define HV_NOTIFY_LONG_SPIN_WAIT        0x0008
#define HV_HYPERCALL_LOCKED             (1ull << 1)
#define HV_PAGE_MSR_RSVD_MASK           0xffeull
#define HV_REF_TSC_ENABLE               1ull
#define HV_SINT_POLLING                 (1ull << 18)
#define HV_SINT_VALID_MASK              (0xffull | HV_SINT_MASKED | \
                                         HV_SINT_AUTO_EOI | HV_SINT_POLLING)
#define HV_SINT_MIN_VECTOR              16
#define HV_CRASH_CTL_NOTIFY_MSG         (1ull << 62)

/* hypercall input value (RCX in 64-bit mode) */
#define HC_CODE_MASK                    0xffffull
#define HC_FAST                         (1ull << 16)
#define HC_VARHEAD_MASK                 (0x3ffull << 17)
#define HC_REP_COUNT_MASK               (0xfffull << 32)
#define HC_REP_START_MASK               (0xfffull << 48)
/* bit 31 (nested call) is for L1 hypervisors only: reserved here, as KVM */
#define HC_RSVD_MASK                    ((0x1full << 27) | (0xfull << 44) | \
                                         (0xfull << 60))

/* synthetic timer config */
#define STIMER_ENABLE                   (1ull << 0)
#define STIMER_PERIODIC                 (1ull << 1)
#define STIMER_LAZY                     (1ull << 2)
#define STIMER_AUTO_ENABLE              (1ull << 3)
#define STIMER_VECTOR_SHIFT             4
#define STIMER_VECTOR_MASK              (0xffull << STIMER_VECTOR_SHIFT)
#define STIMER_DIRECT                   (1ull << 12)
#define STIMER_SINTX_SHIFT              16
#define STIMER_SINTX_MASK               (0xfull << STIMER_SINTX_SHIFT)
#define STIMER_VALID_MASK               (STIMER_ENABLE | STIMER_PERIODIC | \
                                         STIMER_LAZY | STIMER_AUTO_ENABLE | \
                                         STIMER_SINTX_MASK)
#define STIMER_DIRECT_VALID_MASK        (STIMER_VECTOR_MASK | STIMER_DIRECT)
/* a periodic timer never fires more often than every 100 us */
#define STIMER_MIN_PERIOD               1000

/* APIC timer: QEMU's local APIC counts at 1 GHz before the divider */
#define HV_APIC_FREQUENCY               1000000000ull

/* reference TSC page layout (TLFS) */
struct hv_ref_tsc_page {
    uint32_t sequence;
    uint32_t reserved1;
    uint64_t scale;
    int64_t offset;
};

/* timer expiration message payload (TLFS) */
struct hv_timer_message_payload {
    uint32_t timer_index;
    uint32_t reserved;
    uint64_t expiration_time;
    uint64_t delivery_time;
};

typedef struct HvTcgVp HvTcgVp;

typedef struct HvStimer {
    HvTcgVp *vp;
    unsigned index;
    QEMUTimer *timer;
    uint64_t deadline;          /* reference time; 0: not armed */
    bool msg_pending;           /* an expiry waits for a free slot */
    uint64_t msg_exp_time;
} HvStimer;

struct HvTcgVp {
    X86CPU *cpu;
    /* CPUID 0x40000003 as this vCPU's guest sees it */
    uint32_t feat_eax, feat_edx;
    bool sint_aeoi_logged;
    HvStimer stimer[HV_STIMER_COUNT];
};

static struct {
    uint64_t guest_os_id;
    uint64_t hypercall;
    uint64_t ref_tsc;
    uint64_t crash_params[HV_CRASH_PARAMS];
    uint64_t crash_ctl_caps;
    /* reference time = ((guest TSC * scale) >> 64) + offset */
    uint64_t tsc_hz;
    uint64_t tsc_scale;
    int64_t tsc_offset;
    uint32_t tsc_sequence;
    HvTcgVp **vps;
    unsigned nr_vps;
    /* ratelimit of the log lines guest mistakes cause */
    HvLogLimit log_limit;
} hv;

/* ------------------------------------------------------------------ */

/* Guest-caused anomalies: ratelimited log lines */
#define hv_bad(cpu, fmt, ...) \
    hyperv_log_guest(&hv.log_limit, "hyperv", "vp%d: " fmt, \
                     CPU(cpu)->cpu_index, ## __VA_ARGS__)

static HvTcgVp *vp_of(X86CPU *cpu)
{
    unsigned i = CPU(cpu)->cpu_index;

    return i < hv.nr_vps ? hv.vps[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Reference time                                                     */
/* ------------------------------------------------------------------ */

static uint64_t guest_tsc(X86CPU *cpu)
{
    return cpu_get_tsc(&cpu->env) + cpu->env.tsc_offset;
}

/*
 * Under TCG the guest TSC runs at the host TSC rate: measure that rate
 * against the host clock once, and derive the scale the TSC page gives.
 */
static void ref_time_init(X86CPU *cpu)
{
    uint64_t t0, t1, hi, lo;
    int64_t n0, n1;

    if (hv.tsc_hz) {
        return;
    }
    n0 = get_clock();
    t0 = cpu_get_host_ticks();
    g_usleep(50 * 1000);
    n1 = get_clock();
    t1 = cpu_get_host_ticks();
    hv.tsc_hz = muldiv64(t1 - t0, NANOSECONDS_PER_SECOND, n1 - n0);
    if (!hv.tsc_hz) {
        hv.tsc_hz = 1000000000;
    }
    /* scale = 10^7 * 2^64 / tsc_hz */
    lo = 0;
    hi = 10000000;
    divu128(&lo, &hi, hv.tsc_hz);
    hv.tsc_scale = lo;
    mulu64(&lo, &hi, guest_tsc(cpu), hv.tsc_scale);
    hv.tsc_offset = -(int64_t)hi;
    trace_hyperv_tcg_ref_time_init(hv.tsc_hz, hv.tsc_scale);
}

static uint64_t ref_time_at(uint64_t tsc)
{
    uint64_t lo, hi;

    mulu64(&lo, &hi, tsc, hv.tsc_scale);
    return hi + hv.tsc_offset;
}

static uint64_t ref_time(X86CPU *cpu)
{
    return ref_time_at(guest_tsc(cpu));
}

uint64_t hyperv_tcg_ref_time(void)
{
    CPUState *cs = first_cpu;

    if (!hv.tsc_hz || !cs) {
        return 0;
    }
    return ref_time(X86_CPU(cs));
}

static bool gpa_is_ram(hwaddr gpa, hwaddr len)
{
    MemoryRegionSection s;
    bool ram;

    s = memory_region_find(get_system_memory(), gpa, len);
    ram = s.mr && memory_region_is_ram(s.mr) && !memory_region_is_rom(s.mr) &&
          int128_get64(s.size) == len;
    if (s.mr) {
        memory_region_unref(s.mr);
    }
    return ram;
}

static void write_tsc_page(void)
{
    struct hv_ref_tsc_page pg;
    hwaddr gpa = hv.ref_tsc & TARGET_PAGE_MASK;
    uint32_t invalid = 0;

    if (!(hv.ref_tsc & HV_REF_TSC_ENABLE)) {
        return;
    }
    if (++hv.tsc_sequence == 0 || hv.tsc_sequence == 0xffffffff) {
        hv.tsc_sequence = 1;
    }
    /* sequence 0 while it changes: readers fall back to the MSR */
    address_space_write(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                        &invalid, sizeof(invalid));
    pg.sequence = 0;
    pg.reserved1 = 0;
    pg.scale = cpu_to_le64(hv.tsc_scale);
    pg.offset = cpu_to_le64(hv.tsc_offset);
    address_space_write(&address_space_memory, gpa + 4,
                        MEMTXATTRS_UNSPECIFIED, (uint8_t *)&pg + 4,
                        sizeof(pg) - 4);
    /* scale and offset are visible before the new sequence is */
    smp_wmb();
    pg.sequence = cpu_to_le32(hv.tsc_sequence);
    address_space_write(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                        &pg.sequence, sizeof(pg.sequence));
}

/* ------------------------------------------------------------------ */
/* SINT delivery                                                      */
/* ------------------------------------------------------------------ */

/* Interrupt @vector on @cpu's local APIC: a fixed, edge-triggered MSI. */
static void apic_raise(X86CPU *cpu, uint8_t vector)
{
    hwaddr addr = APIC_DEFAULT_ADDRESS | ((hwaddr)cpu->apic_id << 12);

    address_space_stl_le(&address_space_memory, addr, vector,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

/* hw/hyperv/hyperv.c calls this to signal a SINT under TCG. */
static int tcg_deliver_sint(CPUState *cs, uint32_t sint)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    uint64_t v;

    if (sint >= HV_SINT_COUNT) {
        return -EINVAL;
    }
    v = env->msr_hv_synic_sint[sint];
    if (!(env->msr_hv_synic_control & HV_SYNIC_ENABLE) ||
        (v & (HV_SINT_MASKED | HV_SINT_POLLING))) {
        return 0;
    }
    trace_hyperv_tcg_sint(cs->cpu_index, sint, v & HV_SINT_VECTOR_MASK);
    apic_raise(X86_CPU(cs), v & HV_SINT_VECTOR_MASK);
    return 0;
}

static void synic_update(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    hwaddr msg = 0, evt = 0;

    if (env->msr_hv_synic_msg_page & HV_SIMP_ENABLE) {
        msg = env->msr_hv_synic_msg_page & TARGET_PAGE_MASK;
    }
    if (env->msr_hv_synic_evt_page & HV_SIEFP_ENABLE) {
        evt = env->msr_hv_synic_evt_page & TARGET_PAGE_MASK;
    }
    hyperv_synic_update(CPU(cpu), env->msr_hv_synic_control & HV_SYNIC_ENABLE,
                        msg, evt);
}

/* SynIC pages move: do it with every vCPU out of guest code. */
static void synic_update_work(CPUState *cs, run_on_cpu_data data)
{
    bql_lock();
    synic_update(X86_CPU(cs));
    bql_unlock();
}

/* ------------------------------------------------------------------ */
/* Synthetic timers                                                   */
/* ------------------------------------------------------------------ */

static uint64_t *stimer_config(HvStimer *st)
{
    return &st->vp->cpu->env.msr_hv_stimer_config[st->index];
}

static uint64_t stimer_count(HvStimer *st)
{
    return st->vp->cpu->env.msr_hv_stimer_count[st->index];
}

/* Reference times from guest counts: saturate, never wrap into the past */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static void stimer_arm(HvStimer *st, uint64_t now)
{
    int64_t virt;

    if (!st->deadline || st->deadline == UINT64_MAX) {
        timer_del(st->timer);
        return;
    }
    virt = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (st->deadline > now) {
        uint64_t delta = st->deadline - now;

        virt += delta > INT64_MAX / 200 ? INT64_MAX / 2 : delta * 100;
    }
    timer_mod(st->timer, virt);
}

/* Post the pending expiry message; false while the slot is busy. */
static bool stimer_send_msg(HvStimer *st, uint64_t now)
{
    struct hyperv_message msg = {};
    struct hv_timer_message_payload *p = (void *)msg.payload;
    uint32_t sint = (*stimer_config(st) & STIMER_SINTX_MASK) >>
                    STIMER_SINTX_SHIFT;
    int r;

    msg.header.message_type = cpu_to_le32(HV_MESSAGE_TIMER_EXPIRED);
    msg.header.payload_size = sizeof(*p);
    p->timer_index = cpu_to_le32(st->index);
    p->expiration_time = cpu_to_le64(st->msg_exp_time);
    p->delivery_time = cpu_to_le64(now);
    r = hyperv_synic_post_local(CPU(st->vp->cpu), sint, &msg);
    trace_hyperv_tcg_stimer_msg(CPU(st->vp->cpu)->cpu_index, st->index, r);
    if (r == -EAGAIN) {
        return false;
    }
    st->msg_pending = false;
    if (r == 0) {
        tcg_deliver_sint(CPU(st->vp->cpu), sint);
    }
    /* a one-shot timer is done once its message is out (as KVM does) */
    if (!(*stimer_config(st) & STIMER_PERIODIC)) {
        *stimer_config(st) &= ~STIMER_ENABLE;
    }
    return true;
}

static void stimer_expire(HvStimer *st, uint64_t now)
{
    uint64_t *config = stimer_config(st);
    uint64_t exp = st->deadline;

    trace_hyperv_tcg_stimer_expire(CPU(st->vp->cpu)->cpu_index, st->index,
                                   exp, now, *config & STIMER_DIRECT);
    if (*config & STIMER_DIRECT) {
        apic_raise(st->vp->cpu, (*config & STIMER_VECTOR_MASK) >>
                                STIMER_VECTOR_SHIFT);
    } else if (!st->msg_pending) {
        st->msg_pending = true;
        st->msg_exp_time = exp;
        stimer_send_msg(st, now);
    }
    /* else: periodic and the last expiry still waits; coalesce */

    if (*config & STIMER_PERIODIC) {
        uint64_t period = MAX(stimer_count(st), STIMER_MIN_PERIOD);
        uint64_t next = sat_add(exp, period);

        if (next <= now) {
            /* behind (the VM was stopped, or lazy): skip missed periods */
            next = sat_add(now, period - (now - exp) % period);
        }
        st->deadline = next;
    } else {
        st->deadline = 0;
        if (*config & STIMER_DIRECT) {
            *config &= ~STIMER_ENABLE;
        }
    }
}

static void stimer_run(HvStimer *st)
{
    uint64_t now = ref_time(st->vp->cpu);

    if (st->deadline && st->deadline <= now) {
        stimer_expire(st, now);
    }
    stimer_arm(st, now);
}

/* Expiries are handled on the timer's own vCPU, which owns its SynIC. */
static void stimer_work(CPUState *cs, run_on_cpu_data data)
{
    stimer_run(data.host_ptr);
}

static void stimer_cb(void *opaque)
{
    HvStimer *st = opaque;

    async_run_on_cpu(CPU(st->vp->cpu), stimer_work,
                     RUN_ON_CPU_HOST_PTR(st));
}

/* (Re)start after a CONFIG or COUNT write */
static void stimer_restart(HvStimer *st)
{
    uint64_t config = *stimer_config(st);
    uint64_t now = ref_time(st->vp->cpu);

    st->deadline = 0;
    st->msg_pending = false;
    if ((config & STIMER_ENABLE) && stimer_count(st)) {
        if (config & STIMER_PERIODIC) {
            st->deadline = sat_add(now, MAX(stimer_count(st),
                                            STIMER_MIN_PERIOD));
        } else {
            /* absolute; already past: fires at once */
            st->deadline = MAX(stimer_count(st), 1);
        }
    }
    stimer_run(st);
}

/* EOM: resend expiry messages that found their slot busy. */
static void stimers_retry(HvTcgVp *vp)
{
    uint64_t now = ref_time(vp->cpu);
    int i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        if (vp->stimer[i].msg_pending) {
            stimer_send_msg(&vp->stimer[i], now);
        }
    }
}

static bool wr_stimer(HvTcgVp *vp, uint32_t msr, uint64_t val)
{
    unsigned idx = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;
    HvStimer *st = &vp->stimer[idx];
    CPUX86State *env = &vp->cpu->env;

    if ((msr - HV_X64_MSR_STIMER0_CONFIG) % 2 == 0) {
        uint64_t valid = STIMER_VALID_MASK;

        if (vp->feat_edx & HV_STIMER_DIRECT_MODE_AVAILABLE) {
            valid |= STIMER_DIRECT_VALID_MASK;
        }
        if (val & ~valid) {
            hv_bad(vp->cpu, "STIMER%u_CONFIG 0x%" PRIx64 ": reserved bits",
                   idx, val);
            return false;
        }
        if ((val & STIMER_DIRECT) &&
            ((val & STIMER_VECTOR_MASK) >> STIMER_VECTOR_SHIFT) <
            HV_SINT_MIN_VECTOR) {
            hv_bad(vp->cpu, "STIMER%u direct mode with vector below 16",
                   idx);
            return false;
        }
        /* a message-mode timer on SINT 0 stays disabled */
        if (!(val & STIMER_DIRECT) && !(val & STIMER_SINTX_MASK)) {
            val &= ~STIMER_ENABLE;
        }
        env->msr_hv_stimer_config[idx] = val;
    } else {
        env->msr_hv_stimer_count[idx] = val;
        if (!val) {
            env->msr_hv_stimer_config[idx] &= ~STIMER_ENABLE;
        } else if (env->msr_hv_stimer_config[idx] & STIMER_AUTO_ENABLE) {
            env->msr_hv_stimer_config[idx] |= STIMER_ENABLE;
        }
    }
    stimer_restart(st);
    return true;
}

/* ------------------------------------------------------------------ */
/* Crash reports                                                      */
/* ------------------------------------------------------------------ */

static void crash_report(X86CPU *cpu, uint64_t ctl)
{
    CPUX86State *env = &cpu->env;
    uint64_t len = hv.crash_params[4];
    int i;

    for (i = 0; i < HV_CRASH_PARAMS; i++) {
        env->msr_hv_crash_params[i] = hv.crash_params[i];
    }
    trace_hyperv_tcg_crash(CPU(cpu)->cpu_index, hv.crash_params[0],
                           hv.crash_params[1], hv.crash_params[2],
                           hv.crash_params[3], hv.crash_params[4]);
    if ((ctl & HV_CRASH_CTL_NOTIFY_MSG) &&
        (hv.crash_ctl_caps & HV_CRASH_CTL_NOTIFY_MSG) && len) {
        /* P3: guest address of a text message, P4: its length */
        g_autofree char *text = NULL;

        len = MIN(len, TARGET_PAGE_SIZE);
        text = g_malloc0(len + 1);
        if (address_space_read(&address_space_memory, hv.crash_params[3],
                               MEMTXATTRS_UNSPECIFIED, text, len) == MEMTX_OK) {
            for (i = 0; i < len; i++) {
                if (text[i] && !g_ascii_isprint(text[i]) && text[i] != '\n') {
                    text[i] = '?';
                }
            }
            error_report("hyperv: guest crash message: %s", text);
        }
    }
    qemu_system_guest_panicked(cpu_get_crash_info(CPU(cpu)));
}

/* ------------------------------------------------------------------ */
/* MSRs                                                               */
/* ------------------------------------------------------------------ */

static bool has_eax(HvTcgVp *vp, uint32_t bit)
{
    return vp->feat_eax & bit;
}

static bool msr_available(HvTcgVp *vp, uint32_t msr)
{
    switch (msr) {
    case HV_X64_MSR_GUEST_OS_ID:
    case HV_X64_MSR_HYPERCALL:
        return has_eax(vp, HV_HYPERCALL_AVAILABLE);
    case HV_X64_MSR_VP_INDEX:
        return has_eax(vp, HV_VP_INDEX_AVAILABLE);
    case HV_X64_MSR_RESET:
        return has_eax(vp, HV_RESET_AVAILABLE);
    case HV_X64_MSR_VP_RUNTIME:
        return has_eax(vp, HV_VP_RUNTIME_AVAILABLE);
    case HV_X64_MSR_TIME_REF_COUNT:
        return has_eax(vp, HV_TIME_REF_COUNT_AVAILABLE);
    case HV_X64_MSR_REFERENCE_TSC:
        return has_eax(vp, HV_REFERENCE_TSC_AVAILABLE);
    case HV_X64_MSR_TSC_FREQUENCY:
    case HV_X64_MSR_APIC_FREQUENCY:
        return has_eax(vp, HV_ACCESS_FREQUENCY_MSRS);
    case HV_X64_MSR_APIC_ASSIST_PAGE:
        /* Linux writes it whatever the features; Hyper-V accepts it */
        return true;
    case HV_X64_MSR_SCONTROL ... HV_X64_MSR_EOM:
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        return has_eax(vp, HV_SYNIC_AVAILABLE);
    case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
        return has_eax(vp, HV_SYNTIMERS_AVAILABLE);
    case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_CTL:
        return vp->feat_edx & HV_GUEST_CRASH_MSR_AVAILABLE;
    default:
        return false;
    }
}

bool hyperv_tcg_rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *val)
{
    HvTcgVp *vp = vp_of(cpu);
    CPUX86State *env = &cpu->env;

    if (!vp || !msr_available(vp, msr)) {
        return false;
    }
    switch (msr) {
    case HV_X64_MSR_GUEST_OS_ID:
        *val = hv.guest_os_id;
        break;
    case HV_X64_MSR_HYPERCALL:
        *val = hv.hypercall;
        break;
    case HV_X64_MSR_VP_INDEX:
        *val = hyperv_vp_index(CPU(cpu));
        break;
    case HV_X64_MSR_RESET:
        *val = 0;
        break;
    case HV_X64_MSR_VP_RUNTIME:
        /* TCG does not account per-vCPU run time: partition time */
        *val = ref_time(cpu);
        break;
    case HV_X64_MSR_TIME_REF_COUNT:
        *val = ref_time(cpu);
        break;
    case HV_X64_MSR_REFERENCE_TSC:
        *val = hv.ref_tsc;
        break;
    case HV_X64_MSR_TSC_FREQUENCY:
        *val = hv.tsc_hz;
        break;
    case HV_X64_MSR_APIC_FREQUENCY:
        *val = HV_APIC_FREQUENCY;
        break;
    case HV_X64_MSR_APIC_ASSIST_PAGE:
        *val = env->msr_hv_vapic;
        break;
    case HV_X64_MSR_SCONTROL:
        *val = env->msr_hv_synic_control;
        break;
    case HV_X64_MSR_SVERSION:
        *val = HV_SYNIC_VERSION;
        break;
    case HV_X64_MSR_SIEFP:
        *val = env->msr_hv_synic_evt_page;
        break;
    case HV_X64_MSR_SIMP:
        *val = env->msr_hv_synic_msg_page;
        break;
    case HV_X64_MSR_EOM:
        *val = 0;
        break;
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        *val = env->msr_hv_synic_sint[msr - HV_X64_MSR_SINT0];
        break;
    case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT: {
        unsigned idx = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;

        *val = (msr - HV_X64_MSR_STIMER0_CONFIG) % 2 ?
               env->msr_hv_stimer_count[idx] :
               env->msr_hv_stimer_config[idx];
        break;
    }
    case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
        *val = hv.crash_params[msr - HV_X64_MSR_CRASH_P0];
        break;
    case HV_X64_MSR_CRASH_CTL:
        *val = hv.crash_ctl_caps;
        break;
    default:
        return false;
    }
    return true;
}

/* A page MSR (enable bit + GPA): reserved bits clear, the page in RAM. */
static bool page_msr_ok(HvTcgVp *vp, const char *name, uint64_t val)
{
    if (val & HV_PAGE_MSR_RSVD_MASK) {
        hv_bad(vp->cpu, "%s 0x%" PRIx64 ": reserved bits", name, val);
        return false;
    }
    if ((val & 1) && !gpa_is_ram(val & TARGET_PAGE_MASK, TARGET_PAGE_SIZE)) {
        hv_bad(vp->cpu, "%s 0x%" PRIx64 ": page outside guest RAM",
               name, val);
        return false;
    }
    return true;
}

/* The partition-wide registers, as every vCPU's state shows them */
static void mirror_partition(void)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        CPUX86State *env = &X86_CPU(cs)->env;

        env->msr_hv_guest_os_id = hv.guest_os_id;
        env->msr_hv_hypercall = hv.hypercall;
        env->msr_hv_tsc = hv.ref_tsc;
    }
}

static void write_hypercall_page(hwaddr gpa)
{
    /* endbr64; vmcall; ret -- what Hyper-V writes on Intel */
    static const uint8_t code[] = {
        0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x01, 0xc1, 0xc3
    };

    address_space_write(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                        code, sizeof(code));
}

static bool wrmsr_locked(HvTcgVp *vp, uint32_t msr, uint64_t val)
{
    X86CPU *cpu = vp->cpu;
    CPUX86State *env = &cpu->env;
    uint64_t old;

    switch (msr) {
    case HV_X64_MSR_GUEST_OS_ID:
        hv.guest_os_id = val;
        if (!val && !(hv.hypercall & HV_HYPERCALL_LOCKED)) {
            /* no guest OS id, no hypercalls */
            hv.hypercall &= ~HV_HYPERCALL_ENABLE;
        }
        return true;
    case HV_X64_MSR_HYPERCALL:
        if (hv.hypercall & HV_HYPERCALL_LOCKED) {
            return true;
        }
        if (!page_msr_ok(vp, "HYPERCALL", val & ~HV_HYPERCALL_LOCKED)) {
            return false;
        }
        if ((val & HV_HYPERCALL_ENABLE) && !hv.guest_os_id) {
            hv_bad(cpu, "hypercall page enabled before the guest OS id");
            val &= ~HV_HYPERCALL_ENABLE;
        }
        hv.hypercall = val;
        if (val & HV_HYPERCALL_ENABLE) {
            write_hypercall_page(val & TARGET_PAGE_MASK);
        }
        return true;
    case HV_X64_MSR_RESET:
        if (val & 1) {
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        }
        return true;
    case HV_X64_MSR_REFERENCE_TSC:
        if (!page_msr_ok(vp, "REFERENCE_TSC", val)) {
            return false;
        }
        hv.ref_tsc = val;
        write_tsc_page();
        return true;
    case HV_X64_MSR_APIC_ASSIST_PAGE:
        if (val & HV_PAGE_MSR_RSVD_MASK) {
            hv_bad(cpu, "VP_ASSIST_PAGE 0x%" PRIx64 ": reserved bits", val);
            return false;
        }
        env->msr_hv_vapic = val;
        return true;
    case HV_X64_MSR_SCONTROL:
        if (val & ~(uint64_t)HV_SYNIC_ENABLE) {
            hv_bad(cpu, "SCONTROL 0x%" PRIx64 ": reserved bits", val);
            return false;
        }
        env->msr_hv_synic_control = val;
        break;
    case HV_X64_MSR_SIEFP:
        if (!page_msr_ok(vp, "SIEFP", val)) {
            return false;
        }
        env->msr_hv_synic_evt_page = val;
        break;
    case HV_X64_MSR_SIMP:
        if (!page_msr_ok(vp, "SIMP", val)) {
            return false;
        }
        env->msr_hv_synic_msg_page = val;
        break;
    case HV_X64_MSR_EOM:
        stimers_retry(vp);
        hyperv_synic_eom(CPU(cpu));
        return true;
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        if (val & ~HV_SINT_VALID_MASK) {
            hv_bad(cpu, "SINT%u 0x%" PRIx64 ": reserved bits",
                   msr - HV_X64_MSR_SINT0, val);
            return false;
        }
        if (!(val & HV_SINT_MASKED) &&
            (val & HV_SINT_VECTOR_MASK) < HV_SINT_MIN_VECTOR) {
            hv_bad(cpu, "SINT%u unmasked with vector %u",
                   msr - HV_X64_MSR_SINT0,
                   (unsigned)(val & HV_SINT_VECTOR_MASK));
            return false;
        }
        if ((val & HV_SINT_AUTO_EOI) && !vp->sint_aeoi_logged) {
            vp->sint_aeoi_logged = true;
            warn_report("hyperv: vp%d: auto-EOI requested though deprecated;"
                        " interrupts still need the guest's EOI",
                        CPU(cpu)->cpu_index);
        }
        old = env->msr_hv_synic_sint[msr - HV_X64_MSR_SINT0];
        env->msr_hv_synic_sint[msr - HV_X64_MSR_SINT0] = val;
        if ((old & HV_SINT_MASKED) && !(val & HV_SINT_MASKED)) {
            /* unmasked with work waiting: let the senders retry */
            hyperv_synic_eom(CPU(cpu));
        }
        return true;
    case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
        return wr_stimer(vp, msr, val);
    case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
        hv.crash_params[msr - HV_X64_MSR_CRASH_P0] = val;
        return true;
    case HV_X64_MSR_CRASH_CTL:
        if (val & ~hv.crash_ctl_caps) {
            hv_bad(cpu, "CRASH_CTL 0x%" PRIx64 ": bits not offered", val);
            return false;
        }
        if (val & HV_CRASH_CTL_NOTIFY) {
            crash_report(cpu, val);
        }
        return true;
    default:
        /* read-only: VP_INDEX, VP_RUNTIME, TIME_REF_COUNT, frequencies... */
        return false;
    }

    /* SCONTROL, SIEFP, SIMP: the SynIC pages change */
    async_safe_run_on_cpu(CPU(cpu), synic_update_work, RUN_ON_CPU_NULL);
    return true;
}

bool hyperv_tcg_wrmsr(X86CPU *cpu, uint32_t msr, uint64_t val)
{
    HvTcgVp *vp = vp_of(cpu);
    bool ok;

    if (!vp || !msr_available(vp, msr)) {
        return false;
    }
    bql_lock();
    ok = wrmsr_locked(vp, msr, val);
    trace_hyperv_tcg_wrmsr(CPU(cpu)->cpu_index, msr, val, ok);
    if (ok && msr <= HV_X64_MSR_REFERENCE_TSC) {
        mirror_partition();
    }
    bql_unlock();
    return ok;
}

/* ------------------------------------------------------------------ */
/* Hypercalls                                                         */
/* ------------------------------------------------------------------ */

/* An input block: 8-byte aligned, inside one page, in guest RAM. */
static uint16_t check_input(hwaddr gpa, hwaddr len)
{
    if ((gpa & 7) || (gpa & ~TARGET_PAGE_MASK) + len > TARGET_PAGE_SIZE) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    if (!gpa_is_ram(gpa, len)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    return HV_STATUS_SUCCESS;
}

static uint16_t hc_post_message(X86CPU *cpu, bool fast, uint64_t in)
{
    struct hyperv_post_message_input msg;
    uint16_t st;

    if (fast) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    st = check_input(in, sizeof(msg));
    if (st) {
        return st;
    }
    /* one copy out of the guest: checked here, handed to the handler */
    if (address_space_read(&address_space_memory, in, MEMTXATTRS_UNSPECIFIED,
                           &msg, sizeof(msg)) != MEMTX_OK) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    if (msg._reserved || (le32_to_cpu(msg.connection_id) &
                          ~HV_CONNECTION_ID_MASK)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (le32_to_cpu(msg.payload_size) > HV_MESSAGE_PAYLOAD_SIZE ||
        !msg.message_type || (le32_to_cpu(msg.message_type) & 0x80000000)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    msg.connection_id = le32_to_cpu(msg.connection_id);
    msg.message_type = le32_to_cpu(msg.message_type);
    msg.payload_size = le32_to_cpu(msg.payload_size);
    return hyperv_post_message_dispatch(&msg);
}

static uint16_t hc_signal_event(X86CPU *cpu, bool fast, uint64_t in)
{
    if (!fast) {
        uint16_t st = check_input(in, sizeof(struct hyperv_signal_event_input));

        if (st) {
            return st;
        }
    }
    return hyperv_hcall_signal_event(in, fast);
}

bool hyperv_tcg_hypercall(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    bool long_mode = env->hflags & HF_LMA_MASK && env->hflags & HF_CS64_MASK;
    uint64_t control, in;
    uint16_t code, st;
    bool fast;

    if (!vp_of(cpu) || !(hv.hypercall & HV_HYPERCALL_ENABLE) ||
        (env->hflags & HF_CPL_MASK) || !(env->cr[0] & CR0_PE_MASK)) {
        return false;
    }
    if (long_mode) {
        control = env->regs[R_ECX];
        in = env->regs[R_EDX];
    } else {
        control = (uint64_t)(uint32_t)env->regs[R_EDX] << 32 |
                  (uint32_t)env->regs[R_EAX];
        in = (uint64_t)(uint32_t)env->regs[R_EBX] << 32 |
             (uint32_t)env->regs[R_ECX];
    }
    code = control & HC_CODE_MASK;
    fast = control & HC_FAST;

    if (control & HC_RSVD_MASK) {
        st = HV_STATUS_INVALID_HYPERCALL_INPUT;
    } else if (code != HV_POST_MESSAGE && code != HV_SIGNAL_EVENT &&
               code != HV_NOTIFY_LONG_SPIN_WAIT) {
        st = HV_STATUS_INVALID_HYPERCALL_CODE;
    } else if (control & (HC_VARHEAD_MASK | HC_REP_COUNT_MASK |
                          HC_REP_START_MASK)) {
        /* all three are simple calls: no reps, no variable header */
        st = HV_STATUS_INVALID_HYPERCALL_INPUT;
    } else {
        bql_lock();
        switch (code) {
        case HV_POST_MESSAGE:
            st = hc_post_message(cpu, fast, in);
            break;
        case HV_SIGNAL_EVENT:
            st = hc_signal_event(cpu, fast, in);
            break;
        default:
            /*
             * HvNotifyLongSpinWait: an advisory simple call, fast or not,
             * with no error status (TLFS); nothing to do here
             */
            st = HV_STATUS_SUCCESS;
            break;
        }
        bql_unlock();
    }
    trace_hyperv_tcg_hypercall(CPU(cpu)->cpu_index, control, in, st);
    /* an unknown connection is an answer (version probing), not misuse */
    if (st != HV_STATUS_SUCCESS && st != HV_STATUS_INVALID_CONNECTION_ID) {
        hv_bad(cpu, "hypercall 0x%04x (input 0x%" PRIx64 ", param 0x%"
               PRIx64 "): status %u", code, control, in, st);
    }
    if (long_mode) {
        env->regs[R_EAX] = st;
    } else {
        env->regs[R_EAX] = st;
        env->regs[R_EDX] = 0;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Reset                                                              */
/* ------------------------------------------------------------------ */

static HvTcgVp *vp_create(X86CPU *cpu)
{
    unsigned i = CPU(cpu)->cpu_index;
    HvTcgVp *vp;
    int t;

    if (i >= hv.nr_vps) {
        hv.vps = g_renew(HvTcgVp *, hv.vps, i + 1);
        memset(hv.vps + hv.nr_vps, 0, (i + 1 - hv.nr_vps) * sizeof(*hv.vps));
        hv.nr_vps = i + 1;
    }
    if (hv.vps[i]) {
        return hv.vps[i];
    }
    vp = g_new0(HvTcgVp, 1);
    vp->cpu = cpu;
    for (t = 0; t < HV_STIMER_COUNT; t++) {
        vp->stimer[t].vp = vp;
        vp->stimer[t].index = t;
        vp->stimer[t].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, stimer_cb,
                                           &vp->stimer[t]);
    }
    hv.vps[i] = vp;
    return vp;
}

void hyperv_tcg_unrealize_vcpu(X86CPU *cpu)
{
    HvTcgVp *vp = vp_of(cpu);
    int t;

    if (!vp) {
        return;
    }
    for (t = 0; t < HV_STIMER_COUNT; t++) {
        timer_free(vp->stimer[t].timer);
    }
    hv.vps[CPU(cpu)->cpu_index] = NULL;
    g_free(vp);
}

void hyperv_tcg_reset_vcpu(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    const HypervProfile *p = hyperv_cpu_profile(cpu);
    uint32_t ebx, ecx;
    HvTcgVp *vp;
    int i;

    if (!hyperv_cpu_enabled(cpu)) {
        return;
    }
    vp = vp_create(cpu);
    hyperv_cpuid_leaf(cpu, HV_CPUID_FEATURES, &vp->feat_eax, &ebx, &ecx,
                      &vp->feat_edx);
    ref_time_init(cpu);

    /* the partition-wide registers go with the boot processor */
    if (CPU(cpu)->cpu_index == 0) {
        hv.guest_os_id = 0;
        hv.hypercall = 0;
        hv.ref_tsc = 0;
        memset(hv.crash_params, 0, sizeof(hv.crash_params));
        hv.crash_ctl_caps = p ? p->crash_ctl : HV_CRASH_CTL_NOTIFY;
        mirror_partition();
    }
    for (i = 0; i < HV_STIMER_COUNT; i++) {
        vp->stimer[i].deadline = 0;
        vp->stimer[i].msg_pending = false;
        timer_del(vp->stimer[i].timer);
        env->msr_hv_stimer_config[i] = 0;
        env->msr_hv_stimer_count[i] = 0;
    }
    vp->sint_aeoi_logged = false;

    if (vp->feat_eax & HV_SYNIC_AVAILABLE) {
        if (!hyperv_synic_get(CPU(cpu))) {
            hyperv_synic_set_deliver_fn(tcg_deliver_sint);
            hyperv_synic_add(CPU(cpu));
            if (hyperv_feat_enabled(cpu, HYPERV_FEAT_STIMER) &&
                hyperv_feat_enabled(cpu, HYPERV_FEAT_RUNTIME)) {
                /* what Windows needs for VMBus, short of the virtual APIC */
                hyperv_set_vmbus_recommended_features_enabled();
            }
        }
        env->msr_hv_synic_control = 0;
        env->msr_hv_synic_msg_page = 0;
        env->msr_hv_synic_evt_page = 0;
        for (i = 0; i < HV_SINT_COUNT; i++) {
            env->msr_hv_synic_sint[i] = HV_SINT_MASKED;
        }
        hyperv_synic_reset(CPU(cpu));
    }
}
