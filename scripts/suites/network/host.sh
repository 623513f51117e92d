# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# network suite, on the host: the iperf3 server (127.0.0.1, this run's
# port from suite.conf), QMP set_link on the guest's NET-LINK lines, and
# the adapters' status (qom-get nicN status) on NET-STATUS: the NVSP
# version per profile, vRSS state, no guest error counted.
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"

P=/machine/peripheral
case $HV_HOST in
ws2012) VER=0x40000 NCH=1 ;;
ws2012r2) VER=0x50000 NCH=$HV_CPUS ;;
ws2016) VER=0x60000 NCH=$HV_CPUS ;;
*) VER=0x60001 NCH=$HV_CPUS ;;
esac

# A fresh server for each test (-1): iperf3 3.12's server sometimes ends a
# test with "select failed: Bad file descriptor" and then stalls the next.
IPERF_PID=
if [ -n "${NET_PORT:-}" ] && [ "$NET_PORT" -gt 0 ]; then
	while :; do
		iperf3 -s -1 -B 127.0.0.1 -p "$NET_PORT" || sleep 0.2
	done >"$RUNDIR/iperf3-server.log" 2>&1 &
	IPERF_PID=$!
fi
trap '[ -n "$IPERF_PID" ] && pkill -P "$IPERF_PID"; [ -n "$IPERF_PID" ] && kill "$IPERF_PID" 2>/dev/null' EXIT

if [ -n "$IPERF_PID" ] && kill -0 "$IPERF_PID" 2>/dev/null; then
	t_pass "iperf3 server on 127.0.0.1:$NET_PORT"
else
	t_fail "iperf3 server on 127.0.0.1:${NET_PORT:-?}"
fi

# status NIC: the adapter's status property (text)
status() {
	qmp -r qom-get path="$P/$1" property=status 2>&1
}

# link NAME on|off at the guest's NET-LINK line
link() {
	local up=true
	[ "$2" = down ] && up=false
	if wait_console "^NET-LINK $2"; then
		if qmp set_link name="$1" up:="$up" >/dev/null 2>&1; then
			t_pass "set_link $1 $2"
		else
			t_fail "set_link $1 $2" "QMP refused"
		fi
	else
		t_fail "set_link $1 $2" "no NET-LINK $2 from the guest"
	fi
}
link n0 down
link n0 up

if wait_console '^NET-STATUS$'; then
	s0=$(status nic0)
	s1=$(status nic1)
	t_diag "nic0: $s0"
	t_diag "nic1: $s1"
	case $s0 in
	*" version $VER "*) t_pass "nic0 runs NVSP $VER ($HV_HOST)" ;;
	*) t_fail "nic0 runs NVSP $VER ($HV_HOST)" "$s0" ;;
	esac
	case $s1 in
	*" version 0x2 "*) t_pass "nic1 runs NVSP 1 (max-version=0x2)" ;;
	*) t_fail "nic1 runs NVSP 1 (max-version=0x2)" "$s1" ;;
	esac
	case $s0 in
	*" mtu 9014 "*) t_pass "nic0 reinitialized with the guest's MTU 9000 (frames of 9014)" ;;
	*) t_fail "nic0 reinitialized with the guest's MTU 9000 (frames of 9014)" "$s0" ;;
	esac
	for n in 0 1; do
		eval "s=\$s$n"
		case $s in
		*" errors 0 "*) t_pass "nic$n counted no guest error" ;;
		*) t_fail "nic$n counted no guest error" "$s" ;;
		esac
	done
	if [ "$NCH" -gt 1 ]; then
		case $s0 in
		*" subchannels 1 "*" rss on "*) t_pass "nic0: one sub-channel, RSS on" ;;
		*) t_fail "nic0: one sub-channel, RSS on" "$s0" ;;
		esac
	else
		case $s0 in
		*" subchannels 0 "*" rss off "*) t_pass "nic0: no sub-channel, RSS off" ;;
		*) t_fail "nic0: no sub-channel, RSS off" "$s0" ;;
		esac
	fi
	# done: the guest waits for nic1's carrier to drop
	qmp set_link name=n1 up:=false >/dev/null 2>&1
else
	t_fail "the guest reached NET-STATUS"
fi
t_done
