# SPDX-License-Identifier: GPL-2.0
# boot suite, after the VM: the guest ended the run through hvexit 0.
. "$HVIC_TOP/scripts/guest/tap.sh"

t_is "$VM_STATUS" 0 "run status 0 (guest wrote 0 to the debug-exit port)"
t_grep "run log: the guest ended the run through the debug-exit port" \
	'exit status 0 \(guest wrote 0 to the debug-exit port\)' "$QEMU_LOG"
t_grep "console: init reached the end of the suite" '^hvtest: exit status 0' "$RUNDIR/console.txt"
t_done
