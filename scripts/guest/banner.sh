#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make run: what the guest found, shown before the interactive shell.
cs=/sys/devices/system/clocksource/clocksource0
echo "======== hyperv-ic guest: kernel $(uname -r) ($HV_KIND), host profile $HV_HOST, $(nproc) vCPU(s)"
dmesg | grep -i hyper
echo "clocksource: $(cat $cs/current_clocksource) (available: $(cat $cs/available_clocksource))"
for d in /sys/devices/system/clockevents/clockevent[0-9]*; do
	echo "clockevent ${d##*/}: $(cat "$d/current_device")"
done
echo "modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "========"
