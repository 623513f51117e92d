#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/storage/storage.sh [-k KIND] [-o DIR]: the storage baselines our
# own hv_storvsc will be measured against, from one run on one host:
# Debian's stock hv_storvsc on hvhost's StorVSP, virtio-blk and
# virtio-scsi, all on the same plain (unsanitized) hvhost under TCG, one
# vCPU, a 256 MiB raw disk in RAM (/dev/shm, cache=writeback).
#
# Per device: fio 4 KiB random read IOPS at QD1 (psync) and QD32 (libaio),
# 1 MiB sequential read MB/s (libaio, QD4); and per I/O, what costs on real
# hardware: guest instructions (QEMU's libinsn.so plugin, inline counting),
# hypercalls (hvhost's hyperv_tcg_hypercall trace events) and interrupts
# (the guest's /proc/interrupts around the workload). The plugin and the
# trace count a whole run, so each device also boots once with a baseline
# (fio started for a single read), and a workload's count is its run's
# minus that one, divided by its I/Os. Wall-clock
# numbers under TCG say little about real hardware; the counts are
# repeatable. Not part of make check: 12 boots, about 10 minutes.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../scripts/lib.sh"

kind=stock-6.12
out=
while getopts k:o: opt; do
	case $opt in
	k) kind=$OPTARG ;;
	o) out=$OPTARG ;;
	*) hvic_die "usage: storage.sh [-k KIND] [-o DIR]" ;;
	esac
done
out=${out:-$HVIC_TOP/logs/bench-storage-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

hvic_need_pkgs $HVIC_BASE_PKGS python3 fio
hvic_msg "hvhost, plain (tools/hvhost/build-qemu.sh --plain)"
if [ -n "$HVIC_QEMU_GIVEN" ]; then
	hvic_qemu "$out/qemu.env"
else
	"$HVIC_TOP/tools/hvhost/build-qemu.sh" --plain -o "$out/qemu.env" \
		>"$out/qemu-build.log" 2>&1 ||
		hvic_die "QEMU build failed (see $out/qemu-build.log)"
fi
. "$out/qemu.env"
plugin=${QEMU_PLUGINS:+$QEMU_PLUGINS/libinsn.so}
[ -n "$plugin" ] && [ -f "$plugin" ] ||
	hvic_die "no libinsn.so (QEMU_PLUGINS='${QEMU_PLUGINS:-}')"
hvic_msg "kernel $kind"
"$HVIC_TOP/scripts/kernel.sh" -o "$out/kernel.env" "$kind" >"$out/kernel.log" 2>&1 ||
	hvic_die "no kernel $kind (see $out/kernel.log)"
. "$out/kernel.env"
hvic_image "$out/initramfs.cpio.gz" "$out/kernel.env" "$HERE" "" "" "fio" \
	"hv_vmbus hv_storvsc sd_mod virtio_pci virtio_blk virtio_scsi" \
	>"$out/image.log" 2>&1 || hvic_die "image (see $out/image.log)"

disk=/dev/shm/hvic-bench-storage.img
dd if=/dev/urandom of="$disk" bs=1M count=256 status=none
sockdir=$(mktemp -d "${TMPDIR:-/tmp}/hvic-bench.XXXXXX")
trap 'rm -rf "$sockdir" "$disk"' EXIT

drive="-drive if=none,id=d0,file=$disk,format=raw,cache=writeback,aio=threads"
declare -A devs=(
	[storvsp]="-device hv-storvsp,id=scsi0 $drive -device scsi-hd,bus=scsi0.0,scsi-id=0,lun=0,drive=d0"
	[virtio-blk]="$drive -device virtio-blk-pci,drive=d0"
	[virtio-scsi]="-device virtio-scsi-pci,id=vs $drive -device scsi-hd,bus=vs.0,drive=d0"
)
declare -A res=()
for dev in storvsp virtio-blk virtio-scsi; do
	for work in none qd1 qd32 seq; do
		rd=$out/$dev-$work
		mkdir -p "$rd"
		hvic_msg "$dev $work"
		hvic_vm_start "$rd" "$sockdir/$dev-$work.sock" 0 -k "$BZIMAGE" \
			-i "$out/initramfs.cpio.gz" -c 1 -m 1024 -H ws2025 \
			-a "$HVIC_BASE_APPEND hvtest.kind=$kind hvtest.host=ws2025 hvtest.cpus=1 bench.dev=$dev bench.work=$work" \
			-x "${devs[$dev]} -plugin $plugin,inline=on -d plugin -D $rd/plugin.log -trace enable=hyperv_tcg_hypercall" ||
			hvic_die "QEMU did not start (see $rd)"
		hvic_vm_wait 900 "$rd/console.txt" '^hvtest: hyperv-ic test guest' 300
		hvic_vm_finish "$rd"
		line=$(tr -d '\r' <"$rd/console.txt" | grep -a '^BENCH ' | tail -n 1)
		[ -n "$line" ] || hvic_die "$dev $work: no BENCH line (see $rd)"
		insns=$(sed -n 's/^total insns: //p' "$rd/plugin.log" | tail -n 1)
		hc=$(grep -c 'hyperv_tcg_hypercall' "$rd/plugin.log" || true)
		res[$dev-$work]="$line insns=${insns:-0} hypercalls=$hc"
		echo "${res[$dev-$work]}" >>"$out/results.txt"
	done
done

# field KEY LINE
field() {
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"
}
per_io() {	# per_io DEV WORK KEY
	local a b n
	a=$(field "$3" "${res[$1-$2]}")
	b=$(field "$3" "${res[$1-none]}")
	n=$(field ios "${res[$1-$2]}")
	if [ "$3" = irqs ]; then
		b=0
	fi
	awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", (a - b) / n; else print "-" }'
}

{
	echo "bench/storage: $kind on hvhost $QEMU_VERSION (plain, TCG), 1 vCPU, 256 MiB raw disk in RAM; $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPUs"
	printf '%-12s %9s %9s %9s | %-33s | %-26s | %-26s\n' device "QD1 IOPS" "QD32 IOPS" "seq MB/s" \
		"insns/IO (QD1, QD32, seq 1M)" "hypercalls/IO (QD1,QD32,seq)" "interrupts/IO (QD1,QD32,seq)"
	for dev in storvsp virtio-blk virtio-scsi; do
		printf '%-12s %9s %9s %9s | %10s %10s %11s | %8s %8s %8s | %8s %8s %8s\n' "$dev" \
			"$(field iops "${res[$dev-qd1]}")" "$(field iops "${res[$dev-qd32]}")" \
			"$(awk -v k="$(field kibs "${res[$dev-seq]}")" 'BEGIN { printf "%.1f", k / 1024 }')" \
			"$(per_io "$dev" qd1 insns)" "$(per_io "$dev" qd32 insns)" "$(per_io "$dev" seq insns)" \
			"$(per_io "$dev" qd1 hypercalls)" "$(per_io "$dev" qd32 hypercalls)" "$(per_io "$dev" seq hypercalls)" \
			"$(per_io "$dev" qd1 irqs)" "$(per_io "$dev" qd32 irqs)" "$(per_io "$dev" seq irqs)"
	done
} | tee "$out/table.txt"
hvic_msg "logs and raw results in $out"
