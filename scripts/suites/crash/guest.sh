# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# crash suite, in the guest: print the TAP, then panic on purpose.
. /lib/hvtest/tap.sh

t_ok "hv_vmbus is loaded" [ -d /sys/module/hv_vmbus ]
dmesg >/tmp/dmesg
t_grep "crash_kexec_post_notifiers enabled (crash MSRs offered)" \
	'Hyper-V: enabling crash_kexec_post_notifiers' /tmp/dmesg
t_done
echo "CRASH-NOW"
echo 1 >/proc/sys/kernel/sysrq
echo c >/proc/sysrq-trigger
sleep 10
echo "sysrq c returned"
exit 1
