# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# bench/storage, in the guest: one workload on one disk, then power off.
# The kernel command line says which: bench.dev=storvsp|virtio-blk|
# virtio-scsi, bench.work=none|qd1|qd32|qd32b|seq. storvsp is whichever
# hv_vmbus + hv_storvsc the image carries: ours (in updates/, on a kernel
# without Hyper-V support) or the kernel's own. Prints "BENCH key=value..."
# lines for bench/storage/storage.sh (bench.fio=OPT,OPT... adds fio options
# to every job); with bench.profile=1 also "KSYM"
# lines, the code of the modules in /proc/kallsyms and the kernel's _stext
# (bench/profile/symbolize.py maps addresses to functions with them).
. /lib/hvtest/tap.sh

dev='' work='' profile='' extra=''
for a in $(cat /proc/cmdline); do
	case $a in
	bench.dev=*) dev=${a#*=} ;;
	bench.work=*) work=${a#*=} ;;
	bench.profile=*) profile=${a#*=} ;;
	# more fio options for every job, comma-separated
	bench.fio=*) extra=$(echo "${a#*=}" | tr ',' ' ') ;;
	esac
done

case $dev in
storvsp) modprobe hv_vmbus; modprobe hv_storvsc; modprobe sd_mod; disk=sda ;;
virtio-blk) modprobe virtio_pci; modprobe virtio_blk; disk=vda ;;
virtio-scsi) modprobe virtio_pci; modprobe virtio_scsi; modprobe sd_mod; disk=sda ;;
esac
i=0
while [ ! -b /dev/$disk ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_ok "$dev: /dev/$disk" test -b /dev/$disk

# "ALL DEV": every interrupt of every CPU, then those other than timer
# ticks (LOC: the local APIC timer, HVS: Hyper-V's stimer, IRQ 0: the PIT),
# which count elapsed time, not I/O
irqs() {
	awk 'NR > 1 {
		n = 0
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++)
			n += $i
		s += n
		if ($1 != "LOC:" && $1 != "HVS:" && $1 != "0:")
			d += n
	} END { print s + 0, d + 0 }' /proc/interrupts
}

# fio's terse output: field 8 is read IOPS, 7 read KiB/s. (fio needs
# System V shared memory, even with --thread: the bench kernels have it,
# the bare ones do not.)
run() {
	# shellcheck disable=SC2086 # options, split on purpose
	fio --minimal --name=b --filename=/dev/$disk --direct=1 --readonly "$@" \
		$extra >/tmp/fio.out 2>&1
}
# shellcheck disable=SC2046 # two numbers
set -- $(irqs)
i0=$1 d0=$2
case $work in
# the baseline run still starts fio (its start-up, 64 shared libraries,
# is not the workload's): one read
none) ios=0; run --rw=randread --bs=4k --ioengine=psync --iodepth=1 --number_ios=1 --size=256M ;;
qd1) ios=10000; run --rw=randread --bs=4k --ioengine=psync --iodepth=1 --number_ios=$ios --size=256M ;;
qd32) ios=20000; run --rw=randread --bs=4k --ioengine=libaio --iodepth=32 --number_ios=$ios --size=256M ;;
# the same in batches: 16 requests per io_submit (one plug, one blk-mq
# dispatch), reaped 16 at a time
qd32b) ios=20000; run --rw=randread --bs=4k --ioengine=libaio --iodepth=32 --iodepth_batch_submit=16 --iodepth_batch_complete_min=16 --number_ios=$ios --size=256M ;;
seq) ios=768; run --rw=read --bs=1M --ioengine=libaio --iodepth=4 --size=256M --loops=3 ;;
esac
st=$?
# shellcheck disable=SC2046
set -- $(irqs)
i1=$1 d1=$2
t_is "$st" 0 "$dev $work: fio"
[ "$st" = 0 ] || sed 's/^/# fio: /' /tmp/fio.out | tail -n 20
iops=0 kibs=0
# (the terse line: fio may print a warning before it)
[ "$work" != none ] && grep '^3;' /tmp/fio.out >/tmp/fio.terse &&
	IFS=';' read -r _ _ _ _ _ _ kibs iops _ </tmp/fio.terse
# the clock the workload ran on (fio reads it several times per I/O)
clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
[ "$profile" = 1 ] &&
	grep -E '^[0-9a-f]+ [tTwW] (_stext$|.*\[)' /proc/kallsyms | sed 's/^/KSYM /'
echo "BENCH dev=$dev work=$work clock=${clock:-unknown} fio=$st ios=$ios iops=$iops kibs=$kibs irqs=$((i1 - i0)) devirqs=$((d1 - d0))"
t_done
