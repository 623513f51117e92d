# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# network suite, in the guest: the stock hv_netvsc on hvhost's NetVSP.
# nic0 (52:54:00:4e:56:01) gets the profile's NVSP version, nic1
# (52:54:00:4e:56:02) is held to NVSP 1. host.sh runs the iperf3 server,
# flips the link on NET-LINK-* lines and reads the devices' status on
# NET-STATUS.
. /lib/hvtest/tap.sh

MAC0=52:54:00:4e:56:01
MAC1=52:54:00:4e:56:02
PORT=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	hvnet.port=*) PORT=${arg#*=} ;;
	esac
done
# NVSP version of nic0 per profile (hv-netvsp.c); vRSS from NVSP 5
case $HV_HOST in
ws2008) NVSP=1 ;;
ws2008r2) NVSP=2 ;;
ws2012) NVSP=4 ;;
ws2012r2) NVSP=5 ;;
ws2016) NVSP=6 ;;
*) NVSP=61 ;;
esac
NCH=1
[ "$NVSP" -ge 5 ] && NCH=$HV_CPUS

# poll SECS CMD...: CMD every 0.2 s until it succeeds, about SECS s at most
poll() {
	_left=$(($1 * 5))
	shift
	while ! "$@"; do
		_left=$((_left - 1))
		[ "$_left" -gt 0 ] || return 1
		sleep 0.2
	done
}

# ifname MAC: the interface with that address
ifname() {
	for _n in /sys/class/net/*; do
		[ "$(cat "$_n/address" 2>/dev/null)" = "$1" ] && {
			basename "$_n"
			return 0
		}
	done
	return 1
}

carrier_is() {
	[ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = "$2" ]
}

# stat IF NAME: an ethtool -S counter
stat() {
	ethtool -S "$1" 2>/dev/null | awk -v n="$2:" '$1 == n { print $2 }'
}

# iperf [ARGS]: a 3 s iperf3 run to the host; MBPS: the receiver's Mbit/s.
# A run that fails is tried once more (and says so): the host's iperf3
# server may have ended the test (see host.sh).
iperf() {
	for _try in 1 2; do
		_out=$(timeout 60 iperf3 -c 10.0.2.2 -p "$PORT" -t 3 -f m "$@" 2>&1)
		_st=$?
		t_diag "$(printf '%s\n' "$_out" | grep -E 'receiver|sender|error' | tail -n 3)"
		MBPS=0
		[ $_st -eq 0 ] &&
			MBPS=$(printf '%s\n' "$_out" | awk '/receiver/ { v = $(NF - 2) } END { print v + 0 }')
		positive "$MBPS" && return
		t_diag "iperf3 $* failed (try $_try, status $_st)"
		sleep 2
	done
}

# positive NUMBER: true if NUMBER > 0
positive() {
	awk -v v="$1" 'BEGIN { exit !(v > 0) }'
}

t_diag "NVSP $NVSP expected on nic0, $NCH channel(s); iperf3 port $PORT"

modprobe hv_netvsc
if poll 30 ifname "$MAC0" >/dev/null && poll 10 ifname "$MAC1" >/dev/null; then
	t_pass "hv_netvsc binds both adapters"
else
	t_fail "hv_netvsc binds both adapters" "$(ls /sys/class/net)"
fi
E0=$(ifname "$MAC0")
E1=$(ifname "$MAC1")
t_is "$(cat "/sys/class/net/$E0/address" 2>/dev/null)" "$MAC0" \
	"nic0 has the device's MAC"
t_is "$(basename "$(readlink -f "/sys/class/net/$E0/device/driver" 2>/dev/null)")" \
	hv_netvsc "nic0 is driven by hv_netvsc"

ip addr add 10.0.2.15/24 dev "$E0"
ip link set "$E0" up
ip addr add 10.0.3.15/24 dev "$E1"
ip link set "$E1" up
if poll 15 carrier_is "$E0" 1 && poll 15 carrier_is "$E1" 1; then
	t_pass "both adapters have carrier"
else
	t_fail "both adapters have carrier"
fi
t_ok "ping the host through nic0" ping -c 3 -W 5 10.0.2.2
t_ok "ping the host through nic1 (NVSP 1)" ping -c 3 -W 5 10.0.3.2
t_ok "ping with 1400-byte payloads through nic0" ping -c 2 -s 1400 -W 5 10.0.2.2

# ---- offloads: what hv-netvsp offers (checksums and large send, v4 and v6)
k=$(ethtool -k "$E0" 2>&1)
t_diag "$(printf '%s\n' "$k" | grep -E '^[[:space:]]*(tx-checksum-ip|tcp-segmentation-offload|tx-tcp6?-segmentation|rx-checksumming|receive-hashing)')"
for f in tx-checksum-ipv4 tx-checksum-ipv6 tcp-segmentation-offload \
	tx-tcp6-segmentation; do
	if printf '%s\n' "$k" | grep -Eq "^[[:space:]]*$f: on"; then
		t_pass "ethtool -k: $f on"
	else
		t_fail "ethtool -k: $f on" "$(printf '%s\n' "$k" | grep "$f")"
	fi
done

# ---- channels
l=$(ethtool -l "$E0" 2>&1)
cur=$(printf '%s\n' "$l" | awk '/^Current/ { c = 1 } c && /^Combined:/ { print $2; exit }')
t_is "$cur" "$NCH" "ethtool -l: $NCH combined channel(s)"

# ---- iperf3 both ways, to a server on the host
if [ "$PORT" -gt 0 ]; then
	iperf
	echo "NET-IPERF guest-to-host $MBPS Mbit/s"
	positive "$MBPS" && t_pass "iperf3 guest to host: $MBPS Mbit/s" ||
		t_fail "iperf3 guest to host" "$MBPS Mbit/s"
	iperf -R
	echo "NET-IPERF host-to-guest $MBPS Mbit/s"
	positive "$MBPS" && t_pass "iperf3 host to guest: $MBPS Mbit/s" ||
		t_fail "iperf3 host to guest" "$MBPS Mbit/s"
	if [ "$NCH" -gt 1 ]; then
		r0=$(stat "$E0" rx_queue_0_packets)
		r1=$(stat "$E0" rx_queue_1_packets)
		iperf -R -P 8
		echo "NET-IPERF host-to-guest-8-flows $MBPS Mbit/s"
		d0=$(($(stat "$E0" rx_queue_0_packets) - ${r0:-0}))
		d1=$(($(stat "$E0" rx_queue_1_packets) - ${r1:-0}))
		t_diag "8 flows: queue 0 received $d0 packets, queue 1 $d1"
		if [ "$d0" -ge 50 ] && [ "$d1" -ge 50 ]; then
			t_pass "vRSS: 8 flows received on both channels"
		else
			t_fail "vRSS: 8 flows received on both channels" "$d0 / $d1 packets"
		fi
		t0=$(stat "$E0" tx_queue_0_packets)
		t1=$(stat "$E0" tx_queue_1_packets)
		t_diag "sent: queue 0 $t0 packets, queue 1 $t1"
		if [ "${t0:-0}" -gt 0 ] && [ "${t1:-0}" -gt 0 ]; then
			t_pass "vRSS: the guest sent on both channels"
		else
			t_fail "vRSS: the guest sent on both channels" "$t0 / $t1"
		fi
	fi
else
	t_fail "a port for the iperf3 server (hvnet.port)"
fi

# ---- link down and up from QMP (host.sh)
echo "NET-LINK down"
if poll 60 carrier_is "$E0" 0; then
	t_pass "set_link down: nic0 loses carrier"
else
	t_fail "set_link down: nic0 loses carrier"
fi
echo "NET-LINK up"
if poll 60 carrier_is "$E0" 1; then
	t_pass "set_link up: nic0 has carrier again"
else
	t_fail "set_link up: nic0 has carrier again"
fi
poll 20 ping -c 1 -W 2 10.0.2.2 >/dev/null
t_ok "ping the host after the link came back" ping -c 2 -W 5 10.0.2.2

# ---- MTU 9000: allowed from NVSP 2 (the adapter reinitializes), not on 1
if ip link set "$E0" mtu 9000 2>/dev/null; then
	t_is "$(cat "/sys/class/net/$E0/mtu")" 9000 "nic0 (NVSP $NVSP) takes MTU 9000"
else
	t_fail "nic0 (NVSP $NVSP) takes MTU 9000" "ip link set mtu 9000 failed"
fi
poll 20 carrier_is "$E0" 1
poll 20 ping -c 1 -W 2 10.0.2.2 >/dev/null
t_ok "ping the host at MTU 9000" ping -c 2 -W 5 10.0.2.2
if ip link set "$E1" mtu 9000 2>/dev/null; then
	t_fail "nic1 (NVSP 1) refuses MTU 9000" "mtu now $(cat "/sys/class/net/$E1/mtu")"
else
	t_pass "nic1 (NVSP 1) refuses MTU 9000"
fi
t_is "$(cat "/sys/class/net/$E1/mtu")" 1500 "nic1 keeps MTU 1500"
if [ "$PORT" -gt 0 ]; then
	iperf
	echo "NET-IPERF guest-to-host-mtu-9000 $MBPS Mbit/s"
	positive "$MBPS" && t_pass "iperf3 guest to host at MTU 9000: $MBPS Mbit/s" ||
		t_fail "iperf3 guest to host at MTU 9000" "$MBPS Mbit/s"
fi

echo "NET-STATUS"
# host.sh reads the devices' counters, then takes nic1's link down: the sign
# that it is done (QEMU ends with this script)
if poll 120 carrier_is "$E1" 0; then
	t_pass "host.sh read the adapters' status (nic1's carrier dropped)"
else
	t_fail "host.sh read the adapters' status (nic1's carrier dropped)"
fi
t_done
