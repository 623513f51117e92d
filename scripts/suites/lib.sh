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

# shellcheck source=../lib.sh
. "$HVIC_TOP/scripts/lib.sh"

# console_text: the console log without the time stamps and carriage returns.
console_text() {
	sed -e 's/\r$//' -e 's/^\[[0-9.]*\] //' "$CONSOLE_LOG" 2>/dev/null
}

# vm_stopped: true once QEMU has ended (the run log says "exit status").
vm_stopped() {
	grep -q '\] exit status ' "$QEMU_LOG" 2>/dev/null
}

# follow FILE REGEX TIMEOUT_S [STAMPED]: print the first line of FILE (a log
# still being written) that matches the extended REGEX, reading only what
# was added since the last look (no fork while it waits; with STAMPED the
# "[SECONDS] " time stamp and a carriage return are taken off first). Fails
# when the VM has stopped without such a line, or after TIMEOUT_S seconds.
follow() {
	local file=$1 re=$2 deadline=$((SECONDS + $3)) stamped=${4:-}
	local fd part line pending='' n=0 last=''

	# _follow_match LINE: LINE (stripped with STAMPED) matches REGEX: printed
	_follow_match() {
		line=$1
		if [ -n "$stamped" ]; then
			line=${line%$'\r'}
			[[ $line =~ ^\[[0-9.]+\]\ (.*)$ ]] && line=${BASH_REMATCH[1]}
		fi
		[[ $line =~ $re ]] && printf '%s\n' "$line"
	}
	until [ -e "$file" ]; do
		[ $SECONDS -ge "$deadline" ] && return 1
		vm_stopped && return 1
		hvic_nap 0.1
	done
	exec {fd}<"$file" || return 1
	while :; do
		while IFS= read -r -u "$fd" part; do
			_follow_match "$pending$part" && { exec {fd}<&-; return 0; }
			pending=''
		done
		# a line still being written: the rest comes later
		pending+=$part
		if [ -n "$last" ]; then
			# what QEMU left without a newline counts too
			[ -n "$pending" ] && _follow_match "$pending" && { exec {fd}<&-; return 0; }
			break
		fi
		# the run log once a second (a grep is a fork); once QEMU has
		# ended, one more look at what it wrote last
		if [ $((n++ % 10)) = 0 ] && vm_stopped; then
			last=1
			continue
		fi
		[ $SECONDS -ge "$deadline" ] && break
		hvic_nap 0.1
	done
	exec {fd}<&-
	return 1
}

# wait_console REGEX [TIMEOUT_S]: wait until a console line matches the
# extended REGEX (anchors apply to the text after the time stamp). Fails when
# the VM has stopped without such a line, or after TIMEOUT_S seconds if
# given. Without TIMEOUT_S it waits as long as the VM runs (the runner's
# timeouts bound that).
wait_console() {
	follow "$CONSOLE_LOG" "$1" "${2:-864000}" stamped >/dev/null
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
	follow "$QMP_EVENTS" "\"event\": \"(${1//,/|})\"" "${2:-864000}"
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
