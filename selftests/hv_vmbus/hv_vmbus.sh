#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hv_vmbus: kselftest for hyperv-ic's VMBus core (connection, devices on
# the vmbus bus, channels, ring buffers, request/response helper,
# MODIFYCHANNEL, reload).  POSIX sh (busybox is enough); run as root in a
# Hyper-V guest (or on hvhost) with hv_vmbus loaded.  TAP 13 on stdout;
# exit 0 (pass), 1 (fail) or 4 (skip: hv_vmbus not loaded).
#
# Sections (HV_VMBUS_SECTIONS, default "conn devices modify"):
#   conn     negotiated version (sysfs and dmesg), message connection id
#   devices  every device: sysfs layout, class and instance ids, modalias
#   modify   MODIFYCHANNEL through a channel's cpu file
#   echo     ring-buffer stress on hvhost's echoing hv-vmbus-test device
#            (hv_vmbus_test driver): HV_VMBUS_ECHO_PACKETS per channel,
#            HV_VMBUS_ECHO_CHANNELS channels expected (default 1)
#   reload   HV_VMBUS_RELOADS cycles of unloading every hyperv-ic module
#            and loading hv_vmbus, the drivers coming back by modalias
#            (a hotplug helper must be running), then a kmemleak scan
#
# Environment:
#   HV_VMBUS_VERSION=M.m     the version the host should give (conn)
#   HV_VMBUS_DEVICES=N       devices expected after a reload (reload)
#   HV_VMBUS_RELOAD_MODULES  drivers to modprobe after hv_vmbus in each
#                            reload cycle (default: none, modalias only)

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

SYS=/sys/kernel/hv_vmbus
DEVS=/sys/bus/vmbus/devices
SECTIONS=${HV_VMBUS_SECTIONS:-conn devices modify}
TEST_CLASS=a98e4cf7-d717-46db-8fe4-6abd8293fb72

# the TAP helpers: next to this script (the test guest), or in ../lib
_d=$(dirname "$0")
if [ -f "$_d/ktap.sh" ]; then
	. "$_d/ktap.sh"
else
	. "$_d/../lib/ktap.sh"
fi

# modalias_of CLASS-GUID: vmbus: and the GUID's 16 bytes in the Windows
# layout (first three fields little-endian), as hex
modalias_of() {
	echo "$1" | tr -d '{}' | awk -F- '{
		a = $1; b = $2; c = $3
		printf "vmbus:%s%s%s%s%s%s%s%s%s%s\n",
			substr(a, 7, 2), substr(a, 5, 2), substr(a, 3, 2), substr(a, 1, 2),
			substr(b, 3, 2), substr(b, 1, 2), substr(c, 3, 2), substr(c, 1, 2),
			$4, $5 }'
}

driver_of() {
	_l=$(readlink "$1/driver" 2>/dev/null) && echo "${_l##*/}"
}

# test_dev: the sysfs directory of the hv-vmbus-test device, if any
test_dev() {
	for _d in "$DEVS"/*; do
		[ "$(cat "$_d/class_id" 2>/dev/null)" = "{$TEST_CLASS}" ] &&
			{ echo "$_d"; return 0; }
	done
	return 1
}

ndevs() {
	ls "$DEVS" 2>/dev/null | wc -l
}

echo "TAP version 13"
if [ ! -d "$SYS" ] || [ ! -d /sys/module/hv_vmbus ]; then
	echo "1..0 # SKIP hv_vmbus is not loaded"
	exit $KSFT_SKIP
fi
version=$(cat "$SYS/vmbus_version")

# ---------------------------------------------------------------- conn
if has conn; then
	want=${HV_VMBUS_VERSION:-}
	if [ -n "$want" ]; then
		is "$version" "$want" "$SYS/vmbus_version is $want"
	else
		skip "$SYS/vmbus_version is what the host offers" "HV_VMBUS_VERSION not set"
	fi
	if dmesg | grep -q "hv_vmbus: Vmbus version:$version\$"; then
		pass "dmesg: hv_vmbus: Vmbus version:$version"
	else
		fail "dmesg: hv_vmbus: Vmbus version:$version" "$(dmesg | grep -i 'hv_vmbus' | tail -n 5)"
	fi
	conn=$(cat "$SYS/vmbus_connection")
	diag "vmbus_connection: $conn"
	id=$(echo "$conn" | awk '{ print $2 }')
	case $version in
	5.*) want_id=4 ;;
	*) want_id=1 ;;
	esac
	# a 5.x host may name another id in VERSION_RESPONSE; hvhost says 4
	is "$id" "$want_id" "channel messages go to connection $want_id"
fi

# ---------------------------------------------------------------- devices
if has devices; then
	nd=$(ndevs)
	if [ "$nd" -gt 0 ]; then
		pass "$DEVS lists $nd devices"
	else
		fail "$DEVS lists devices" "none"
	fi
	bad=
	for d in "$DEVS"/*; do
		[ -e "$d" ] || continue
		name=${d##*/}
		cls=$(cat "$d/class_id")
		inst=$(cat "$d/device_id")
		relid=$(cat "$d/id")
		diag "$name relid $relid class $cls driver $(driver_of "$d") state $(cat "$d/state")"
		[ "$inst" = "{$name}" ] || bad="$bad $name:device_id=$inst"
		echo "$cls" | grep -Eq '^\{[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}$' ||
			bad="$bad $name:class_id=$cls"
		ma=$(modalias_of "$cls")
		[ "$(cat "$d/modalias")" = "$ma" ] || bad="$bad $name:modalias=$(cat "$d/modalias")"
		grep -qx "MODALIAS=$ma" "$d/uevent" || bad="$bad $name:uevent"
		[ -d "$d/channels/$relid" ] || bad="$bad $name:channels/$relid"
		grep -q "^$relid:" "$d/channel_vp_mapping" || bad="$bad $name:channel_vp_mapping"
	done
	if [ -z "$bad" ]; then
		pass "every device: device_id = its name, class_id, modalias, uevent, channels/<relid>, channel_vp_mapping"
	else
		fail "every device: sysfs attributes" "wrong:$bad"
	fi
	# a bound device's open channel: interrupts and ring traffic
	open=
	for d in "$DEVS"/*; do
		# not the echo device: the host sends it nothing unasked
		[ "$(cat "$d/class_id" 2>/dev/null)" = "{$TEST_CLASS}" ] && continue
		[ "$(cat "$d/state" 2>/dev/null)" = open ] && { open=$d; break; }
	done
	if [ -n "$open" ]; then
		c=$open/channels/$(cat "$open/id")
		diag "$(cat "$c/ring")"
		irq=$(cat "$c/interrupts")
		inp=$(awk '$1 == "in_packets" { print $2 }' "$c/ring")
		# an open channel has had at least the host's first message
		if [ "$irq" -gt 0 ] && [ "${inp:-0}" -gt 0 ]; then
			pass "an open channel (${open##*/}): interrupts $irq, events $(cat "$c/events"), in_packets $inp"
		else
			fail "an open channel (${open##*/}) got interrupts and packets" "interrupts $irq, in_packets $inp"
		fi
		w=$(cat "$open/out_write_bytes_avail")
		[ "$w" -gt 0 ] && pass "out_write_bytes_avail of an open channel: $w" ||
			fail "out_write_bytes_avail of an open channel" "$w"
	else
		skip "an open channel" "no device is open"
		skip "out_write_bytes_avail of an open channel" "no device is open"
	fi
fi

# ---------------------------------------------------------------- modify
if has modify; then
	d=
	for x in "$DEVS"/*; do
		[ -e "$x/channels" ] && { d=$x; break; }
	done
	if [ -z "$d" ]; then
		skip "MODIFYCHANNEL" "no device"
	else
		c=$d/channels/$(cat "$d/id")
		cpu=$(awk '{ print $4 }' "$SYS/vmbus_connection")
		case $version in
		0.* | 1.* | 2.* | 3.* | 4.0)
			if echo "$cpu" >"$c/cpu" 2>/dev/null; then
				fail "MODIFYCHANNEL refused below VMBus 4.1 ($version)" "the write succeeded"
			else
				pass "MODIFYCHANNEL refused below VMBus 4.1 ($version)"
			fi
			;;
		*)
			if echo "$cpu" >"$c/cpu" 2>/tmp/modify.err; then
				pass "MODIFYCHANNEL of relid $(cat "$d/id") to CPU $cpu (VMBus $version)"
			else
				fail "MODIFYCHANNEL of relid $(cat "$d/id") to CPU $cpu" "$(cat /tmp/modify.err)"
			fi
			other=$(awk -v c="$cpu" '$1 ~ /^cpu[0-9]+$/ { n = substr($1, 4); if (n != c) { print n; exit } }' /proc/stat)
			if [ -n "$other" ]; then
				if echo "$other" >"$c/cpu" 2>/dev/null; then
					fail "MODIFYCHANNEL to CPU $other (no VMBus vector there) refused" "the write succeeded"
				else
					pass "MODIFYCHANNEL to CPU $other (no VMBus vector there) refused"
				fi
			fi
			;;
		esac
	fi
fi

# ---------------------------------------------------------------- echo
if has echo; then
	want_ch=${HV_VMBUS_ECHO_CHANNELS:-1}
	pkts=${HV_VMBUS_ECHO_PACKETS:-100000}
	td=$(test_dev)
	if [ -z "$td" ]; then
		fail "hv-vmbus-test device offered (class $TEST_CLASS)" "$(ls "$DEVS")"
	else
		if poll 20 [ "$(driver_of "$td")" = hv_vmbus_test ]; then
			pass "hv-vmbus-test bound to hv_vmbus_test (by modalias)"
		else
			fail "hv-vmbus-test bound to hv_vmbus_test" "driver: $(driver_of "$td")"
		fi
		chan_ok() {
			[ "$(cat "$td/echo_channels" 2>/dev/null)" -ge "$want_ch" ]
		}
		if poll 20 chan_ok; then
			pass "hv_vmbus_test opened $(cat "$td/echo_channels") channels (want $want_ch)"
		else
			fail "hv_vmbus_test opened $want_ch channels" "$(cat "$td/echo_channels" 2>/dev/null)"
		fi
		t0=$(cut -d' ' -f1 /proc/uptime)
		if echo "$pkts" >"$td/echo_run" 2>/tmp/echo.err; then
			st=ok
		else
			st="failed: $(cat /tmp/echo.err)"
		fi
		t1=$(cut -d' ' -f1 /proc/uptime)
		cat "$td/echo_run" >/tmp/echo.out
		diag "$(cat /tmp/echo.out)"
		all=$(awk -v n="$pkts" '$4 == n && $6 == n && $8 == 0 && $18 == 0 { k++ } END { print k + 0 }' /tmp/echo.out)
		tot=$(awk '{ s += $6 } END { print s + 0 }' /tmp/echo.out)
		nch=$(wc -l </tmp/echo.out)
		if [ "$st" = ok ] && [ "$all" = "$nch" ] && [ "$nch" -ge "$want_ch" ]; then
			pass "echo: $tot packets on $nch channels, in order, none lost or corrupted ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
		else
			fail "echo: $pkts packets per channel on $want_ch channels, in order, intact" "write $st; $all of $nch channels clean"
		fi
		full=$(awk '{ s += $12 } END { print s + 0 }' /tmp/echo.out)
		stalls=$(awk '{ s += $14 } END { print s + 0 }' /tmp/echo.out)
		bytes=$(awk '{ s += $10 } END { print s + 0 }' /tmp/echo.out)
		# 16 KiB rings: bytes far beyond them wrapped many times
		if [ "$bytes" -gt 1048576 ]; then
			pass "echo: $bytes bytes through 16 KiB rings (wrap-around)"
		else
			fail "echo: the rings wrapped" "only $bytes bytes"
		fi
		if [ "$pkts" -ge 20000 ]; then
			if [ "$stalls" -gt 0 ]; then
				pass "echo: the reader stalled $stalls times (host->guest ring full, host waited)"
			else
				fail "echo: the reader stalled" "no stall"
			fi
		fi
		diag "echo: the sender found the guest->host ring full $full times"
		if echo 200 >"$td/xact" 2>/tmp/xact.err; then
			pass "request/response helper: 200 round trips ($(cat "$td/xact"))"
		else
			fail "request/response helper: 200 round trips" "$(cat /tmp/xact.err); $(cat "$td/xact")"
		fi
		c=$td/channels/$(cat "$td/id")
		diag "$(cat "$c/ring")"
		bad=$(cat "$c/bad_packets")
		is "$bad" 0 "no malformed packet from the host on the test channel"
	fi
fi

# ---------------------------------------------------------------- reload
if has reload; then
	cycles=${HV_VMBUS_RELOADS:-10}
	want=${HV_VMBUS_DEVICES:-$(ndevs)}
	mods_loaded() {
		for _m in hv_vmbus_test hv_utils; do
			[ -d /sys/module/$_m ] && echo $_m
		done
	}
	all_bound() {
		[ "$(ndevs)" -ge "$want" ] || return 1
		for _d in "$DEVS"/*; do
			[ -n "$(driver_of "$_d")" ] || return 1
		done
	}
	up() {
		cut -d' ' -f1 /proc/uptime
	}
	reload() {
		i=1
		while [ $i -le "$cycles" ]; do
			a=$(up)
			for m in $(mods_loaded); do
				rmmod "$m" || { echo "cycle $i: rmmod $m failed"; return 1; }
			done
			b=$(up)
			rmmod hv_vmbus || { echo "cycle $i: rmmod hv_vmbus failed"; return 1; }
			c=$(up)
			modprobe hv_vmbus || { echo "cycle $i: modprobe hv_vmbus failed"; return 1; }
			d=$(up)
			# the hotplug helper would load them too, only later
			[ -n "$HV_VMBUS_RELOAD_MODULES" ] && modprobe -a $HV_VMBUS_RELOAD_MODULES
			e=$(up)
			poll 30 all_bound || { echo "cycle $i: $(ndevs) devices, not all bound"; ls -l "$DEVS"/*/driver; return 1; }
			[ $i -le 2 ] && echo "cycle $i: drivers out $a-$b, rmmod hv_vmbus -$c, modprobe hv_vmbus -$d, drivers -$e, all bound -$(up)"
			i=$((i + 1))
		done
	}
	t0=$(cut -d' ' -f1 /proc/uptime)
	if out=$(reload 2>&1); then
		diag "$out"
		pass "$cycles cycles of unloading hyperv-ic and modprobe hv_vmbus; $want devices bound again each time ($(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s)"
	else
		fail "$cycles reload cycles" "$out"
	fi
	kmemleak_clean
fi

echo "1..$n"
[ "$failed" -eq 0 ] && exit $KSFT_PASS
exit $KSFT_FAIL
