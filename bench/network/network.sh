#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/network/network.sh [-c "COLUMN..."] [-o DIR]: upstream hv_netvsc on
# hvhost's NetVSP against virtio-net, from one run on one host (issue 14's
# baselines for our own hv_netvsc). Not part of make check, never a CI
# gate: 8 boots, about 10 minutes on 2 shared cores.
#
# Columns (-c, default "netvsp virtio-net"): Debian's stock 6.12 kernel
# with its hv_netvsc on -device hv-netvsp, or its virtio_net on
# virtio-net-pci; both on QEMU user networking, on the same plain
# (unsanitized) hvhost under TCG, ws2025 profile, one vCPU. The peer is an
# iperf3 server on the host's 127.0.0.1 (a free port), which the guest
# reaches as 10.0.2.2: nothing leaves the machine.
#
# Per column: iperf3 TCP Mbit/s guest to host and host to guest (5 s), UDP
# 64-byte datagrams per second guest to host (5 s, unlimited rate, as
# received); and per packet (the NIC's rx + tx packets in the guest): guest
# instructions (QEMU's libinsn.so plugin, inline counting), hypercalls
# (hyperv_tcg_hypercall trace events) and interrupts other than timer ticks
# (the guest's /proc/interrupts around the workload). Each column also
# boots once with a baseline (iperf3 started for one datagram) whose plugin
# and trace counts are subtracted. The counts are what costs on real
# hardware; wall-clock rates under TCG are only indicative.
#
# QEMU: tools/hvhost/build-qemu.sh --plain (run under the build lock, see
# Documentation/hvhost.md), or HVIC_QEMU for a given binary. Results:
# DIR/table.txt, DIR/results.txt (raw BENCH lines and counts).
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../scripts/lib.sh"

columns="netvsp virtio-net"
out=
while getopts c:o: opt; do
	case $opt in
	c) columns=$OPTARG ;;
	o) out=$OPTARG ;;
	*) hvic_die "usage: network.sh [-c \"netvsp virtio-net\"] [-o DIR]" ;;
	esac
done
out=${out:-$HVIC_TOP/logs/bench-network-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
declare -A nic_dev=(
	[netvsp]="-netdev user,id=n0 -device hv-netvsp,netdev=n0"
	[virtio-net]="-netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile="
)
for col in $columns; do
	[ -n "${nic_dev[$col]:-}" ] || hvic_die "unknown column '$col'"
done

hvic_need_pkgs $HVIC_BASE_PKGS python3 iperf3
load0=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "$HVIC_QEMU_GIVEN" ]; then
	hvic_qemu "$out/qemu.env"
else
	hvic_msg "hvhost, plain (tools/hvhost/build-qemu.sh --plain)"
	flock /tmp/hvhost-build.lock "$HVIC_TOP/tools/hvhost/build-qemu.sh" \
		--plain -o "$out/qemu.env" >"$out/qemu-build.log" 2>&1 ||
		hvic_die "QEMU build failed (see $out/qemu-build.log)"
fi
# shellcheck disable=SC1091 # written above
. "$out/qemu.env"
plugin=${HVIC_QEMU_PLUGIN:-${QEMU_PLUGINS:+$QEMU_PLUGINS/libinsn.so}}
[ -n "$plugin" ] && [ -f "$plugin" ] ||
	hvic_die "no libinsn.so (QEMU_PLUGINS='${QEMU_PLUGINS:-}', HVIC_QEMU_PLUGIN='${HVIC_QEMU_PLUGIN:-}')"

hvic_msg "kernel stock-6.12 and its image"
"$HVIC_TOP/scripts/kernel.sh" -o "$out/kernel.env" stock-6.12 \
	>"$out/kernel.log" 2>&1 || hvic_die "no kernel (see $out/kernel.log)"
img=$out/initramfs.cpio.gz
hvic_image "$img" "$out/kernel.env" "$HERE" "" "" "iperf3" \
	"hv_vmbus hv_netvsc virtio_pci virtio_net" >"$out/image.log" 2>&1 ||
	hvic_die "image (see $out/image.log)"
# shellcheck disable=SC1091 # written by kernel.sh
. "$out/kernel.env"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sockdir=$(mktemp -d "${TMPDIR:-/tmp}/hvic-bench.XXXXXX")
iperf3 -s -B 127.0.0.1 -p "$port" >"$out/iperf3-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$sockdir"' EXIT

declare -A res=()
failed=
for col in $columns; do
	for work in none tcp-tx tcp-rx udp64; do
		rd=$out/$col-$work
		mkdir -p "$rd"
		hvic_msg "$col $work"
		hvic_vm_start "$rd" "$sockdir/$col-$work.sock" 0 -k "$BZIMAGE" \
			-i "$img" -c 1 -m 512 -H ws2025 \
			-a "$HVIC_BASE_APPEND hvtest.kind=stock-6.12 hvtest.host=ws2025 hvtest.cpus=1 bench.nic=$col bench.work=$work bench.port=$port" \
			-x "${nic_dev[$col]} -plugin $plugin,inline=on -d plugin -D $rd/plugin.log -trace enable=hyperv_tcg_hypercall" ||
			hvic_die "QEMU did not start (see $rd)"
		hvic_vm_wait 600 "$rd/console.txt" '^hvtest: hyperv-ic test guest' 300
		hvic_vm_finish "$rd"
		line=$(tr -d '\r' <"$rd/console.txt" | grep -a '^BENCH ' | tail -n 1 || true)
		if [ -z "$line" ]; then
			hvic_msg "warning: $col $work: no BENCH line, status $HVIC_VM_STATUS ($HVIC_VM_WHY)"
			failed="$failed $col-$work"
			break
		fi
		insns=$(sed -n 's/^total insns: //p' "$rd/plugin.log" | tail -n 1)
		hc=$(grep -c 'hyperv_tcg_hypercall' "$rd/plugin.log" || true)
		res[$col-$work]="$line insns=${insns:-0} hypercalls=$hc"
		echo "col=$col ${res[$col-$work]}" >>"$out/results.txt"
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# num KEY LINE: the number after " KEY="
num() {
	sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"
}
# cell COL WORK KEY: one table cell ("-" without a result)
cell() {
	local r=${res[$1-$2]:-} b=${res[$1-none]:-}

	[ -n "$r" ] && [ -n "$b" ] || { echo -; return; }
	case $3 in
	mbps) num mbps "$r" ;;
	pps) awk -v d="$(num dgrams "$r")" 'BEGIN { printf "%.0f", d / 5 }' ;;
	devirqs)
		awk -v a="$(num devirqs "$r")" -v n="$(num pkts "$r")" \
			'BEGIN { if (n > 0) printf "%.2f", a / n; else print "-" }' ;;
	*)
		awk -v a="$(num "$3" "$r")" -v b="$(num "$3" "$b")" \
			-v n="$(num pkts "$r")" \
			'BEGIN { if (n > 0) printf "%.1f", (a - b) / n; else print "-" }' ;;
	esac
}

rows=("tcp-tx mbps" "tcp-rx mbps" "udp64 pps" "tcp-tx insns" "tcp-rx insns"
	"udp64 insns" "tcp-tx hypercalls" "tcp-rx hypercalls" "udp64 hypercalls"
	"tcp-tx devirqs" "tcp-rx devirqs" "udp64 devirqs")
declare -A label=([mbps]="Mbit/s" [pps]="datagrams/s" [insns]="insns/packet"
	[hypercalls]="hypercalls/packet" [devirqs]="interrupts/packet")
{
	echo "bench/network: hvhost $QEMU_VERSION (plain, TCG, ws2025), 1 vCPU, stock $KVER, QEMU user networking"
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average $load0 at start, $load1 at end"
	printf '%-30s' ""
	for col in $columns; do
		printf ' %12s' "$col"
	done
	echo
	for row in "${rows[@]}"; do
		set -- $row
		printf '%-30s' "$1 ${label[$2]}"
		for col in $columns; do
			printf ' %12s' "$(cell "$col" "$1" "$2")"
		done
		echo
	done
	echo "(tcp-tx: guest to host, tcp-rx: host to guest, udp64: 64-byte datagrams guest to host;"
	echo " per-packet counts over the NIC's rx + tx packets, lower is better)"
	[ -z "$failed" ] || echo "failed:$failed (see $out)"
} | tee "$out/table.txt"
hvic_msg "logs and raw results in $out"
