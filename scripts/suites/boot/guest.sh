# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# boot suite, in the guest: detection and vCPU count, then an ACPI power-off
# instead of returning to init (which would end the run through hvexit).
. /lib/hvtest/tap.sh

dmesg >/tmp/dmesg
t_grep "dmesg: Hypervisor detected: Microsoft Hyper-V" \
	'Hypervisor detected: Microsoft Hyper-V' /tmp/dmesg
t_is "$(nproc)" "$HV_CPUS" "nproc is $HV_CPUS"
t_is "$(grep -c '^processor' /proc/cpuinfo)" "$HV_CPUS" "/proc/cpuinfo lists $HV_CPUS CPUs"
t_is "$(cat /sys/devices/system/cpu/online)" "$([ "$HV_CPUS" = 1 ] && echo 0 || echo "0-$((HV_CPUS - 1))")" \
	"CPUs 0-$((HV_CPUS - 1)) online"
t_done
echo "POWEROFF-NOW"
sync
poweroff -f
sleep 10
echo "poweroff -f returned"
exit 1
