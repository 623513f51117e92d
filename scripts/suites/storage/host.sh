# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# storage suite, on the host: hvhost's side, driven by the STORAGE-* lines
# guest.sh prints: the back-end file's allocation around fstrim, the
# controller's state and per-channel counters (qom-get scsi0 status), hot
# add (blockdev-add + device_add) and hot remove (device_del) of a disk.
# Every check is one TAP point whatever happens.
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"

P=/machine/peripheral
STORAGE_DIR=${TMPDIR:-/tmp}/hvic-storage
OURS=
case $HV_KIND in
bare-*) OURS=1 ;;
esac
case $HV_HOST in
ws2008) PROTO=2.0 ;;
ws2008r2) PROTO=4.2 ;;
ws2012) PROTO=5.1 ;;
ws2012r2) PROTO=6.0 ;;
*) PROTO=6.2 ;;
esac
HOTADD_MAX=5
[ -n "$OURS" ] && HOTADD_MAX=15
NCH=1
case $PROTO in
5.* | 6.*) NCH=$HV_CPUS ;;
esac

# alloc FILE: allocated bytes of FILE
alloc() {
	echo $(($(stat -c %b "$1") * $(stat -c %B "$1")))
}

# One QMP connection for the whole run (qmp.py --serve as a coprocess): a
# Python start per command costs seconds on a loaded machine, and the hot
# add is timed. q COMMAND [ARG...]: its answer (raw text or JSON, or
# "ERROR: ...") in QR; fails on an error.
coproc QS { exec python3 "$QMPC" -r -c 60 -t 30 "$QMP" --serve 2>"$RUNDIR/host-qmp.err"; }
QR=''
q() {
	QR="ERROR: QMP client gone"
	[ -n "${QS_PID:-}" ] || return 1
	{ printf '%q ' "$@" >&"${QS[1]}" && echo >&"${QS[1]}"; } 2>/dev/null || return 1
	IFS= read -r -t 40 QR <&"${QS[0]}" || { QR="ERROR: no answer"; return 1; }
	case $QR in
	ERROR:*) return 1 ;;
	esac
}

# status OBJ: the controller's status property (text)
status() {
	q qom-get path="$P/$1" property=status
	# a JSON string (--serve answers in JSON): no escapes in this one
	QR=${QR#\"}
	printf '%s\n' "${QR%\"}"
}

# ---- fstrim shrinks the back-end file
if wait_console '^STORAGE-MEASURE 1'; then
	a1=$(alloc "$STORAGE_DIR/d0.img")
	t_diag "d0.img: $a1 bytes allocated with the 48 MiB file"
	if wait_console '^STORAGE-MEASURE 2'; then
		a2=$(alloc "$STORAGE_DIR/d0.img")
		t_diag "d0.img: $a2 bytes allocated after rm + fstrim"
		if [ "$a2" -le $((a1 - 32 * 1024 * 1024)) ]; then
			t_pass "fstrim gave back at least 32 MiB of d0.img"
		else
			t_fail "fstrim gave back at least 32 MiB of d0.img" "$a1 -> $a2 bytes"
		fi
	else
		t_fail "fstrim gave back at least 32 MiB of d0.img" "no STORAGE-MEASURE 2"
	fi
else
	t_fail "fstrim gave back at least 32 MiB of d0.img" "no STORAGE-MEASURE 1"
fi

# ---- the read-only disk's refusals: scsi-disk's DATA PROTECT, seen as an
# answer with sense (hvhost's counters count no guest error for it)
if wait_console '^STORAGE-RO-DONE'; then
	s=$(status scsi0)
	case $s in
	*" errors 0 "*) t_pass "scsi0 after the write to the read-only disk: no guest error" ;;
	*) t_fail "scsi0 after the write to the read-only disk: no guest error" "$s" ;;
	esac
else
	t_fail "scsi0 after the write to the read-only disk: no guest error" "no STORAGE-RO-DONE"
fi

# ---- the controllers' state after the fio runs
if wait_console '^STORAGE-STATUS$'; then
	s=$(status scsi0)
	t_diag "scsi0: $s"
	case $s in
	"state ready version $PROTO "*) t_pass "scsi0 ready at protocol $PROTO" ;;
	*) t_fail "scsi0 ready at protocol $PROTO" "$s" ;;
	esac
	case $s in
	*" errors 0 "*) t_pass "scsi0: no guest error" ;;
	*) t_fail "scsi0: no guest error" "$s" ;;
	esac
	# ch<i> requests/completions/bytes, one per open channel
	nch=0 busy=0
	for c in $(grep -o 'ch[0-9]* [0-9]*/[0-9]*/[0-9]*' <<<"$s" | tr ' ' ':'); do
		nch=$((nch + 1))
		r=${c#*:}
		r=${r%%/*}
		[ "$r" -ge 100 ] && busy=$((busy + 1))
	done
	t_is "$nch" "$NCH" "scsi0: $NCH open channel(s)"
	t_is "$busy" "$NCH" "scsi0: at least 100 requests served on each channel"
	case $s in
	*" subchannels $((NCH - 1)) "*) t_pass "scsi0: the guest asked for $((NCH - 1)) sub-channel(s)" ;;
	*) t_fail "scsi0: the guest asked for $((NCH - 1)) sub-channel(s)" "$s" ;;
	esac
	o=$(status old)
	t_diag "old: $o"
	if [ -n "$OURS" ]; then
		# ours speaks 2.0
		case $o in
		"state ready version 2.0 max 2.0 "*" errors 0 "*)
			t_pass "the 2.0-only controller: ready at 2.0, no guest error" ;;
		*) t_fail "the 2.0-only controller: ready at 2.0, no guest error" "$o" ;;
		esac
	else
		# refused every version; the guest closed the channel again
		case $o in
		"state "[bv]*" version 0.0 max 2.0 "*" errors 0 "*)
			t_pass "the 2.0-only controller: versions refused, no guest error" ;;
		*) t_fail "the 2.0-only controller: versions refused, no guest error" "$o" ;;
		esac
	fi
else
	for n in 1 2 3 4 5 6; do
		t_fail "controller status $n" "no STORAGE-STATUS line"
	done
fi

# ---- hot add (the back end first, so that device_add is one command),
# within HOTADD_MAX s: from device_add to the guest's STORAGE-ADDED line
# (5 s; 15 s for the bare kernels: with KASAN, lockdep and kmemleak under
# TCG the scan and sd's probe of the new disk alone took 10-11 s at a load
# of 10, so 5 s there would measure the machine's load; both on
# the host's monotonic clock: conlog.py stamps the console with it)
mono() {
	python3 -c 'import time; print("%.3f" % time.monotonic())'
}
q blockdev-add driver=raw node-name=hot \
	'file:={"driver": "file", "filename": "'"$STORAGE_DIR/hot.img"'"}' ||
	t_diag "blockdev-add: $QR"
if wait_console '^STORAGE-HOTADD'; then
	t0=$(mono)
	if q device_add driver=scsi-hd bus=scsi0.0 scsi-id:=0 lun:=3 drive=hot \
		id=hotdisk; then
		t_diag "device_add at $t0 (host monotonic); STORAGE-HOTADD at $(console_time '^STORAGE-HOTADD')"
		t_pass "device_add scsi-hd at LUN 3"
		if wait_console '^STORAGE-ADDED' 30; then
			t2=$(console_time '^STORAGE-ADDED')
			dt=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
			if awk -v d="$dt" -v m="$HOTADD_MAX" 'BEGIN { exit !(d <= m) }'; then
				t_pass "the guest has the new sd $dt s after device_add began (<= $HOTADD_MAX s)"
			else
				t_fail "the guest has the new sd within $HOTADD_MAX s of device_add" "$dt s"
			fi
		else
			t_fail "the guest has the new sd within $HOTADD_MAX s of device_add" "never"
		fi
	else
		t_fail "device_add scsi-hd at LUN 3" "$QR"
		t_fail "the guest has the new sd within $HOTADD_MAX s of device_add" "no device_add"
	fi
else
	t_fail "device_add scsi-hd at LUN 3" "no STORAGE-HOTADD"
	t_fail "the guest has the new sd within $HOTADD_MAX s of device_add" "no device_add"
fi
if wait_console '^STORAGE-HOTDEL'; then
	if q device_del id=hotdisk && wait_event DEVICE_DELETED 30 >/dev/null; then
		t_pass "device_del of the hot-added disk: DEVICE_DELETED"
	else
		t_fail "device_del of the hot-added disk: DEVICE_DELETED" "$QR"
	fi
	q blockdev-del node-name=hot
else
	t_fail "device_del of the hot-added disk: DEVICE_DELETED" "no STORAGE-HOTDEL"
fi
if wait_console '^STORAGE-STATUS-END'; then
	s=$(status scsi0)
	t_diag "scsi0 at the end: $s"
	# none before 4.2 (WS2008 had no hot add)
	nn=2
	[ "$PROTO" = 2.0 ] && nn=0
	case $s in
	*" errors 0 notices $nn "*) t_pass "scsi0: $nn notices (ENUMERATE_BUS, REMOVE_DEVICE) sent, no guest error" ;;
	*) t_fail "scsi0: $nn notices (ENUMERATE_BUS, REMOVE_DEVICE) sent, no guest error" "$s" ;;
	esac
else
	t_fail "scsi0: ENUMERATE_BUS and REMOVE_DEVICE sent, no guest error" "no STORAGE-STATUS-END"
fi
if wait_console '^STORAGE-UNPLUG-OLD'; then
	old_deleted() {
		grep -q '"DEVICE_DELETED".*"device": "old"' "$QMP_EVENTS" 2>/dev/null
	}
	q device_del id=old
	n=0
	until old_deleted || [ $n -ge 300 ] || vm_stopped; do
		sleep 0.1
		n=$((n + 1))
	done
	if old_deleted; then
		t_pass "device_del of the 2.0-only controller: DEVICE_DELETED"
	else
		t_fail "device_del of the 2.0-only controller: DEVICE_DELETED" "$QR"
	fi
else
	t_fail "device_del of the 2.0-only controller: DEVICE_DELETED" "no STORAGE-UNPLUG-OLD"
fi

# ---- ours: scsi0 gets one answer wrong per STORAGE-MISANSWER line
# (hv-storvsp's x-misanswer); the guest checks what its driver made of it
if [ -n "$OURS" ]; then
	for k in unknown-id duplicate overlength long-sense; do
		if wait_console "^STORAGE-MISANSWER $k\$" &&
			q qom-set path="$P/scsi0" property=x-misanswer value="$k"; then
			t_pass "scsi0: x-misanswer $k"
		else
			t_fail "scsi0: x-misanswer $k" "$QR"
		fi
	done
fi
t_done
