#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hv_storvsc: kselftest for hyperv-ic's synthetic SCSI driver.  POSIX sh
# (busybox is enough); run as root in a Hyper-V guest (or on hvhost) with
# hv_vmbus and hv_storvsc loaded.  TAP 13 on stdout; exit 0 (pass), 1
# (fail) or 4 (skip: no controller bound to hv_storvsc).
#
# Sections (HV_STORVSC_SECTIONS, default "hosts disks"):
#   hosts   every controller's SCSI host: protocol_version, max_transfer_bytes,
#           channels and channel_stats consistent, events, no bad completion
#   disks   every disk behind them identifies as "Msft Virtual Disk" and reads
#   reload  HV_STORVSC_RELOADS cycles (default 20) of rmmod hv_storvsc +
#           modprobe hv_storvsc (no disk may be mounted): the same disks come
#           back each time; then a kmemleak scan

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

DRV=/sys/bus/vmbus/drivers/hv_storvsc
SECTIONS=${HV_STORVSC_SECTIONS:-hosts disks}

_d=$(dirname "$0")
if [ -f "$_d/ktap.sh" ]; then
	. "$_d/ktap.sh"
else
	. "$_d/../lib/ktap.sh"
fi

# the SCSI host numbers of the controllers bound to hv_storvsc
hosts() {
	for _c in "$DRV"/*-*/host*; do
		[ -d "$_c" ] && echo "${_c##*/host}"
	done
}

# the sd disks behind those hosts, "INSTANCE/C:T:L name" per line, sorted
# (SCSI host numbers change when the driver reloads; the controller's
# VMBus instance id does not)
disks() {
	_hs=" $(hosts | tr '\n' ' ') "
	for _b in /sys/block/sd*; do
		[ -e "$_b/device" ] || continue
		_p=$(readlink -f "$_b/device")
		_a=${_p##*/}
		case $_hs in
		*" ${_a%%:*} "*) ;;
		*) continue ;;
		esac
		_i=${_p%/host*}
		echo "${_i##*/}/${_a#*:} ${_b##*/}"
	done | sort
}

echo "TAP version 13"
if [ -z "$(hosts)" ]; then
	echo "1..0 # SKIP no controller bound to hv_storvsc"
	exit $KSFT_SKIP
fi

if has hosts; then
	for h in $(hosts); do
		s=/sys/class/scsi_host/host$h
		v=$(cat "$s/protocol_version" 2>/dev/null)
		case $v in
		2.0 | 4.2 | 5.1 | 6.0 | 6.2) pass "host$h: protocol $v" ;;
		*) fail "host$h: a known protocol" "protocol_version '$v'" ;;
		esac
		is "$(cat "$s/proc_name" 2>/dev/null)" hv_storvsc "host$h: proc_name hv_storvsc"
		m=$(cat "$s/max_transfer_bytes" 2>/dev/null)
		if [ "${m:-0}" -ge 4096 ] && [ $((m % 4096)) -eq 0 ]; then
			pass "host$h: max_transfer_bytes $m (pages)"
		else
			fail "host$h: max_transfer_bytes a page multiple" "'$m'"
		fi
		c=$(cat "$s/channels" 2>/dev/null)
		is "$(wc -l <"$s/channel_stats")" "$c" "host$h: $c channel(s), one channel_stats line each"
		# index relid cpu requests completions ring_full kicks: never
		# more answers than requests, nor signals to the host
		bad=$(awk 'NF != 7 || $5 > $4 || $7 > $4 { print }' "$s/channel_stats")
		is "$bad" "" "host$h: channel_stats well formed, completions and kicks <= requests"
		diag "host$h channel_stats: $(tr '\n' ';' <"$s/channel_stats")"
		is "$(sed -n 's/^bad_completions //p' "$s/events")" 0 "host$h: no bad completion from the host"
		diag "host$h events: $(tr '\n' ' ' <"$s/events")"
	done
fi

if has disks; then
	nd=0
	for d in $(disks | cut -d' ' -f2); do
		nd=$((nd + 1))
		is "$(cat /sys/block/"$d"/device/vendor)|$(cat /sys/block/"$d"/device/model)" \
			"Msft    |Virtual Disk    " "$d is \"Msft Virtual Disk\""
		check "$d reads (1 MiB direct)" "dd failed" \
			dd if=/dev/"$d" of=/dev/null bs=64k count=16 iflag=direct
	done
	[ $nd -gt 0 ] || fail "disks behind hv_storvsc" "none"
fi

if has reload; then
	cycles=${HV_STORVSC_RELOADS:-20}
	want=$(disks | cut -d' ' -f1 | tr '\n' ' ')
	same() { [ "$(disks | cut -d' ' -f1 | tr '\n' ' ')" = "$want" ]; }
	reload() {
		i=1
		while [ $i -le "$cycles" ]; do
			rmmod hv_storvsc || { echo "cycle $i: rmmod failed"; return 1; }
			[ -z "$(disks)" ] || { echo "cycle $i: disks left after rmmod: $(disks)"; return 1; }
			modprobe hv_storvsc || { echo "cycle $i: modprobe failed"; return 1; }
			poll 30 same || {
				echo "cycle $i: disks '$(disks | cut -d' ' -f1 | tr '\n' ' ')', want '$want'"
				echo "bound: $(ls -d "$DRV"/*-* 2>/dev/null | sed 's|.*/||' | tr '\n' ' ')"
				dmesg | tail -n 25
				return 1
			}
			i=$((i + 1))
		done
	}
	t0=$(cut -d' ' -f1 /proc/uptime)
	if out=$(reload 2>&1); then
		pass "$cycles cycles of rmmod + modprobe hv_storvsc: disks $want back each time ($(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s)"
	else
		fail "$cycles reload cycles" "$out"
	fi
	kmemleak_clean
fi

echo "1..$n"
[ "$failed" -eq 0 ] && exit $KSFT_PASS
exit $KSFT_FAIL
