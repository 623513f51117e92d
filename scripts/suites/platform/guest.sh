# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# platform suite, in the guest: run the hv_platform kselftest; host.sh posts
# SynIC messages and sets event flags when it prints READY-FOR-MESSAGE.
# hv_platform.sh here is a link to selftests/hv_platform/hv_platform.sh,
# followed when the image is built.
if [ ! -f /suite/hv_platform.sh ]; then
	echo "Bail out! /suite/hv_platform.sh missing from the image"
	exit 1
fi
# 50 rmmod/modprobe cycles where it matters most (SMP, newest profile)
cycles=10
[ "$HV_HOST" = ws2025 ] && [ "$HV_CPUS" -gt 1 ] && cycles=50
# the VMBus version each profile's host gives ours: the vmbus suite's table
# (vmbus-profile.sh links to it)
. /suite/vmbus-profile.sh
HV_PLATFORM_VMBUS_VERSION=$VMBUS_VERSION \
HV_PLATFORM_HOST_MESSAGES=3 HV_PLATFORM_HOST_EVENTS=2 HV_PLATFORM_CYCLES=$cycles \
	sh /suite/hv_platform.sh
