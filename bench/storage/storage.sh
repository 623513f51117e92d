#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/storage/storage.sh [-c "COLUMN..."] [-o DIR] [-p] [-f FIO-OPTIONS]: our hv_storvsc
# against upstream's and virtio-blk, from one run on one host (issue 13's
# A/B benchmark). Not part of make check, never a CI gate: 15 boots, about
# 3 minutes once the kernels are cached (measured: Documentation/bench.md).
#
# Columns (-c, default "ours upstream virtio-blk"):
#   ours         kernel bench-6.12 (scripts/kernel.sh: the bare 6.12 kernel
#                without its debug options, CONFIG_HYPERV=n) with our
#                hv_vmbus + hv_storvsc built from this tree against it
#   upstream     kernel bench-6.12-hyperv (the same source and configuration
#                plus CONFIG_HYPERV=m) with its own hv_vmbus + hv_storvsc
#   virtio-blk   kernel bench-6.12, virtio_blk on virtio-blk-pci
#   virtio-scsi  kernel bench-6.12, virtio_scsi on virtio-scsi-pci
#   stock        Debian's stock 6.12 kernel with its hv_storvsc (the
#                baseline this script measured before the bench kernels)
# COLUMN@KIND runs a column on another kernel kind of scripts/kernel.sh,
# e.g. "virtio-blk@stock-6.12" (the bare kinds cannot: fio needs System V
# IPC, which only the bench and stock kernels have).
# Storage columns use hvhost's hv-storvsp; every column runs on the same
# plain (unsanitized) hvhost under TCG, ws2025 profile, one vCPU, a 256 MiB
# raw disk in RAM (/dev/shm, cache=writeback).
#
# Per column: fio 4 KiB random read IOPS at QD1 (psync) and QD32 (libaio),
# the same QD32 submitted and reaped 16 at a time (one blk-mq dispatch
# batch per io_submit), 1 MiB sequential read MB/s (libaio, QD4); and per I/O, what costs on real
# hardware: guest instructions (QEMU's libinsn.so plugin, inline counting),
# hypercalls (hvhost's hyperv_tcg_hypercall trace events) and interrupts
# other than timer ticks (the guest's /proc/interrupts around the workload,
# LOC, HVS and IRQ 0 left out: ticks count wall-clock time, not I/O). The
# plugin and the trace count a whole run, so each column also boots once
# with a baseline (fio started for a single read), and a workload's count
# is its run's minus that one, divided by its I/Os. Wall-clock numbers
# under TCG say little about real hardware and follow the machine's load;
# the exits per I/O are exact at QD1 and depend on timing at depth (how
# much the guest queues before the host drains), so compare columns of one
# run. The table ends with ours/upstream ratios when both columns ran.
# Documentation/bench.md has the kernel pair and measured tables.
#
# QEMU: tools/hvhost/build-qemu.sh --plain, or HVIC_QEMU (and
# HVIC_QEMU_DATADIR) for a given binary, e.g. a frozen copy:
#   HVIC_QEMU=/var/tmp/qemu-frozen/qemu-system-x86_64 \
#   HVIC_QEMU_DATADIR=/var/tmp/qemu-frozen/firmware bench/storage/storage.sh
# The instruction counter is libinsn.so from QEMU's build tree
# (QEMU_PLUGINS of build-qemu.sh); for a given binary, HVIC_QEMU_PLUGIN=
# PATH/libinsn.so, else the cached plain build's (same QEMU source: the
# plugin API version matches). A column that fails (no module, no device,
# fio error) shows "-" and the run goes on; its logs are in DIR/COLUMN-WORK.
# Results: DIR/table.txt, DIR/results.txt (raw BENCH lines and counts).
#
# -f: more fio options for every job and column (blank-separated, no
# blanks or commas inside one), e.g. -f --clocksource=cpu: fio then times
# its I/Os with the TSC in user space instead of clock_gettime(), which our
# modules can only answer with a system call (no vDSO clock from a module;
# upstream's answers in the vDSO), so that the columns compare the storage
# paths without the clock.
#
# -p: profile too. The instruction counter is then bench/profile/
# insnprof.c (same totals, by translation block), and each workload's
# instructions per I/O by function, less the baseline boot's, go to
# DIR/profile-COLUMN-WORK.txt (.tsv: every function); with ours and
# upstream, DIR/profile-diff-WORK.txt puts them side by side, sorted by
# what ours runs more. Needs the kernel's System.map (bench kinds).
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../scripts/lib.sh"
. "$HERE/../lib.sh"

columns="ours upstream virtio-blk"
out='' profile='' fioopts=''
while getopts c:o:pf: opt; do
	case $opt in
	c) columns=$OPTARG ;;
	o) out=$OPTARG ;;
	p) profile=1 ;;
	f) fioopts=$OPTARG ;;
	*) hvic_die "usage: storage.sh [-c \"ours upstream virtio-blk virtio-scsi stock\"] [-o DIR] [-p] [-f FIO-OPTIONS]" ;;
	esac
done
out=${out:-$HVIC_TOP/logs/bench-storage-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

declare -A col_kind=([ours]=bench-6.12 [upstream]=bench-6.12-hyperv
	[virtio-blk]=bench-6.12 [virtio-scsi]=bench-6.12 [stock]=stock-6.12)
declare -A col_dev=([ours]=storvsp [upstream]=storvsp [virtio-blk]=virtio-blk
	[virtio-scsi]=virtio-scsi [stock]=storvsp)
specs=$columns columns=
for spec in $specs; do
	col=${spec%@*}
	[ -n "${col_kind[$col]:-}" ] || hvic_die "unknown column '$col'"
	[ "$spec" = "$col" ] || col_kind[$col]=${spec#*@}
	columns="$columns $col"
done

hvic_need_pkgs $HVIC_BASE_PKGS python3 fio rsync
load0=$(cut -d' ' -f1-3 /proc/loadavg)
bench_qemu "$out"
[ -z "$profile" ] || bench_profiler "$out"

# One kernel and one image per kind; the image of ours' kind (bench-6.12)
# carries our modules (in updates/, where the kernel has none of its own)
# next to the kernel's virtio ones.
declare -A kenv=() image=() ours_ok=()
for col in $columns; do
	kind=${col_kind[$col]}
	[ -n "${kenv[$kind]:-}" ] && continue
	hvic_msg "kernel $kind"
	"$HVIC_TOP/scripts/kernel.sh" -o "$out/kernel-$kind.env" "$kind" \
		>"$out/kernel-$kind.log" 2>&1 ||
		hvic_die "no kernel $kind (see $out/kernel-$kind.log)"
	kenv[$kind]=$out/kernel-$kind.env
	updates='' mods=''
	for c in $columns; do
		[ "${col_kind[$c]}" = "$kind" ] || continue
		case ${col_dev[$c]} in
		virtio-blk) mods="$mods virtio_pci virtio_blk" ;;
		virtio-scsi) mods="$mods virtio_pci virtio_scsi sd_mod" ;;
		storvsp) [ "$c" = ours ] || mods="$mods hv_vmbus hv_storvsc sd_mod" ;;
		esac
	done
	case " $columns " in
	*" ours "*)
		if [ "$kind" = "${col_kind[ours]}" ]; then
			hvic_msg "our modules against $kind"
			# shellcheck disable=SC1090 # written by kernel.sh
			KDIR=$(. "${kenv[$kind]}" && echo "$KDIR")
			if hvic_build_modules "$KDIR" "$out/modules" "$out/modules.log" &&
				[ -f "$out/modules/drivers/hv/hv_vmbus.ko" ] &&
				[ -f "$out/modules/drivers/scsi/storvsc/hv_storvsc.ko" ]; then
				updates=$out/modules
				ours_ok[ours]=1
				mods="$mods hv_vmbus hv_storvsc sd_mod"
			else
				hvic_msg "warning: our hv_vmbus/hv_storvsc did not build (see $out/modules.log): column ours left out"
			fi
		fi
		;;
	esac
	image[$kind]=$out/initramfs-$kind.cpio.gz
	hvic_image "${image[$kind]}" "${kenv[$kind]}" "$HERE" "$updates" "" "fio" \
		"$mods" >"$out/image-$kind.log" 2>&1 ||
		hvic_die "image for $kind (see $out/image-$kind.log)"
done

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
failed=
for col in $columns; do
	if [ "$col" = ours ] && [ -z "${ours_ok[ours]:-}" ]; then
		failed="$failed ours(build)"
		continue
	fi
	kind=${col_kind[$col]} dev=${col_dev[$col]}
	# shellcheck disable=SC1090
	. "${kenv[$kind]}"
	for work in none qd1 qd32 qd32b seq; do
		rd=$out/$col-$work
		hvic_msg "$col ($kind, $dev) $work"
		if ! bench_boot "$rd" "$sockdir/$col-$work.sock" 900 "${devs[$dev]}" \
			-k "$BZIMAGE" -i "${image[$kind]}" -c 1 -m 1024 -H ws2025 \
			-a "$HVIC_BASE_APPEND hvtest.kind=$kind hvtest.host=ws2025 hvtest.cpus=1 bench.dev=$dev bench.work=$work${profile:+ bench.profile=1}${fioopts:+ bench.fio=${fioopts// /,}}"; then
			failed="$failed $col-$work"
			break
		fi
		if ! grep -q ' fio=0 ' <<<"$BENCH_LINE"; then
			bench_warn "$rd" "$BENCH_LINE"
			failed="$failed $col-$work"
			break
		fi
		res[$col-$work]="$BENCH_LINE $BENCH_COUNTS"
		echo "col=$col kind=$kind ${res[$col-$work]}" >>"$out/results.txt"
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# field KEY LINE
field() {
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"
}
# value COL ROW: one cell of the table ("-" when the column has no result)
value() {
	local col=$1 work=${2%:*} key=${2#*:} a b n

	[ -n "${res[$col-$work]:-}" ] && [ -n "${res[$col-none]:-}" ] || {
		echo -
		return
	}
	case $key in
	iops) field iops "${res[$col-$work]}" ;;
	mbs) awk -v k="$(field kibs "${res[$col-$work]}")" 'BEGIN { printf "%.1f", k / 1024 }' ;;
	*)
		a=$(field "$key" "${res[$col-$work]}")
		b=$(field "$key" "${res[$col-none]}")
		n=$(field ios "${res[$col-$work]}")
		# interrupts are counted around the workload in the guest
		[ "$key" = devirqs ] && b=0
		# exits per I/O to 3 decimals: in batches of 16 they are small
		awk -v a="$a" -v b="$b" -v n="$n" -v f="$([ "$key" = insns ] && echo %.1f || echo %.3f)" \
			'BEGIN { if (n > 0) printf f, (a - b) / n; else print "-" }'
		;;
	esac
}

rows=(qd1:iops qd32:iops qd32b:iops seq:mbs
	qd1:insns qd32:insns qd32b:insns seq:insns
	qd1:hypercalls qd32:hypercalls qd32b:hypercalls seq:hypercalls
	qd1:devirqs qd32:devirqs qd32b:devirqs seq:devirqs)
declare -A label=([qd1:iops]="4K randread QD1 IOPS" [qd32:iops]="4K randread QD32 IOPS"
	[qd32b:iops]="4K QD32 batch16 IOPS" [seq:mbs]="1M seq read MB/s"
	[qd1:insns]="insns/IO 4K QD1" [qd32:insns]="insns/IO 4K QD32"
	[qd32b:insns]="insns/IO 4K QD32 b16" [seq:insns]="insns/IO 1M seq"
	[qd1:hypercalls]="hypercalls/IO 4K QD1" [qd32:hypercalls]="hypercalls/IO 4K QD32"
	[qd32b:hypercalls]="hypercalls/IO QD32 b16" [seq:hypercalls]="hypercalls/IO 1M seq"
	[qd1:devirqs]="interrupts/IO 4K QD1" [qd32:devirqs]="interrupts/IO 4K QD32"
	[qd32b:devirqs]="interrupts/IO QD32 b16" [seq:devirqs]="interrupts/IO 1M seq")
ratio=
case " $columns " in *" ours "*) case " $columns " in *" upstream "*) ratio=1 ;; esac ;; esac
{
	echo "bench/storage: hvhost $QEMU_VERSION (plain, TCG, ws2025), 1 vCPU, 256 MiB raw disk in RAM"
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average $load0 at start, $load1 at end"
	[ -z "$fioopts" ] || echo "  fio options for every job: $fioopts"
	for col in $columns; do
		# shellcheck disable=SC1090
		echo "  $col: ${col_kind[$col]} $(. "${kenv[${col_kind[$col]}]}" && echo "$KVER"), ${col_dev[$col]}, clocksource $(sed -n 's/.* clock=\([^ ]*\).*/\1/p' <<<"${res[$col-qd1]:- clock=-}")"
	done
	printf '%-24s' ""
	for col in $columns; do
		printf ' %12s' "$col"
	done
	[ -n "$ratio" ] && printf ' %14s' "ours/upstream"
	echo
	for row in "${rows[@]}"; do
		printf '%-24s' "${label[$row]}"
		for col in $columns; do
			printf ' %12s' "$(value "$col" "$row")"
		done
		if [ -n "$ratio" ]; then
			printf ' %14s' "$(awk -v a="$(value ours "$row")" -v b="$(value upstream "$row")" \
				'BEGIN { if (a != "-" && b != "-" && b + 0 != 0) printf "%.2f", a / b; else print "-" }')"
		fi
		echo
	done
	echo "(IOPS, MB/s: higher is better; per-I/O counts: lower is better; interrupts leave out timer ticks)"
	[ -z "$failed" ] || echo "failed:$failed (see $out)"
} | tee "$out/table.txt"
# -p: instructions per I/O by function
if [ -n "$profile" ]; then
	for col in $columns; do
		# shellcheck disable=SC1090
		map=$(. "${kenv[${col_kind[$col]}]}" && echo "$KDIR/System.map")
		if [ ! -f "$map" ]; then
			hvic_msg "warning: no $map: $col not profiled"
			continue
		fi
		for work in qd1 qd32 qd32b seq; do
			if [ -z "${res[$col-$work]:-}" ] || [ -z "${res[$col-none]:-}" ]; then
				continue
			fi
			python3 "$HERE/../profile/symbolize.py" --map "$map" \
				--console "$out/$col-$work/console.txt" \
				--base "$out/$col-none/blocks.txt" \
				--base-console "$out/$col-none/console.txt" \
				--per "$(field ios "${res[$col-$work]}")" \
				--tsv "$out/profile-$col-$work.tsv" \
				"$out/$col-$work/blocks.txt" >"$out/profile-$col-$work.txt"
		done
	done
	for work in qd1 qd32 qd32b seq; do
		[ -f "$out/profile-ours-$work.tsv" ] && [ -f "$out/profile-upstream-$work.tsv" ] &&
			python3 "$HERE/../profile/symbolize.py" --diff \
				"$out/profile-ours-$work.tsv" "$out/profile-upstream-$work.tsv" \
				>"$out/profile-diff-$work.txt"
	done
	hvic_msg "profiles: $out/profile-*.txt"
fi
hvic_msg "logs and raw results in $out"
