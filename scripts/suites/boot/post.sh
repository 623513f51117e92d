# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# boot suite, after the VM: a clean ACPI power-off, not hvexit.
. "$HVIC_TOP/scripts/guest/tap.sh"

t_is "$VM_STATUS" 0 "run status 0"
t_grep "run log: guest powered off" 'exit status 0 \(guest powered off\)' "$QEMU_LOG"
t_grep "QMP: SHUTDOWN event, reason guest-shutdown" \
	'"event": "SHUTDOWN".*"reason": "guest-shutdown"' "$QMP_EVENTS"
if grep -q '^hvtest: exit status' "$RUNDIR/console.txt"; then
	t_fail "the run ended by poweroff, not by hvexit"
else
	t_grep "the run ended by poweroff, not by hvexit" '^POWEROFF-NOW' "$RUNDIR/console.txt"
fi
t_done
