# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# vmbus suite, after the VM: the guest's clock after timesync against the
# host's, and how the run ended (the shutdown or restart request through
# hv_utils, /sbin/poweroff or /sbin/reboot and init, not hvexit).
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"
# shellcheck source=profile.sh
. ./profile.sh

RAW=$RUNDIR/console.txt

# console_has DESC REGEX: a console line (raw, kernel lines too) matches
console_has() {
	if tr -d '\r' <"$RAW" | grep -Eq -- "$2"; then
		t_pass "$1"
	else
		t_fail "$1" "no console line matches /$2/"
	fi
}

if [ -z "$VMBUS_VERSION" ]; then
	t_is "$VM_STATUS" 0 "run status 0: the guest ran its suite without VMBus and ended it"
	t_done
	exit
fi

# ---------------------------------------------------------------- timesync
# TIMESYNC-SAMPLE is the guest's CLOCK_REALTIME, then its uptime just after
# taking it and as it printed the line; console.log stamps the line with
# the host's CLOCK_MONOTONIC as it arrived: shifted by the host's
# REALTIME - MONOTONIC now, and less the guest's time between the two
# uptimes, that is the host's time when the guest read its clock.
desc="timesync: the guest's clock within 1 s of the host's"
line=$(console_text | grep -m 1 '^TIMESYNC-SAMPLE [0-9]*\.[0-9]* [0-9.]* [0-9.]*$')
at=$(console_time '^TIMESYNC-SAMPLE ')
if [ -n "$line" ] && [ -n "$at" ]; then
	read -r _ sample u_sample u_print <<<"$line"
	off=$(python3 -c 'import time; print("%.6f" % (time.time() - time.monotonic()))')
	host=$(awk -v m="$at" -v o="$off" -v a="$u_sample" -v b="$u_print" \
		'BEGIN { printf "%.3f", m + o - (b - a) }')
	d=$(awk -v g="$sample" -v h="$host" 'BEGIN { printf "%.3f", g - h }')
	lag=$(awk -v a="$u_sample" -v b="$u_print" 'BEGIN { printf "%.2f", b - a }')
	if awk -v d="$d" 'BEGIN { exit !(d >= -1 && d <= 1) }'; then
		t_pass "$desc (guest - host = $d s; $lag s from the sample to the line)"
	else
		t_fail "$desc" "guest $sample ($(date -u -d "@${sample%.*}" '+%F %T')), host $host ($(date -u -d "@${host%.*}" '+%F %T')): guest - host = $d s ($lag s from the sample to the line)"
	fi
else
	t_fail "$desc" "no TIMESYNC-SAMPLE line from the guest"
fi

r=$(console_text | grep -m 1 '^RELOAD-DONE ')
[ -n "$r" ] && t_diag "$r"

# ---------------------------------------------------------------- ours
# The host's trace of the channel messages it took: an UNLOAD (type 16)
# for every unload of hv_vmbus. Guest protocol errors hvhost logged.
if [ -n "$OURS" ]; then
	unloads=$(grep -c 'vmbus_process_incoming_message type 16$' "$QEMU_LOG")
	if [ -n "$VMBUS_RELOADS" ]; then
		if [ "$unloads" -ge "$VMBUS_RELOADS" ]; then
			t_pass "the host took an UNLOAD for each of the $VMBUS_RELOADS hv_vmbus unloads ($unloads)"
		else
			t_fail "the host took an UNLOAD for each of the $VMBUS_RELOADS hv_vmbus unloads" "$unloads"
		fi
	fi
	# hv_vmbus's load-time hypercall self-test is answered with errors on
	# purpose (unknown call code, unknown connection id)
	errs=$(grep -E 'warning: ' "$QEMU_LOG" | grep -v -E 'hypercall 0x7fff|connection id 0x7ffff|trace' | head -n 5)
	if [ -z "$errs" ]; then
		t_pass "qemu.log: no guest protocol error"
	else
		t_fail "qemu.log: no guest protocol error" "$errs"
	fi
fi

# ---------------------------------------------------------------- the end
if [ "$VMBUS_ENDING" = reboot ]; then
	t_is "$VM_STATUS" 120 "run status 120: the guest restarted (-no-reboot ends QEMU)"
	t_grep "QMP: SHUTDOWN event, reason guest-reset" \
		'"event": "SHUTDOWN".*"reason": "guest-reset"' "$QMP_EVENTS"
	if grep -q '"event": "GUEST_PANICKED"' "$QMP_EVENTS"; then
		t_fail "no GUEST_PANICKED event" "$(grep -m 1 GUEST_PANICKED "$QMP_EVENTS")"
	else
		t_pass "no GUEST_PANICKED event"
	fi
	console_has "console: hv_utils: Restart request received - graceful restart initiated" \
		'hv_utils: Restart request received - graceful restart initiated'
	console_has "console: init got /sbin/reboot's SIGTERM" '^hvtest: init: reboot requested \(SIGTERM\)'
	console_has "console: reboot: Restarting system" 'reboot: Restarting system'
else
	t_is "$VM_STATUS" 0 "run status 0: the guest powered off"
	t_grep "QMP: SHUTDOWN event, reason guest-shutdown" \
		'"event": "SHUTDOWN".*"reason": "guest-shutdown"' "$QMP_EVENTS"
	console_has "console: hv_utils: Shutdown request received - graceful shutdown initiated" \
		'hv_utils: Shutdown request received - graceful shutdown initiated'
	console_has "console: init got /sbin/poweroff's SIGUSR2" '^hvtest: init: poweroff requested \(SIGUSR2\)'
	console_has "console: reboot: Power down" 'reboot: Power down'
fi
if grep -aq '^hvtest: exit status' "$RAW"; then
	t_fail "the run ended through hv_utils and init, not hvexit" \
		"$(grep -a -m 1 '^hvtest: exit status' "$RAW" | tr -d '\r')"
else
	t_pass "the run ended through hv_utils and init, not hvexit"
fi
t_done
