# SPDX-License-Identifier: GPL-2.0
# poweroff suite, after the VM: clean ACPI power-off, not hvexit.
. "$HVIC_TOP/scripts/guest/tap.sh"

t_is "$HVHOST_STATUS" 0 "hvhost exit status 0"
t_grep "hvhost log: guest powered off" 'guest powered off' "$HVHOST_LOG"
if grep -q '^hvtest: exit status' "$RUNDIR/console.txt"; then
	t_fail "the run ended by poweroff, not by hvexit"
else
	t_grep "the run ended by poweroff, not by hvexit" '^POWEROFF-NOW' "$RUNDIR/console.txt"
fi
t_done
