# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for a suite's host.sh and post.sh (bash), next to the TAP helpers:
#   . "$HVIC_TOP/scripts/guest/tap.sh"
#   . "$HVIC_TOP/scripts/suites/lib.sh"
# From the runner (scripts/check.sh) they get:
#   CONSOLE_LOG  the guest console, each line "[SECONDS] text", SECONDS being
#                host CLOCK_MONOTONIC (written live, scripts/conlog.py)
#   QEMU_LOG     the run log; its last line, "exit status N (why)", is
#                written once QEMU has ended
#   QMP          the guest's QMP socket (one client at a time; the runner
#                leaves it free), QMPC the client (scripts/qmp.py)
#   QMP_EVENTS   every QMP event of the run, one JSON line each
#   HV_TEST_PATH QOM path of hvhost's hv-synic-test (empty: this QEMU has none)
#   RUNDIR, HV_KIND, HV_HOST, HV_CPUS; post.sh also VM_STATUS

# console_text: the console log without the time stamps and carriage returns.
console_text() {
	sed -e 's/\r$//' -e 's/^\[[0-9.]*\] //' "$CONSOLE_LOG" 2>/dev/null
}

# vm_stopped: true once QEMU has ended (the run log says "exit status").
vm_stopped() {
	grep -q '\] exit status ' "$QEMU_LOG" 2>/dev/null
}

# wait_console REGEX [TIMEOUT_S]: wait until a console line matches the
# extended REGEX (anchors apply to the text after the time stamp). Fails when
# the VM has stopped without such a line, or after TIMEOUT_S seconds if
# given. Without TIMEOUT_S it waits as long as the VM runs (the runner's
# timeouts bound that).
wait_console() {
	local re=$1 deadline=$((SECONDS + ${2:-864000}))

	while [ $SECONDS -lt "$deadline" ]; do
		console_text | grep -Eq -- "$re" && return 0
		vm_stopped && { console_text | grep -Eq -- "$re"; return; }
		sleep 0.1
	done
	return 1
}

# console_time REGEX: host time stamp (seconds) of the first matching line.
console_time() {
	sed -e 's/\r$//' "$CONSOLE_LOG" 2>/dev/null | awk -v re="$1" '
		match($0, /^\[[0-9.]+\] /) {
			t = substr($0, 2, RLENGTH - 3)
			if (substr($0, RLENGTH + 1) ~ re) { print t; exit }
		}'
}

# qmp [-r] COMMAND [NAME=STRING | NAME:=JSON]...: run a QMP command on the
# guest's QEMU and print its return as JSON (-r: a string return as raw
# text). qmp --hmp 'info ...' runs a human monitor command.
qmp() {
	if [ "${1:-}" = -r ]; then
		shift
		python3 "$QMPC" -r "$QMP" "$@"
	else
		python3 "$QMPC" "$QMP" "$@"
	fi
}

# wait_event NAME[,NAME...] [TIMEOUT_S]: wait until QMP_EVENTS has one of the
# events and print its first such line. Fails when the VM has stopped
# without it, or after TIMEOUT_S seconds if given.
wait_event() {
	local re deadline=$((SECONDS + ${2:-864000})) line

	re="\"event\": \"(${1//,/|})\""
	while [ $SECONDS -lt "$deadline" ]; do
		line=$(grep -E -m 1 -- "$re" "$QMP_EVENTS" 2>/dev/null)
		[ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
		if vm_stopped; then
			line=$(grep -E -m 1 -- "$re" "$QMP_EVENTS" 2>/dev/null)
			[ -n "$line" ] && printf '%s\n' "$line"
			[ -n "$line" ]
			return
		fi
		sleep 0.1
	done
	return 1
}

# Hyper-V state of the guest and SynIC injection, through hvhost's
# hv-synic-test (-device hv-synic-test,id=hvtest: QOM path
# /machine/peripheral/hvtest; the runner adds it when QEMU has that type and
# sets HV_TEST_PATH, see hvic_qemu_probe in scripts/lib.sh). Without it these
# fail with QEMU's "not found" error on stderr.
HV_TEST_OBJ=${HV_TEST_PATH:-/machine/peripheral/hvtest}

# hv_state: the guest's Hyper-V state as text (the object's "state"
# property), one item per line, e.g.
#   guest os id 0x8100...
#   hypercall 0x... (enabled[, locked])
#   reference tsc 0x... (enabled) ...
#   vpV sintS 0x... vector 0xVV[ masked][ auto-eoi][ polling] queued N delivered N refused N
#   vpV stimerT config 0x... count N ...
hv_state() {
	python3 "$QMPC" -r "$QMP" qom-get path="$HV_TEST_OBJ" property=state
}

# hv_inject VP SINT TYPE COUNT: post COUNT SynIC messages of TYPE to SINT of
# VP (queued; delivered one after the other as the guest frees the slot).
hv_inject() {
	python3 "$QMPC" "$QMP" qom-set path="$HV_TEST_OBJ" property=post-message \
		value="$1:$2:$3:$4" >/dev/null
}

# hv_signal VP SINT FLAG: set event flag FLAG of SINT's event page on VP and
# raise the SINT.
hv_signal() {
	python3 "$QMPC" "$QMP" qom-set path="$HV_TEST_OBJ" property=signal-event \
		value="$1:$2:$3" >/dev/null
}
