# SPDX-License-Identifier: GPL-2.0
# clock suite, in the guest. host.sh inspects hvhost while we sleep between
# SLEEP-BEGIN and SLEEP-END; post.sh times that sleep on the host's clock.
. /lib/hvtest/tap.sh

cs=/sys/devices/system/clocksource/clocksource0
t_is "$(cat $cs/current_clocksource)" hyperv_clocksource_tsc_page \
	"current clocksource is hyperv_clocksource_tsc_page"
t_diag "available: $(cat $cs/available_clocksource)"

cpu=0
while [ $cpu -lt "$HV_CPUS" ]; do
	t_is "$(cat /sys/devices/system/clockevents/clockevent$cpu/current_device 2>&1)" \
		"Hyper-V clockevent" "cpu$cpu clockevent device is the Hyper-V stimer"
	cpu=$((cpu + 1))
done
t_grep "/proc/timer_list has the Hyper-V clockevent" \
	'Clock Event Device: Hyper-V clockevent' /proc/timer_list

t_ok "hvclock: TIME_REF_COUNT and CLOCK_MONOTONIC agree within 1 ms over 1 s" \
	hvclock -t 1000 -l 1000000

echo SLEEP-BEGIN
sleep 2
echo SLEEP-END
t_pass "slept 2 s (post.sh checks the duration on the host)"
t_done
