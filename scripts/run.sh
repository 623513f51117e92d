#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh (make run): boot a test guest on hvhost (QEMU, built by
# tools/hvhost/build-qemu.sh; TCG, no /dev/kvm needed) with its console on
# this terminal and an interactive busybox shell in it; leaving the shell
# powers the VM off, Ctrl-A x quits QEMU, Ctrl-A c is QEMU's monitor. A
# banner shows what the guest detected (Hyper-V lines of dmesg, clocksource,
# clockevents).
# Environment / make variables:
#   KIND=stock-6.1 (any kind scripts/kernel.sh knows)   CPUS=2
#   HOST=ws2025  MEM=512  MODULES (modprobed before the shell; default msr
#   on stock kinds, hv_vmbus on bare kinds, whose image carries our modules
#   built against the kernel)  APPEND= (extra kernel command line)
#   TIMEOUT=86400 (seconds; then QEMU is stopped)
#   HVIC_QEMU= (use that qemu-system-x86_64, build none)
# Logs in logs/run-<timestamp>/: qemu.log (command line, QEMU's messages,
# exit status), console.txt, console.log, qmp-events.log. The QMP socket is
# named at start: scripts/qmp.py SOCK query-status.

set -eu -o pipefail

. "$(dirname "$0")/lib.sh"

kind=${KIND:-stock-6.1}
cpus=${CPUS:-2}
host=${HOST:-ws2025}
mem=${MEM:-512}
modules=${MODULES-}

hvic_need_pkgs $HVIC_BASE_PKGS rsync python3

rundir=$HVIC_TOP/logs/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$rundir"
hvic_msg "hvhost: QEMU (tools/hvhost/build-qemu.sh)"
hvic_qemu "$rundir/qemu.env" 2>"$rundir/qemu-build.log" || {
	tail -n 20 "$rundir/qemu-build.log" >&2
	hvic_die "QEMU build failed (see $rundir/qemu-build.log)"
}
# shellcheck disable=SC1091 # written by hvic_qemu
. "$rundir/qemu.env"
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

sockdir=$(mktemp -d "${TMPDIR:-/tmp}/hvic-run.XXXXXX")
sock=$sockdir/qmp.sock
saved_tty=
[ -t 0 ] && saved_tty=$(stty -g)
HVIC_VM_PID=
restore() {
	[ -n "$HVIC_VM_PID" ] && kill "$HVIC_VM_PID" 2>/dev/null
	[ -n "$saved_tty" ] && stty "$saved_tty" 2>/dev/null
	rm -rf "$sockdir"
	return 0
}
trap restore EXIT

hvic_msg "booting $KVER on QEMU $QEMU_VERSION ($(hvic_qemu_accel), $cpus vCPUs, $host); exit the shell to power off, Ctrl-A x quits QEMU"
hvic_msg "QMP: scripts/qmp.py $sock query-status"
hvic_vm_start "$rundir" "$sock" 1 -k "$BZIMAGE" -i "$rundir/initramfs.cpio.gz" \
	-a "$HVIC_BASE_APPEND hvtest.shell=1 hvtest.kind=$kind hvtest.host=$host hvtest.cpus=$cpus ${APPEND:-}" \
	-c "$cpus" -m "$mem" -H "$host" || hvic_die "could not start QEMU"
hvic_vm_wait "${TIMEOUT:-86400}"
hvic_vm_finish "$rundir"
restore
echo
[ -s "$rundir/qemu.out" ] && sed 's/^/qemu: /' "$rundir/qemu.out" >&2
hvic_msg "exit status $HVIC_VM_STATUS ($HVIC_VM_WHY); logs in $rundir"
exit "$HVIC_VM_STATUS"
