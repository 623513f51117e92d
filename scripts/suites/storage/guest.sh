# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# storage suite, in the guest: hv_storvsc on hvhost's StorVSP - the stock
# kernels' (upstream), or ours on the bare kernels (HV_KIND bare-*).
# host.sh acts on the STORAGE-* lines this script prints (measures the
# back-end file, hot-adds and removes a disk, reads the controller's
# counters) and acknowledges nothing: the guest waits on what it can see.
. /lib/hvtest/tap.sh

SCSI0=5c1c5c10-0000-4000-8000-000000000001
OLD=5c1c5c10-0000-4000-8000-000000000002
FC=5c1c5c10-0000-4000-8000-0000000000fc
DEVS=/sys/bus/vmbus/devices
OURS=
case $HV_KIND in
bare-*) OURS=1 ;;
esac
# the protocol each profile's StorVSP offers first (hv-storvsp.c)
case $HV_HOST in
ws2008) PROTO=2.0 ;;
ws2008r2) PROTO=4.2 ;;
ws2012) PROTO=5.1 ;;
ws2012r2) PROTO=6.0 ;;
*) PROTO=6.2 ;;
esac
# sub-channels: from 5.1, one per further vCPU
NCH=1
case $PROTO in
5.* | 6.*) NCH=$HV_CPUS ;;
esac

uptime_ds() {
	# uptime in tenths of a second, no fork
	read -r _u _ </proc/uptime
	_i=${_u%.*}
	_f=${_u#*.}
	echo $((_i * 10 + ${_f%?}))
}

# poll SECS CMD...: run CMD every 0.1 s until it succeeds, at most SECS s
poll() {
	_p_end=$(($(uptime_ds) + $1 * 10))
	shift
	until "$@"; do
		[ "$(uptime_ds)" -ge "$_p_end" ] && return 1
		sleep 0.1
	done
}

# disk_at LUN: the sd name of the disk at 0:0:LUN of scsi0's SCSI host
HOSTNO=
disk_at() {
	for _d in /sys/block/sd*; do
		[ -e "$_d/device" ] || continue
		_a=$(basename "$(readlink -f "$_d/device")")
		case $_a in
		"$HOSTNO:0:0:$1") basename "$_d"; return 0 ;;
		esac
	done
	return 1
}
has_disk() { disk_at "$1" >/dev/null; }
no_disk() { ! disk_at "$1" >/dev/null; }

modprobe hv_vmbus
modprobe sd_mod 2>/dev/null
modprobe crc32c_generic 2>/dev/null	# ext4's metadata checksums
modprobe sg 2>/dev/null
modprobe ext4 2>/dev/null
t_ok "modprobe hv_storvsc" modprobe hv_storvsc

# --- the controllers
bound() {
	[ -e "/sys/bus/vmbus/drivers/hv_storvsc/$1" ] &&
		ls -d "$DEVS/$1"/host*/ >/dev/null 2>&1
}
if poll 30 bound "$SCSI0"; then
	t_pass "scsi0 bound to hv_storvsc"
else
	t_fail "scsi0 bound to hv_storvsc" "$(ls "$DEVS" 2>&1)"
fi
_h=$(ls -d "$DEVS/$SCSI0"/host* 2>/dev/null | head -n 1)
HOSTNO=${_h##*/host}
t_diag "scsi0 is SCSI host ${HOSTNO:-?}"
t_is "$(cat "$DEVS/$SCSI0/class_id" 2>/dev/null)" \
	"{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}" "scsi0 has the SCSI controller class id"

# proto HOSTNO: the protocol our driver negotiated (sysfs of its SCSI host)
proto() { cat "/sys/class/scsi_host/host$1/protocol_version" 2>/dev/null; }

dmesg >/tmp/dmesg
if [ -n "$OURS" ]; then
	# ours speaks every protocol down to WS2008's 2.0
	t_is "$(proto "$HOSTNO")" "$PROTO" "scsi0: protocol $PROTO (sysfs)"
	t_grep "scsi0: protocol $PROTO in dmesg" \
		"hv_storvsc $SCSI0: SCSI host $HOSTNO: protocol $PROTO," /tmp/dmesg
	if poll 10 bound "$OLD"; then
		_oh=$(ls -d "$DEVS/$OLD"/host* 2>/dev/null | head -n 1)
		t_is "$(proto "${_oh##*/host}")" 2.0 "the 2.0-only controller: bound at protocol 2.0"
	else
		t_fail "the 2.0-only controller: bound at protocol 2.0" "unbound"
	fi
	# the controllers capped at 4.2 and 6.0, a 16 MiB disk each: the
	# protocol, the disk, verified I/O on it
	for _c in 42:4.2 60:6.0; do
		_id=5c1c5c10-0000-4000-8000-0000000000${_c%%:*}
		_v=${_c#*:}
		_ch=
		poll 10 bound "$_id" &&
			_ch=$(ls -d "$DEVS/$_id"/host* 2>/dev/null | head -n 1)
		_ch=${_ch##*/host}
		t_is "$(proto "$_ch")" "$_v" "the controller capped at $_v: bound at $_v"
		_cd=
		_cdisk() {
			for _b in /sys/block/sd*; do
				case $(basename "$(readlink -f "$_b/device")") in
				"$_ch:0:0:0") _cd=${_b##*/}; return 0 ;;
				esac
			done
			return 1
		}
		if [ -n "$_ch" ] && poll 20 _cdisk; then
			t_pass "its disk: $_cd"
			t_ok "$_cd ($_v): 400 verified random 4 KiB reads and writes" \
				hvdisk -n 400 -s 16 /dev/"$_cd"
			case $_v in
			6.0) t_is "$(cat /sys/block/"$_cd"/device/scsi_level)" 6 "$_cd: SCSI level SPC-3 (the 6.0 quirk)" ;;
			esac
		else
			t_fail "its disk" "none at $_ch:0:0:0"
			t_fail "$_v: verified I/O" "no disk"
			[ "$_v" = 6.0 ] && t_fail "SPC-3 at 6.0" "no disk"
		fi
	done
else
	# a controller with protocol 2.0 only: every version the driver
	# knows (6.2, 6.0, 5.1) is refused, and it gives up
	t_grep "the 2.0-only controller: \"Obsolete Hyper-V version\"" \
		"$OLD.*Obsolete Hyper-V version|hv_storvsc $OLD: Obsolete" /tmp/dmesg
	if [ -e "/sys/bus/vmbus/drivers/hv_storvsc/$OLD" ]; then
		t_fail "the 2.0-only controller stays unbound"
	else
		t_pass "the 2.0-only controller stays unbound"
	fi
fi

# --- the FC flavour (upstream only: ours does not drive it yet): class
# id, the port and node names from FCHBA_DATA
[ -z "$OURS" ] && {
# in Linux's fc_host, its disk
if poll 10 bound "$FC"; then
	t_pass "fc0 bound to hv_storvsc"
else
	t_fail "fc0 bound to hv_storvsc"
fi
t_is "$(cat "$DEVS/$FC/class_id" 2>/dev/null)" \
	"{2f9bcc4a-0069-4af3-b76b-6fd0be528cda}" "fc0 has the synthetic FC class id"
_fh=$(ls -d "$DEVS/$FC"/host* 2>/dev/null | head -n 1)
_fh=${_fh##*/}
t_is "$(cat /sys/class/fc_host/"$_fh"/port_name 2>/dev/null)|$(cat /sys/class/fc_host/"$_fh"/node_name 2>/dev/null)" \
	"0x5001dd00000000a1|0x5001dd00000000a0" "fc0: fc_host port and node names from FCHBA_DATA"
fc_disk() { ls -d /sys/class/scsi_disk/"${_fh#host}":0:0:0 >/dev/null 2>&1; }
if poll 10 fc_disk; then
	t_pass "fc0: its disk is attached"
else
	t_fail "fc0: its disk is attached" "$(ls /sys/class/scsi_disk 2>&1)"
fi
}

# --- the disks: LUN 0 (raw, 256 MiB), 1 (qcow2, 128 MiB), 2 (read-only)
if poll 30 has_disk 2 && poll 5 has_disk 0 && poll 5 has_disk 1; then
	t_pass "three disks at LUNs 0-2"
else
	t_fail "three disks at LUNs 0-2" "$(ls -l /sys/block 2>&1)"
fi
A=$(disk_at 0) B=$(disk_at 1) R=$(disk_at 2)
t_diag "LUN 0: ${A:-none}, LUN 1: ${B:-none}, LUN 2: ${R:-none}"
n=0
for d in /sys/block/sd*; do
	[ -e "$d/device" ] || continue
	case $(basename "$(readlink -f "$d/device")") in
	"$HOSTNO":*) n=$((n + 1)) ;;
	esac
done
t_is "$n" 3 "no phantom LUNs (targets 0-1, channels 0-7 scanned)"
for d in $A $B $R; do
	t_is "$(cat /sys/block/"$d"/device/vendor)|$(cat /sys/block/"$d"/device/model)" \
		"Msft    |Virtual Disk    " "$d is \"Msft Virtual Disk\""
done
t_is "$(cat /sys/block/"$A"/size)" 524288 "$A: 256 MiB"
t_is "$(cat /sys/block/"$B"/size)" 262144 "$B: 128 MiB"
t_is "$(cat /sys/block/"$R"/ro)" 1 "$R is read-only (write protect from MODE SENSE)"
_lvl=$(cat /sys/block/"$A"/device/scsi_level 2>/dev/null)
t_diag "scsi_level $_lvl; dmesg: $(grep -m 1 'storvsc' /tmp/dmesg)"
# hv_storvsc: SPC-3 for Msft disks at 5.1 and 6.0 (sysfs shows level + 1)
case $PROTO in
5.1 | 6.0) t_is "$_lvl" 6 "$A: SCSI level SPC-3 (the $PROTO quirk)" ;;
esac
t_is "$(cat /sys/block/"$A"/queue/discard_max_bytes 2>/dev/null | sed 's/^0$/none/;s/^[0-9]*$/yes/')" \
	yes "$A: discard supported (UNMAP through QEMU)"

# --- mkfs.ext4, mount, write, fstrim
mkdir -p /mnt/a
t_ok "mkfs.ext4 /dev/$A" mkfs.ext4 -q -F /dev/"$A"
t_ok "mount /dev/$A" mount -t ext4 /dev/"$A" /mnt/a
t_ok "write 48 MiB into a file" dd if=/dev/zero of=/mnt/a/f bs=1M count=48 conv=fsync
sync
echo "STORAGE-MEASURE 1"
sleep 2
rm /mnt/a/f
sync
t_ok "fstrim /mnt/a" fstrim -v /mnt/a
sync
echo "STORAGE-MEASURE 2"
sleep 2
t_ok "umount" umount /mnt/a

# --- read-only disk: the block layer refuses (sd saw write protect); a
# WRITE(10) sent past it (fio's sg engine, SG_IO on the disk's sg node)
# reaches the disk and fails with DATA PROTECT, it does not hang
if dd if=/dev/zero of=/dev/"$R" bs=4k count=1 2>/tmp/ro.err; then
	t_fail "write to the read-only $R refused"
else
	t_pass "write to the read-only $R refused"
fi
SG=$(ls /sys/block/"$R"/device/scsi_generic/ 2>/dev/null | head -n 1)
_t0=$(uptime_ds)
if [ -n "$OURS" ]; then
	# the bare kernels have no sg: SG_IO on the disk itself (sgio.c)
	_ans=$(sgio /dev/"$R" 2>&1)
	t_diag "WRITE(10) to $R: $_ans"
	case $_ans in
	"status 0x02 host 0x0 "*"sense key 0x7 "*)
		t_pass "a WRITE(10) reaching the read-only disk fails: CHECK CONDITION, DATA PROTECT" ;;
	*) t_fail "a WRITE(10) reaching the read-only disk fails: CHECK CONDITION, DATA PROTECT" "$_ans" ;;
	esac
elif [ -z "$SG" ]; then
	t_fail "a WRITE(10) reaching the read-only disk fails" "no sg node for $R"
elif fio --name=ro --filename=/dev/"$SG" --ioengine=sg --rw=write --bs=4k \
	--size=64k >/tmp/fio-ro.out 2>&1; then
	t_fail "a WRITE(10) reaching the read-only disk fails" "$(tail -n 5 /tmp/fio-ro.out)"
else
	t_pass "a WRITE(10) reaching the read-only disk fails"
	grep -m 3 -i 'err\|sense\|protect' /tmp/fio-ro.out | sed 's/^/# /'
fi
t_ok "... within 30 s ($(( ($(uptime_ds) - _t0) / 10 )) s)" test $(( $(uptime_ds) - _t0 )) -lt 300
echo "STORAGE-RO-DONE"

# --- random reads and writes with verification over two disks; with 2
# vCPUs one job per CPU, so that both channels carry I/O. fio (crc32c)
# where it runs; the bare kernels have no System V shared memory, which
# fio needs, so there hvdisk (scripts/guest/hvdisk.c: every block carries
# its offset, a generation and a checksum, all checked on read).
cpu_b=0
[ "$HV_CPUS" -ge 2 ] && cpu_b=1
if [ -n "$OURS" ]; then
	hvdisk -c 0 -n 3000 -s 8 /dev/"$A" >/tmp/fio.out 2>&1 &
	_ja=$!
	hvdisk -c $cpu_b -n 3000 -s 8 /dev/"$B" >/tmp/fio-b.out 2>&1
	_sb=$?
	wait $_ja
	_sa=$?
	cat /tmp/fio-b.out >>/tmp/fio.out
	if [ $_sa = 0 ] && [ $_sb = 0 ]; then
		t_pass "hvdisk randrw with verification on $A and $B"
	else
		t_fail "hvdisk randrw with verification on $A and $B" "$(cat /tmp/fio.out)"
	fi
	sed 's/^/# /' /tmp/fio.out
elif fio --ioengine=psync --direct=1 --rw=randrw --bs=4k --size=8M \
	--verify=crc32c --verify_fatal=1 --group_reporting=0 \
	--name=a --filename=/dev/"$A" --cpus_allowed=0 \
	--name=b --filename=/dev/"$B" --cpus_allowed=$cpu_b \
	>/tmp/fio.out 2>&1; then
	t_pass "fio randrw verify=crc32c on $A and $B"
else
	t_fail "fio randrw verify=crc32c on $A and $B" "$(tail -n 15 /tmp/fio.out)"
fi
[ -z "$OURS" ] && grep -E '^ *(read|write):|err=' /tmp/fio.out | sed 's/^/# /'

# --- channels: the primary and, with 2 vCPUs from 5.1, one sub-channel
_nch=$(ls -d "$DEVS/$SCSI0"/channels/*/ 2>/dev/null | wc -l)
t_is "$_nch" "$NCH" "scsi0 has $NCH channel(s) ($((NCH - 1)) sub-channel)"
for c in "$DEVS/$SCSI0"/channels/*/; do
	t_diag "channel $(basename "$c"): cpu $(cat "$c/cpu" 2>/dev/null) interrupts $(cat "$c/interrupts" 2>/dev/null) events $(cat "$c/events" 2>/dev/null)"
done
if [ -n "$OURS" ]; then
	# our per-channel counters: index relid cpu requests completions
	# ring_full kicks; every channel carried I/O and got every answer
	_cs=/sys/class/scsi_host/host$HOSTNO/channel_stats
	sed 's/^/# channel_stats: /' "$_cs"
	t_is "$(wc -l <"$_cs")" "$NCH" "scsi0: $NCH channel(s) in channel_stats"
	t_is "$(awk '$4 >= 100 && $4 == $5 { n++ } END { print n + 0 }' "$_cs")" "$NCH" \
		"scsi0: >= 100 requests on each channel, each answered"
	sed 's/^/# events: /' /sys/class/scsi_host/host"$HOSTNO"/events
	t_grep "scsi0: no bad completion" '^bad_completions 0$' \
		/sys/class/scsi_host/host"$HOSTNO"/events
	# batches: the host is signalled at most once per blk-mq dispatch
	# batch, after its last request (SCMD_LAST). A plug dispatches what
	# it gathered as one batch, but is flushed after any request of 128
	# KiB or more (BLK_PLUG_FLUSH_SIZE): with 1 MiB requests every one is
	# a batch of its own. So the disk takes 64 KiB requests here: a 4 MiB
	# direct read is then 64 of them from one plug, dispatched in batches
	# of up to 32 (the plug's own limit): 32 signals at most, where
	# signalling every request that finds the ring empty made 104. On one
	# CPU, so that a plug never spans two hardware queues.
	_kr() { awk '{ r += $4; k += $7 } END { print r + 0, k + 0 }' "$_cs"; }
	_msk=$(cat /sys/block/"$A"/queue/max_sectors_kb)
	echo 64 >/sys/block/"$A"/queue/max_sectors_kb
	_s0=$(_kr)
	taskset 1 dd if=/dev/"$A" of=/dev/null bs=4M count=16 iflag=direct 2>/dev/null
	_s1=$(_kr)
	echo "$_msk" >/sys/block/"$A"/queue/max_sectors_kb
	_req=$((${_s1% *} - ${_s0% *})) _kick=$((${_s1#* } - ${_s0#* }))
	t_ok "16 direct reads of 4 MiB in 64 KiB requests: $_req requests (>= 1024), $_kick signals to the host (<= 1/16 of them)" \
		test "$_req" -ge 1024 -a $((_kick * 16)) -le "$_req"
fi
echo "STORAGE-STATUS"
sleep 2

# --- hot add: host.sh times device_add to the STORAGE-ADDED line
# A WS2008 host (2.0) announces no hot add and no removal (ENUMERATE_BUS
# and REMOVE_DEVICE came with 4.2): there an admin rescans by hand, and the
# driver notices a removed LUN when I/O to it answers INVALID_LUN.
scan_for() {
	echo "- - -" >/sys/class/scsi_host/host"$HOSTNO"/scan
	has_disk "$1" && return 0
	sleep 1
	return 1
}
poke_gone() {
	no_disk 3 && return 0
	dd if=/dev/"$H" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
	sleep 0.5
	no_disk 3
}
echo "STORAGE-HOTADD"
_t0=$(uptime_ds)
if [ "$PROTO" = 2.0 ]; then
	poll 20 scan_for 3
else
	poll 20 has_disk 3
fi
if has_disk 3; then
	H=$(disk_at 3)
	echo "STORAGE-ADDED $H"
	_dt=$(($(uptime_ds) - _t0))
	t_diag "hot-added $H $((_dt / 10)).$((_dt % 10)) s after asking"
	t_pass "hot-added disk at LUN 3"
	t_is "$(cat /sys/block/"$H"/size)" 131072 "$H: 64 MiB"
	t_ok "$H reads" dd if=/dev/"$H" of=/dev/null bs=64k count=16
else
	t_fail "hot-added disk at LUN 3" "none after 20 s"
	t_fail "hot-added disk: 64 MiB"
	t_fail "hot-added disk reads"
fi

# --- hot remove while fio (hvdisk on ours) runs on LUN 0
if [ -n "$OURS" ]; then
	hvdisk -n 6000 -s 24 /dev/"$A" >/tmp/fio-bg.out 2>&1 &
else
	fio --ioengine=psync --direct=1 --rw=randrw --bs=4k --size=24M \
		--verify=crc32c --verify_fatal=1 --name=bg --filename=/dev/"$A" \
		>/tmp/fio-bg.out 2>&1 &
fi
FIO=$!
sleep 2
echo "STORAGE-HOTDEL"
if [ "$PROTO" = 2.0 ] && poll 30 poke_gone; then
	t_pass "the hot-removed disk is gone (found by I/O to it: INVALID_LUN)"
elif [ "$PROTO" != 2.0 ] && poll 30 no_disk 3; then
	t_pass "the hot-removed disk is gone"
else
	t_fail "the hot-removed disk is gone" "still there after 30 s"
fi
if kill -0 "$FIO" 2>/dev/null; then
	t_pass "fio on $A was still running when it went"
else
	t_fail "fio on $A was still running when it went" "fio ended first: the removal did not overlap"
fi
if wait "$FIO"; then
	t_pass "fio on $A during the removal: no error"
else
	t_fail "fio on $A during the removal: no error" "$(tail -n 10 /tmp/fio-bg.out)"
fi
grep -E '^ *(read|write):|err=' /tmp/fio-bg.out | sed 's/^/# /'
dmesg >/tmp/dmesg
if grep -E "I/O error.*dev $A|$A.*(error|reset)" /tmp/dmesg >/tmp/aerr; then
	t_fail "no error on $A in dmesg" "$(head -n 3 /tmp/aerr)"
else
	t_pass "no error on $A in dmesg"
fi
echo "STORAGE-STATUS-END"
sleep 2

# --- a controller hot-removed (the 2.0-only one the guest refused):
# rescinded, released, QEMU goes on
echo "STORAGE-UNPLUG-OLD"
old_gone() { [ ! -e "$DEVS/$OLD" ]; }
if poll 30 old_gone; then
	t_pass "the 2.0-only controller rescinded: gone from the VMBus"
else
	t_fail "the 2.0-only controller rescinded: gone from the VMBus" "still there after 30 s"
fi
if [ -n "$OURS" ]; then
	t_ok "scsi0's disk $A still reads (100 direct reads)" hvdisk -r -n 100 -s 256 /dev/"$A"
else
	t_ok "scsi0's disk $A still reads (100 direct reads)" fio --name=after --filename=/dev/"$A" \
		--rw=randread --bs=4k --direct=1 --ioengine=psync --number_ios=100 \
		--size=256M --readonly --output=/dev/null
fi
echo "STORAGE-UNPLUG-DONE"
sleep 3

# --- ours: the kselftest (sysfs of every controller, the disks; on
# bare-6.12 ws2025 then 20 cycles of rmmod + modprobe hv_storvsc with
# kmemleak)
if [ -n "$OURS" ]; then
	_sec="hosts disks"
	case $HV_KIND/$HV_HOST in
	bare-6.12/ws2025) _sec="$_sec reload" ;;
	esac
	HV_STORVSC_SECTIONS=$_sec HV_STORVSC_RELOADS=20 \
		t_import sh /suite/hv_storvsc.sh
fi

# --- ours: answers the host gets wrong. On each STORAGE-MISANSWER line
# host.sh makes scsi0 answer the next data request wrongly (hv-storvsp's
# x-misanswer). The driver logs the bad answer, drops it and counts it;
# an answer it dropped for a live request leaves that request to the
# midlayer's timeout (3 s here), after which it is retried and succeeds.
why_of() {
	case $1 in
	unknown-id) echo "unknown transaction id" ;;
	# the tag is idle by then (unknown) or taken again (stale)
	duplicate) echo "(unknown|stale or duplicate|duplicate) transaction id" ;;
	overlength) echo "more data than asked for" ;;
	long-sense) echo "sense past the buffer" ;;
	esac
}
if [ -n "$OURS" ]; then
	# the reload cycles renumbered the SCSI host
	_h=$(ls -d "$DEVS/$SCSI0"/host* 2>/dev/null | head -n 1)
	HOSTNO=${_h##*/host}
	poll 30 has_disk 0
	A=$(disk_at 0)
	_ev=/sys/class/scsi_host/host$HOSTNO/events
	ev() { sed -n "s/^$1 //p" "$_ev"; }
	echo 3 >/sys/block/"$A"/device/timeout
	for _k in unknown-id duplicate overlength long-sense; do
		_b0=$(ev bad_completions) _t0=$(ev timeouts)
		# (the console keeps everything: the ring is only for this check)
		dmesg -c >/dev/null
		echo "STORAGE-MISANSWER $_k"
		# reads until the host's wrong answer came (it sets it on the line)
		_end=$(($(uptime_ds) + 300)) _n=0 _err=0
		while [ "$(ev bad_completions)" = "$_b0" ] && [ "$(uptime_ds)" -lt "$_end" ]; do
			dd if=/dev/"$A" of=/dev/null bs=4k count=1 skip=$_n iflag=direct \
				2>/dev/null || _err=$((_err + 1))
			_n=$((_n + 1))
		done
		t_is "$(($(ev bad_completions) - _b0))" 1 "$_k: one answer dropped and counted"
		dmesg >/tmp/dmesg
		t_ok "$_k: logged with its reason" \
			grep -Eq "dropped .*\($(why_of "$_k")\)" /tmp/dmesg
		t_is "$_err" 0 "$_k: all $_n reads succeeded"
		case $_k in
		overlength | long-sense)
			t_ok "$_k: the request was retried after the midlayer's timeout" \
				test "$(ev timeouts)" -gt "$_t0"
			;;
		esac
		grep -E 'hv_storvsc|sd [0-9:]+|scsi' /tmp/dmesg | tail -n 4 | sed 's/^/# /'
	done
	t_ok "$A reads after the wrong answers (100 direct reads)" \
		hvdisk -r -n 100 -s 256 /dev/"$A"
fi
t_done
