# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hyperv suite, on the host while the guest sleeps: hvhost's view of the
# guest's Hyper-V state (hv_state: the hv-synic-test device's "state").
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"

checks=$((3 + HV_CPUS))
if wait_console '^SLEEP-BEGIN' && hv_state >"$RUNDIR/hv.txt" 2>&1; then
	t_grep "guest OS id: open source, Linux" '^guest os id 0x81' "$RUNDIR/hv.txt"
	t_grep "hypercall MSR enabled" '^hypercall 0x[0-9a-f]+ \(enabled' "$RUNDIR/hv.txt"
	t_grep "reference TSC page enabled" '^reference tsc 0x[0-9a-f]+ \(enabled' "$RUNDIR/hv.txt"
	vp=0
	while [ $vp -lt "$HV_CPUS" ]; do
		# Linux programs STIMER0 with auto-enable (bit 3); the enable bit
		# itself drops for an instant at each expiry.
		cfg=$(sed -n "s/^vp$vp stimer0 config \(0x[0-9a-f]*\) .*/\1/p" "$RUNDIR/hv.txt")
		if [ -n "$cfg" ] && [ $((cfg & 8)) -ne 0 ]; then
			t_pass "vp$vp stimer0 programmed with auto-enable ($cfg)"
		else
			t_fail "vp$vp stimer0 programmed with auto-enable" "config '${cfg:-none}'"
		fi
		vp=$((vp + 1))
	done
else
	i=0
	while [ $i -lt $checks ]; do
		t_fail "hv_state while the guest sleeps" \
			"no SLEEP-BEGIN on the console or hv_state failed: $(cat "$RUNDIR/hv.txt" 2>/dev/null)"
		i=$((i + 1))
	done
fi
t_done
