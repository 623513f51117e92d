# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hyperv suite, after the VM: `sleep 2` measured on the host's clock.
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"

t_is "$VM_STATUS" 0 "run status 0"
# The lines carry the guest's uptime: on a loaded machine the guest may
# wake late (its own clock says so too), and then the host's clock must
# agree with the guest's over the sleep within the same 5 %.
b=$(console_time '^SLEEP-BEGIN')
e=$(console_time '^SLEEP-END')
gb=$(console_text | sed -n 's/^SLEEP-BEGIN \([0-9.]*\)$/\1/p' | head -n 1)
ge=$(console_text | sed -n 's/^SLEEP-END \([0-9.]*\)$/\1/p' | head -n 1)
if [ -n "$b" ] && [ -n "$e" ] && [ -n "$gb" ] && [ -n "$ge" ]; then
	d=$(awk -v b="$b" -v e="$e" 'BEGIN { printf "%.6f", e - b }')
	g=$(awk -v b="$gb" -v e="$ge" 'BEGIN { printf "%.2f", e - b }')
	if awk -v d="$d" -v g="$g" 'BEGIN {
		exit !(d >= 1.9 && (d <= 2.1 || (g > 2.1 && d - g <= 0.1 && g - d <= 0.1))) }'; then
		t_pass "sleep 2 took $d s of host time, $g s of the guest's (2 s +-5%, or host and guest agreeing within 5 % when the guest woke late)"
	else
		t_fail "sleep 2 took $d s of host time, $g s of the guest's (2 s +-5%, or host and guest agreeing within 5 % when the guest woke late)"
	fi
else
	t_fail "sleep 2 timed on the host" "SLEEP-BEGIN/SLEEP-END with the guest's uptime missing from the console log"
fi
t_grep "QEMU logged the guest's bad MSR writes (ratelimited)" \
	'hyperv: vp0: .*reserved bits' "$RUNDIR/qemu.out"
t_done
