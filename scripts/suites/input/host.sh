# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# input suite, on the host: injects keys and mouse events with QMP
# input-send-event when guest.sh says its reader is open, then reads the
# devices' status (qom-get ... status): the states and versions agreed,
# the refusals counted, no guest error. Every check is one TAP point
# whatever happens.
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"

P=/machine/peripheral

# key QCODE DOWN / btn BUTTON DOWN / abs AXIS VALUE: one event as JSON
key() { printf '{"type":"key","data":{"down":%s,"key":{"type":"qcode","data":"%s"}}}' "$2" "$1"; }
btn() { printf '{"type":"btn","data":{"down":%s,"button":"%s"}}' "$2" "$1"; }
abs() { printf '{"type":"abs","data":{"axis":"%s","value":%s}}' "$1" "$2"; }

# ev EVENT...: an input-send-event line for qmp.py --serve (one sync)
ev() {
	local IFS=,

	printf '{"execute": "input-send-event", "arguments": {"events": [%s]}}\n' "$*"
}

# serve: run the QMP lines on stdin over one connection (one Python start,
# not one per command), print one answer line each
serve() {
	python3 "$QMPC" -r -c 30 -t 30 "$QMP" --serve 2>>"$RUNDIR/host-qmp.err"
}

if wait_console '^INPUT-KBD-READY'; then
	for k in a ctrl_r up; do
		ev "$(key $k true)"
		ev "$(key $k false)"
	done | serve | grep ERROR | sed 's/^/# kbd: /'
else
	t_diag "no INPUT-KBD-READY"
fi
if wait_console '^INPUT-MOUSE-READY'; then
	{
		ev "$(abs x 16384)" "$(abs y 8192)"
		ev "$(btn wheel-up true)" "$(btn wheel-up false)"
		ev "$(btn left true)"
		ev "$(btn left false)"
	} | serve | grep ERROR | sed 's/^/# mouse: /'
else
	t_diag "no INPUT-MOUSE-READY"
fi

wait_console '^INPUT-DONE' || t_diag "no INPUT-DONE"
# the four devices' status (kbd, mouse, kbdbad, mousebad), then the key
# (z) that tells the guest we are done, over one connection
ST=()
while IFS= read -r l; do
	l=${l#\"}
	ST+=("${l%\"}")
done < <({
	for d in kbd mouse kbdbad mousebad; do
		printf 'qom-get path=%s/%s property=status\n' "$P" "$d"
	done
	ev "$(key z true)"
	ev "$(key z false)"
} | serve)
s=${ST[0]:-none}
t_diag "kbd: $s"
case $s in
"state ready version 1.0 events 6 sent 7 queued 0 dropped 0 refused 0 errors 0 "*)
	t_pass "kbd: ready at 1.0; 6 key events sent as 6 keystrokes after the answer; no error" ;;
*) t_fail "kbd: ready at 1.0; 6 key events sent as 6 keystrokes after the answer; no error" "$s" ;;
esac
s=${ST[1]:-none}
t_diag "mouse: $s"
case $s in
"state ready version 2.0 events 6 sent 6 queued 0 dropped 0 refused 0 errors 0 "*)
	t_pass "mouse: ready at 2.0; answer, device info and 4 reports (one per sync) for 6 events; no error" ;;
*) t_fail "mouse: ready at 2.0; answer, device info and 4 reports (one per sync) for 6 events; no error" "$s" ;;
esac
s=${ST[2]:-none}
t_diag "kbdbad: $s"
case $s in
"state closed version 2.0 events 0 sent 1 queued 0 dropped 0 refused 1 errors 0 "*)
	t_pass "kbdbad: the guest's 1.0 refused once, one answer sent, the guest closed the channel" ;;
*) t_fail "kbdbad: the guest's 1.0 refused once, one answer sent, the guest closed the channel" "$s" ;;
esac
s=${ST[3]:-none}
t_diag "mousebad: $s"
case $s in
"state closed version 3.0 events 0 sent 1 queued 0 dropped 0 refused 1 errors 0 "*)
	t_pass "mousebad: the guest's 2.0 refused once, one answer sent (no device info), the guest closed the channel" ;;
*) t_fail "mousebad: the guest's 2.0 refused once, one answer sent (no device info), the guest closed the channel" "$s" ;;
esac

# ---- the keyboard exists from WS2012 on: QEMU refuses to create it with an
# older profile, takes it with ws2012 (a QEMU of its own, stopped before
# any guest code runs: -S, then quit)
# shellcheck disable=SC1091 # the run's QEMU, written by check.sh
[ -r "$RUNDIR/../qemu.env" ] && . "$RUNDIR/../qemu.env"
kbd_on() {	# kbd_on PROFILE: QEMU's exit status; its messages in $KO
	local st

	printf '%s\n' '{"execute": "qmp_capabilities"}' '{"execute": "quit"}' |
		timeout 60 "$QEMU" -L "$QEMU_DATADIR" -M pc,accel=tcg \
			-cpu "qemu64,hv-vpindex,hv-synic,hv-profile=$1" -nodefaults \
			-display none -S -device vmbus-bridge -device hv-keyboard \
			-device hv-mouse -qmp stdio >"$RUNDIR/host-kbd-$1.txt" 2>&1
	st=$?
	KO=$(grep -v 'ASan\|QMP\|return\|"event"\|VMBus enabled' "$RUNDIR/host-kbd-$1.txt")
	return $st
}
if [ -z "${QEMU:-}" ]; then
	t_fail "hv-keyboard refused on ws2008r2, created on ws2012" "no QEMU (no $RUNDIR/../qemu.env)"
else
	kbd_on ws2008r2
	case $?/$KO in
	1/*"hv-keyboard: Windows Server 2008 R2 (6.1) has no synthetic keyboard"*)
		t_pass "hv-keyboard refused with hv-profile=ws2008r2 (it came with WS2012)" ;;
	*) t_fail "hv-keyboard refused with hv-profile=ws2008r2 (it came with WS2012)" "$KO" ;;
	esac
	if kbd_on ws2012 && [ -z "$KO" ]; then
		t_pass "hv-keyboard and hv-mouse created with hv-profile=ws2012"
	else
		t_fail "hv-keyboard and hv-mouse created with hv-profile=ws2012" "$KO"
	fi
fi
t_done
