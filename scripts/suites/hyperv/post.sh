# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hyperv suite, after the VM: `sleep 2` measured on the host's clock.
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"

t_is "$VM_STATUS" 0 "run status 0"
b=$(console_time '^SLEEP-BEGIN')
e=$(console_time '^SLEEP-END')
if [ -n "$b" ] && [ -n "$e" ]; then
	d=$(awk -v b="$b" -v e="$e" 'BEGIN { printf "%.6f", e - b }')
	if awk -v d="$d" 'BEGIN { exit !(d >= 1.9 && d <= 2.1) }'; then
		t_pass "sleep 2 took $d s of host time (2 s +-5%)"
	else
		t_fail "sleep 2 took $d s of host time (2 s +-5%)"
	fi
else
	t_fail "sleep 2 timed on the host" "SLEEP-BEGIN/SLEEP-END missing from the console log"
fi
t_grep "QEMU logged the guest's bad MSR writes (ratelimited)" \
	'hyperv: vp0: .*reserved bits' "$RUNDIR/qemu.out"
t_done
