#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hv_platform: kselftest for the platform layer of hyperv-ic's hv_vmbus
# module (Hyper-V detection, hypercall page, SynIC, clocksource).
# POSIX sh (busybox is enough); run as root on a Hyper-V guest (or on
# hvhost) whose kernel has no Hyper-V support of its own. TAP 13 on stdout;
# exit 0 (pass), 1 (fail) or 4 (skip: not Hyper-V, no module).
#
# Environment:
#   HV_PLATFORM_CYCLES=N          rmmod/modprobe cycles (default 10)
#   HV_PLATFORM_HOST_MESSAGES=N   the host will post N SynIC messages of
#                                 type 1 to the VMBus SINT once this script
#                                 prints "# READY-FOR-MESSAGE vp=V ..."
#                                 (default 0: skip that test)
#   HV_PLATFORM_HOST_EVENTS=N     ... and set N event flags (default 0)
#   HV_PLATFORM_WAIT=SEC          how long to wait for them (default 120)
#   HV_PLATFORM_VMBUS_VERSION=M.m the VMBus version the host should give
#                                 (default: not checked)

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

MOD=hv_vmbus
SYS=/sys/kernel/hv_vmbus
CS_SYS=/sys/devices/system/clocksource/clocksource0
CYCLES=${HV_PLATFORM_CYCLES:-10}
HOST_MESSAGES=${HV_PLATFORM_HOST_MESSAGES:-0}
HOST_EVENTS=${HV_PLATFORM_HOST_EVENTS:-0}
WAIT=${HV_PLATFORM_WAIT:-120}

# the TAP helpers: next to this script (the test guest), or in ../lib
_d=$(dirname "$0")
if [ -f "$_d/ktap.sh" ]; then
	. "$_d/ktap.sh"
else
	. "$_d/../lib/ktap.sh"
fi

counter() {
	awk -v k="$1" '$1 == k { print $2 }' "$SYS/counters" 2>/dev/null
}

features_eax() {
	read -r eax _ <"$SYS/features" 2>/dev/null && echo "$eax"
}

# The clocksource name hv_vmbus registers for clocksource=$1
expected_cs() {
	eax=$(features_eax)
	case $1 in
	none) echo none ;;
	msr) echo hyperv_ic_msr ;;
	*)
		if [ $((${eax:-0} & 0x200)) -ne 0 ]; then
			echo hyperv_ic_tsc_page
		else
			echo hyperv_ic_msr
		fi
		;;
	esac
}

online_cpus() {
	grep -c '^processor' /proc/cpuinfo
}

# synic attribute field: "cpus N irq I cpu C vp V vector X"
synic_field() {
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' \
		"$SYS/synic" 2>/dev/null
}

hypercalls_pass() {
	[ -r "$SYS/hypercall_test" ] || return 1
	[ "$(grep -c ' pass$' "$SYS/hypercall_test")" -eq 3 ] &&
		! grep -q ' fail$' "$SYS/hypercall_test"
}

echo "TAP version 13"

# ------------------------------------------------------------- load
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP must run as root"
	exit $KSFT_SKIP
fi
if [ ! -d /sys/module/$MOD ]; then
	if ! out=$(modprobe $MOD 2>&1); then
		diag "$out"
		if dmesg | grep -Eq "$MOD: .*(not loading|not Hyper-V|not running under)"; then
			diag "$(dmesg | grep "$MOD: " | tail -n 3)"
			echo "1..0 # SKIP not a Hyper-V guest this module can run on"
			exit $KSFT_SKIP
		fi
		if ! modinfo $MOD >/dev/null 2>&1; then
			echo "1..0 # SKIP module $MOD not installed"
			exit $KSFT_SKIP
		fi
	fi
fi
check "module $MOD is loaded" "no /sys/module/$MOD" [ -d /sys/module/$MOD ]
if [ ! -d "$SYS" ]; then
	fail "$SYS exists" "the module did not finish loading; dmesg:" \
		"$(dmesg | grep "$MOD" | tail -n 5)"
	echo "1..$n"
	exit $KSFT_FAIL
fi
pass "$SYS exists"

# ------------------------------------------------------------- detection
dmesg >/tmp/hv_platform.dmesg
summary='hv_vmbus: Hyper-V [0-9]+\.[0-9]+\.[0-9]+ detected, hypercall page ok, SynIC on [0-9]+ CPUs \(IRQ [0-9]+, vector 0x[0-9a-f]+ on CPU [0-9]+\), (VMBus [0-9]+\.[0-9]+|VMBus not connected), clocksource [a-z_]+'
if [ -n "${HV_PLATFORM_VMBUS_VERSION:-}" ]; then
	is "$(cat "$SYS/vmbus_version" 2>/dev/null)" "$HV_PLATFORM_VMBUS_VERSION" \
		"VMBus version $HV_PLATFORM_VMBUS_VERSION negotiated ($SYS/vmbus_version)"
fi
if grep -Eq "$summary" /tmp/hv_platform.dmesg; then
	pass "dmesg: detection summary line"
	diag "$(grep -E "$summary" /tmp/hv_platform.dmesg | tail -n 1)"
else
	fail "dmesg: detection summary line" "no line matches: $summary" \
		"$(grep "$MOD" /tmp/hv_platform.dmesg | tail -n 5)"
fi

version=$(cat "$SYS/version")
if expr "$version" : '[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*$' >/dev/null; then
	pass "hypervisor version $version is major.minor.build"
else
	fail "hypervisor version '$version' is major.minor.build"
fi
if grep -Eq "hv_vmbus: Hyper-V $version detected" /tmp/hv_platform.dmesg; then
	pass "sysfs version matches dmesg"
else
	fail "sysfs version matches dmesg" "version $version not in the summary line"
fi

# Guest OS id: open source, Linux, this kernel's version
id=$(cat "$SYS/guest_os_id")
kv=$(uname -r | sed 's/[^0-9.].*//')
ka=${kv%%.*}
kb=${kv#*.}
kb=${kb%%.*}
kc=${kv#*.*.}
[ "$kc" = "$kv" ] && kc=0
[ "${kc:-0}" -gt 255 ] && kc=255
want=$(((ka << 16) + (kb << 8) + ${kc:-0}))
got=$(((id >> 16) & 0xffffffff))
if [ $(((id >> 56) & 0xff)) -eq $((0x81)) ] && [ "$got" -eq "$want" ]; then
	pass "guest OS id $id: open source, Linux, kernel $kv"
else
	fail "guest OS id $id: open source, Linux, kernel $kv" \
		"type byte $(((id >> 56) & 0xff)), version field $got, want 0x81 and $want"
fi

# ------------------------------------------------------------- hypercalls
if hypercalls_pass; then
	pass "load-time hypercall round trips (fast8, slow, fast16)"
else
	fail "load-time hypercall round trips (fast8, slow, fast16)" \
		"$(cat "$SYS/hypercall_test" 2>&1)"
fi
diag "$(cat "$SYS/hypercall_test")"
if echo 1 >"$SYS/hypercall_test" && hypercalls_pass; then
	pass "hypercall round trips on demand"
else
	fail "hypercall round trips on demand" "$(cat "$SYS/hypercall_test" 2>&1)"
fi

# ------------------------------------------------------------- SynIC
synic=$(cat "$SYS/synic")
diag "synic: $synic"
ncpu=$(online_cpus)
check "SynIC enabled on all $ncpu online CPUs" "synic: $synic" \
	[ "$(synic_field cpus)" = "$ncpu" ]
target=$(synic_field cpu)
vp=$(synic_field vp)
vector=$(synic_field vector)
if [ $((${vector:-0})) -ge 32 ] && [ $((${vector:-0})) -le 255 ]; then
	pass "SINT2 vector $vector is an external vector"
else
	fail "SINT2 vector $vector is an external vector" "synic: $synic"
fi

# ------------------------------------------------------------- clocksource
cs_mode=$(cat /sys/module/$MOD/parameters/clocksource 2>/dev/null)
want_cs=$(expected_cs "${cs_mode:-auto}")
ours=$(cat "$SYS/clocksource")
check "registered clocksource is $want_cs (clocksource=${cs_mode:-auto}, features $(features_eax))" \
	"registered: $ours" [ "$ours" = "$want_cs" ]
cur=$(cat $CS_SYS/current_clocksource)
check "kernel's current clocksource is $want_cs" "current: $cur" [ "$cur" = "$want_cs" ]

read -r c1 m1 <"$SYS/ref_time"
prev=$c1
mono=1
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	read -r c _ <"$SYS/ref_time"
	[ "$c" -ge "$prev" ] || mono=0
	prev=$c
done
check "20 successive clocksource reads never go back" "went from $prev back" [ $mono = 1 ]
u1=$(cut -d' ' -f1 /proc/uptime)
sleep 1
read -r c2 m2 <"$SYS/ref_time"
u2=$(cut -d' ' -f1 /proc/uptime)
dc=$((c2 - c1))
diag "1 s sleep: clocksource +$dc, MSR +$((m2 - m1)) (100 ns), uptime $u1 -> $u2"
# (upper bounds are loose: a loaded host may run the guest late)
dm=$((m2 - m1))
ddiff=$((dc - dm))
[ $ddiff -lt 0 ] && ddiff=$((-ddiff))
if [ "$dc" -ge 9000000 ] && [ "$dc" -le 300000000 ] &&
	[ $ddiff -le $((10000 + dm / 100)) ]; then
	pass "clocksource advances over sleep 1 like TIME_REF_COUNT (+$dc, MSR +$dm x 100 ns)"
else
	fail "clocksource advances over sleep 1 like TIME_REF_COUNT (+$dc, MSR +$dm x 100 ns)" \
		"expected at least 0.9e7 and within 1 ms + 1% of the MSR"
fi
skew=$((m2 - c2))
[ $skew -lt 0 ] && skew=$((-skew))
check "clocksource and TIME_REF_COUNT agree within 1 ms (skew $skew x 100 ns)" \
	"clocksource $c2, MSR $m2" [ $skew -le 10000 ]
ud=$(awk -v a="$u1" -v b="$u2" 'BEGIN { printf "%d", (b - a) * 1000 }')
if [ "$ud" -ge 900 ] && [ "$ud" -le 30000 ]; then
	pass "kernel time (uptime) advances over sleep 1 (+$ud ms)"
else
	fail "kernel time (uptime) advances over sleep 1 (+$ud ms)" "expected 900..30000 ms"
fi

# ------------------------------------------------------------- host messages
if [ "$HOST_MESSAGES" -gt 0 ] || [ "$HOST_EVENTS" -gt 0 ]; then
	m0=$(counter messages)
	ty0=$(counter msg_type_1)
	e0=$(counter event_flags)
	echo "# READY-FOR-MESSAGE vp=$vp cpu=$target vector=$vector messages=$HOST_MESSAGES events=$HOST_EVENTS"
	t=0
	while [ $t -lt $((WAIT * 5)) ]; do
		m=$(counter messages)
		e=$(counter event_flags)
		[ $((m - m0)) -ge "$HOST_MESSAGES" ] && [ $((e - e0)) -ge "$HOST_EVENTS" ] && break
		sleep 0.2
		t=$((t + 1))
	done
	diag "$(grep -v ' 0$' "$SYS/counters")"
	check "host-posted SINT2 messages counted ($((m - m0)) of $HOST_MESSAGES)" \
		"counters after ${WAIT}s wait" [ $((m - m0)) -eq "$HOST_MESSAGES" ]
	check "all of them counted as type 1" "msg_type_1 $ty0 -> $(counter msg_type_1)" \
		[ $(($(counter msg_type_1) - ty0)) -eq $((m - m0)) ]
	check "no malformed messages" "bad_messages $(counter bad_messages)" \
		[ "$(counter bad_messages)" -eq 0 ]
	if [ "$HOST_EVENTS" -gt 0 ]; then
		check "host-set SINT2 event flags counted ($((e - e0)) of $HOST_EVENTS)" \
			"event counters" [ $((e - e0)) -eq "$HOST_EVENTS" ]
	fi
else
	skip "host-posted SINT2 messages counted" "no host injector (HV_PLATFORM_HOST_MESSAGES=0)"
fi

# ------------------------------------------------------------- CPU hotplug
other=
for c in /sys/devices/system/cpu/cpu[0-9]*; do
	c=${c##*cpu}
	[ "$c" != "$target" ] && [ -w /sys/devices/system/cpu/cpu"$c"/online ] &&
		[ "$(cat /sys/devices/system/cpu/cpu"$c"/online)" = 1 ] && { other=$c; break; }
done
if [ -n "$other" ]; then
	before=$(synic_field cpus)
	echo 0 >/sys/devices/system/cpu/cpu"$other"/online
	mid=$(synic_field cpus)
	echo 1 >/sys/devices/system/cpu/cpu"$other"/online
	after=$(synic_field cpus)
	if [ "$mid" = $((before - 1)) ] && [ "$after" = "$before" ]; then
		pass "CPU $other offline/online: SynIC CPUs $before -> $mid -> $after"
	else
		fail "CPU $other offline/online: SynIC CPUs $before -> $mid -> $after" \
			"expected $before -> $((before - 1)) -> $before"
	fi
else
	skip "CPU offline/online moves the SynIC" "no second hot-pluggable CPU"
fi
if [ -w /sys/devices/system/cpu/cpu"$target"/online ]; then
	if echo 0 2>/dev/null >/sys/devices/system/cpu/cpu"$target"/online; then
		echo 1 >/sys/devices/system/cpu/cpu"$target"/online
		fail "CPU $target (VMBus interrupt) refuses to go offline" "it went offline"
	else
		pass "CPU $target (VMBus interrupt) refuses to go offline"
	fi
else
	skip "CPU $target (VMBus interrupt) refuses to go offline" "CPU $target is not hot-pluggable"
fi

# ------------------------------------------------------------- reload cycles
KMEMLEAK=/sys/kernel/debug/kmemleak
if [ -w $KMEMLEAK ]; then
	echo scan >$KMEMLEAK
	echo clear >$KMEMLEAK
fi
i=1
while [ $i -le "$CYCLES" ]; do
	if [ $((i % 2)) -eq 1 ]; then mode=msr; else mode=auto; fi
	[ $i -eq "$CYCLES" ] && mode=auto
	why=
	away=
	if ! out=$(modprobe -r $MOD 2>&1); then
		why="rmmod: $out"
	elif [ -d "$SYS" ] || [ -d /sys/module/$MOD ]; then
		why="still present after rmmod"
	elif away=$(cat $CS_SYS/current_clocksource) &&
		[ "${away#hyperv_ic_}" != "$away" ]; then
		why="current clocksource still $away after rmmod"
	elif ! out=$(modprobe $MOD clocksource=$mode 2>&1); then
		why="modprobe clocksource=$mode: $out"
	elif [ "$(cat $CS_SYS/current_clocksource)" != "$(expected_cs $mode)" ]; then
		why="clocksource=$mode: current $(cat $CS_SYS/current_clocksource), want $(expected_cs $mode)"
	elif ! hypercalls_pass; then
		why="hypercall self-test: $(cat "$SYS/hypercall_test")"
	elif [ "$(synic_field cpus)" != "$(online_cpus)" ]; then
		why="synic: $(cat "$SYS/synic")"
	fi
	if [ -z "$why" ]; then
		pass "reload $i/$CYCLES: rmmod -> $away, modprobe clocksource=$mode -> $(cat $CS_SYS/current_clocksource)"
	else
		fail "reload $i/$CYCLES with clocksource=$mode" "$why"
	fi
	i=$((i + 1))
done

# ------------------------------------------------------------- leaks
# Whatever the reload cycles leaked (per-CPU pages, the TSC page, sysfs
# objects) is new in a kmemleak scan after them; a scan before them and
# "clear" set older reports aside. Objects younger than 5 s are not reported.
if [ -w $KMEMLEAK ]; then
	sleep 5
	echo scan >$KMEMLEAK
	leaks=$(grep -c '^unreferenced object' $KMEMLEAK)
	if [ "$leaks" -eq 0 ]; then
		pass "kmemleak: nothing leaked over $CYCLES reloads"
	else
		fail "kmemleak: nothing leaked over $CYCLES reloads" \
			"$(head -n 30 $KMEMLEAK)"
	fi
else
	skip "kmemleak: nothing leaked over $CYCLES reloads" "no $KMEMLEAK"
fi

# ------------------------------------------------------------- no splats
dmesg >/tmp/hv_platform.dmesg
# (the refused offline of the interrupt CPU above is expected)
bad='WARNING: |BUG: |Oops|general protection|unchecked MSR access|KASAN|hv_vmbus: .*(refused|cannot|failed|FAILED|expected|not loading)'
found=$(grep -E "$bad" /tmp/hv_platform.dmesg | grep -v 'cannot go offline while hv_vmbus is loaded')
if [ -n "$found" ]; then
	fail "dmesg free of warnings and errors" "$(echo "$found" | head -n 5)"
else
	pass "dmesg free of warnings and errors"
fi

echo "1..$n"
[ $failed -eq 0 ] && exit $KSFT_PASS
exit $KSFT_FAIL
