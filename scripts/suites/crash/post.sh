# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# crash suite, after the VM: QMP saw GUEST_PANICKED with the Hyper-V crash
# parameters the guest wrote to CRASH_P0-P4.
. "$HVIC_TOP/scripts/guest/tap.sh"

t_is "$VM_STATUS" 120 "run status 120 (guest panicked)"
ev=$(grep '"event": "GUEST_PANICKED"' "$QMP_EVENTS" | head -n 1)
if [ -n "$ev" ]; then
	t_pass "QMP: GUEST_PANICKED event"
else
	t_fail "QMP: GUEST_PANICKED event" "none in $QMP_EVENTS"
fi
# arg1..arg5 = P0..P4, as decimal JSON numbers
args=$(printf '%s\n' "$ev" | python3 -c '
import json, sys
try:
    info = json.loads(sys.stdin.read())["data"]["info"]
    print(info["type"], *(info["arg%d" % i] for i in range(1, 6)))
except Exception as e:
    print("none", e)')
t_diag "crash info: $args"
set -- $args
t_is "${1:-}" hyper-v "crash info type hyper-v"
case $HV_HOST in
ws2016 | ws2012r2)
	# the panic notifier: P0 error code, P1 guest id, P2 rip, P3 rax, P4 rsp
	if [ $# -ge 6 ] && [ "$(printf '%x' "$3" 2>/dev/null | cut -c1-2)" = 81 ]; then
		t_pass "P1 is the guest's OS id (0x81...: open source, Linux)"
	else
		t_fail "P1 is the guest's OS id (0x81...: open source, Linux)" "args: $args"
	fi
	;;
*)
	# the kmsg dumper: P3 the message page, P4 its length
	if [ $# -ge 6 ] && [ "$5" -gt 0 ] 2>/dev/null && [ "$6" -gt 0 ] 2>/dev/null; then
		t_pass "P3/P4 give a crash message (address $5, $6 bytes)"
	else
		t_fail "P3/P4 give a crash message" "args: $args"
	fi
	t_grep "QEMU printed the guest's crash message (it names the panic)" \
		'sysrq triggered crash' "$RUNDIR/qemu.out"
	;;
esac
t_done
