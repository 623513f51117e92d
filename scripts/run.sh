#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh (make run): boot a test guest on hvhost with its console on this
# terminal and an interactive busybox shell in it; leaving the shell powers
# the VM off. A banner shows what the guest detected (Hyper-V lines of
# dmesg, clocksource, clockevents).
# Environment / make variables:
#   KIND=stock-6.1 (any kind scripts/kernel.sh knows)   CPUS=2
#   HOST=ws2025  MEM=512  MODULES (modprobed before the shell; default msr
#   on stock kinds, hv_vmbus on bare kinds, whose image carries our modules
#   built against the kernel)  APPEND= (extra kernel command line)
# hvhost's log goes to logs/run-<timestamp>/hvhost.log.
# Needs KVM with hardware virtualization: on kvm-pvm (guest kernel code
# emulated) it says so and exits 1 unless HVIC_LINUX_GUESTS=force.

set -eu -o pipefail

. "$(dirname "$0")/lib.sh"

kind=${KIND:-stock-6.1}
cpus=${CPUS:-2}
host=${HOST:-ws2025}
mem=${MEM:-512}
modules=${MODULES-}

hvic_need_kvm "make run"
if [ "${HVIC_LINUX_GUESTS:-}" != force ] && ! hvic_kvm_hw; then
	echo "make run: KVM here has no hardware virtualization (kvm-pvm emulates guest kernel code): a Linux guest cannot reach its shell; HVIC_LINUX_GUESTS=force tries anyway"
	exit 1
fi
hvic_need_pkgs $HVIC_BASE_PKGS rsync

rundir=$HVIC_TOP/logs/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$rundir"
hvic_msg "building hvhost"
make -s -C "$HVIC_TOP/tools/hvhost" >"$rundir/hvhost-build.log" 2>&1 || {
	tail -n 20 "$rundir/hvhost-build.log" >&2
	hvic_die "hvhost build failed"
}
hvic_msg "kernel $kind"
"$HVIC_TOP/scripts/kernel.sh" -o "$rundir/kernel.env" "$kind"
# shellcheck disable=SC1091
. "$rundir/kernel.env"

updates=
case $kind in
bare-*)
	if hvic_build_modules "$KDIR" "$rundir/modules" "$rundir/modules.log"; then
		updates=$rundir/modules
	elif [ $? = 1 ]; then
		tail -n 20 "$rundir/modules.log" >&2
		hvic_die "module build failed (see $rundir/modules.log)"
	fi
	;;
esac

# Default modules: msr (hvclock, rdmsr via /dev/cpu/N/msr) on stock kernels,
# our hv_vmbus on bare ones.
if [ -z "${MODULES+set}" ]; then
	case $kind in
	stock-*) modules=msr ;;
	bare-*) [ -n "$updates" ] && [ -n "$(find "$updates" -name hv_vmbus.ko)" ] && modules=hv_vmbus ;;
	esac
fi

mkdir -p "$rundir/suite"
cp "$HVIC_TOP/scripts/guest/banner.sh" "$rundir/suite/banner.sh"
hvic_image "$rundir/initramfs.cpio.gz" "$rundir/kernel.env" "$rundir/suite" \
	"$updates" "$modules" ""

sock=$(mktemp -u "${TMPDIR:-/tmp}/hvic-run.XXXXXX.sock")
saved_tty=
[ -t 0 ] && saved_tty=$(stty -g)
restore() {
	[ -n "$saved_tty" ] && stty "$saved_tty" 2>/dev/null
	rm -f "$sock"
	return 0
}
trap restore EXIT

hvic_msg "booting $KVER on hvhost ($cpus vCPUs, $host); exit the shell to power off"
hvic_msg "control socket: $sock (tools/hvhost/hvctl $sock help)"
st=0
"$HVIC_HVHOST" --kernel "$BZIMAGE" --initrd "$rundir/initramfs.cpio.gz" \
	--append "$HVIC_BASE_APPEND hvtest.shell=1 hvtest.kind=$kind hvtest.host=$host hvtest.cpus=$cpus ${APPEND:-}" \
	--cpus "$cpus" --mem "$mem" --host "$host" --console - \
	--console-log "$rundir/console.log" --ctl "$sock" \
	--timeout "${TIMEOUT:-86400}" --log "$rundir/hvhost.log" || st=$?
restore
echo
hvic_msg "hvhost exited with status $st; logs in $rundir"
exit "$st"
