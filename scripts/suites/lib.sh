# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for a suite's host.sh and post.sh (bash), next to the TAP helpers:
#   . "$HVIC_TOP/scripts/guest/tap.sh"
#   . "$HVIC_TOP/scripts/suites/lib.sh"
# CONSOLE_LOG is hvhost's --console-log: each line "[SECONDS] text", SECONDS
# being host CLOCK_MONOTONIC.

# console_text: the console log without the time stamps and carriage returns.
console_text() {
	sed -e 's/\r$//' -e 's/^\[[0-9.]*\] //' "$CONSOLE_LOG" 2>/dev/null
}

# wait_console REGEX [TIMEOUT_S]: wait until a console line matches the
# extended REGEX (anchors apply to the text after the time stamp). Fails when
# the VM has stopped (hvhost.log says "exit status") without such a line, or
# after TIMEOUT_S seconds if given. Without TIMEOUT_S it waits as long as the
# VM runs: guests may take minutes to boot where KVM emulates kernel code.
wait_console() {
	local re=$1 deadline=$((SECONDS + ${2:-864000}))

	while [ $SECONDS -lt "$deadline" ]; do
		console_text | grep -Eq -- "$re" && return 0
		grep -q 'exit status' "$HVHOST_LOG" 2>/dev/null &&
			{ console_text | grep -Eq -- "$re"; return; }
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
