# SPDX-License-Identifier: GPL-2.0
# boot suite, after the VM: the guest ended the run through hvexit 0.
. "$HVIC_TOP/scripts/guest/tap.sh"

t_is "$HVHOST_STATUS" 0 "hvhost exit status 0 (guest wrote 0 to the debug port)"
t_grep "console: init reached the end of the suite" '^hvtest: exit status 0' "$RUNDIR/console.txt"
t_done
