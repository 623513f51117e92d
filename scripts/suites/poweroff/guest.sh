# SPDX-License-Identifier: GPL-2.0
# poweroff suite, in the guest: print the TAP, then power off instead of
# returning to init (which would use hvexit).
. /lib/hvtest/tap.sh

t_pass "reached user space"
t_done
echo "POWEROFF-NOW"
sync
poweroff -f
sleep 10
echo "poweroff -f returned"
exit 1
