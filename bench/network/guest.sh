# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# bench/network, in the guest: one workload on one NIC, then power off.
# bench.nic=netvsp|virtio-net, bench.work=none|tcp-tx|tcp-rx|udp64,
# bench.port=N (the host's iperf3 server, reached as 10.0.2.2 through
# QEMU's user networking). Prints "BENCH key=value..." for network.sh.
. /lib/hvtest/tap.sh

nic='' work='' port=0
for a in $(cat /proc/cmdline); do
	case $a in
	bench.nic=*) nic=${a#*=} ;;
	bench.work=*) work=${a#*=} ;;
	bench.port=*) port=${a#*=} ;;
	esac
done
case $nic in
netvsp) modprobe hv_vmbus; modprobe hv_netvsc ;;
virtio-net) modprobe virtio_pci; modprobe virtio_net ;;
esac
n=0
until eth=$(ls /sys/class/net | grep -v '^lo$' | head -n 1) && [ -n "$eth" ]; do
	n=$((n + 1))
	[ $n -lt 300 ] || break
	sleep 0.1
done
ip addr add 10.0.2.15/24 dev "$eth"
ip link set "$eth" up
n=0
until ping -c 1 -W 1 10.0.2.2 >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 30 ] || break
done
t_ok "$nic: $eth reaches the host" ping -c 1 -W 2 10.0.2.2

# packets through the NIC, both ways
pkts() {
	echo $(($(cat "/sys/class/net/$eth/statistics/rx_packets") +
		$(cat "/sys/class/net/$eth/statistics/tx_packets")))
}
# every interrupt but timer ticks (LOC, HVS, IRQ 0)
devirqs() {
	awk 'NR > 1 && $1 != "LOC:" && $1 != "HVS:" && $1 != "0:" {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++)
			d += $i
	} END { print d + 0 }' /proc/interrupts
}
ip_run() {
	iperf3 -c 10.0.2.2 -p "$port" -f m "$@" >/tmp/iperf.out 2>&1
}
p0=$(pkts)
d0=$(devirqs)
case $work in
# the baseline still starts iperf3 (its start-up is not the workload's)
none) ip_run -t 1 -b 1K -u -l 64 ;;
tcp-tx) ip_run -t 5 ;;
tcp-rx) ip_run -t 5 -R ;;
udp64) ip_run -t 5 -u -l 64 -b 0 ;;
esac
st=$?
p1=$(pkts)
d1=$(devirqs)
t_is "$st" 0 "$nic $work: iperf3"
# the receiver's summary: Mbit/s, and for UDP the datagrams that arrived
mbps=$(awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) } END { print v + 0 }' /tmp/iperf.out)
dgrams=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); v = a[2] - a[1] } } END { print v + 0 }' /tmp/iperf.out)
tail -n 4 /tmp/iperf.out | sed 's/^/# /'
echo "BENCH nic=$nic work=$work pkts=$((p1 - p0)) devirqs=$((d1 - d0)) mbps=$mbps dgrams=$dgrams"
t_done
