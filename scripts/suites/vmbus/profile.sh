# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# vmbus suite: what each host profile should give hv_vmbus and hv_utils -
# the stock kernels' upstream modules, or ours on the bare kernels
# (HV_KIND bare-*) - and which checks run where. POSIX sh, sourced by
# suite.conf (bash, HV_HOST set), guest.sh (busybox sh, /suite/profile.sh),
# host.sh and post.sh (bash, HV_HOST and HV_CPUS set).
#
# VMBUS_VERSION  the version hv_vmbus negotiates: the newest of its list
#                (upstream: 5.3 5.2 5.1 5.0 4.1 4.0 3.0 2.4,
#                drivers/hv/connection.c; ours: down to 1.1 and 0.13 too)
#                the profile offers; empty: none in common (upstream on
#                ws2008: 0.13, ws2008r2: 1.1 and 0.13), "hv_vmbus: Unable to
#                connect to host"
# IC_HB IC_SD IC_TS IC_KVP
#                the IC message versions hv_utils negotiates: the newest of
#                its own list the host offers, whatever the host's order
#                (vmbus_prep_negotiate_resp: heartbeat 3.0 1.0; shutdown 3.2
#                3.1 3.0 1.0; timesync 4.0 3.0 1.0; KVP 4.0 3.0 1.0), from
#                what each Hyper-V release offered (issue 10)
# VMBUS_FULL     1: 100 hv_utils reload cycles (then KVP both ways again) and
#                the heartbeat rescind/re-offer run here (ws2012: the oldest
#                versions Linux talks to; ws2016; ws2025, also on 2 vCPUs)
# VMBUS_MOVE     1: MODIFYCHANNEL (the heartbeat channel moved to CPU 1; needs
#                VMBus 4.1 and a second vCPU): ws2025 with 2 vCPUs
# VMBUS_ENDING   how the run ends: "shutdown" (host.sh sets hv-shutdown's
#                request: the guest powers off, status 0), "powerdown" (the
#                same through QMP system_powerdown, on ws2022), "reboot" (a
#                restart request on ws2016: -no-reboot ends QEMU with
#                SHUTDOWN reason guest-reset, status 120), or "exit" (no
#                VMBus: guest.sh returns, init ends the run through hvexit)
# RELOAD_CYCLES  rmmod/modprobe hv_utils cycles where VMBUS_FULL
# shellcheck disable=SC2034 # for the scripts that source this one

OURS=
case ${HV_KIND:-} in
bare-*) OURS=1 ;;
esac

case ${HV_HOST:-} in
ws2008) VMBUS_VERSION=${OURS:+0.13} ;;
ws2008r2) VMBUS_VERSION=${OURS:+1.1} ;;
ws2012) VMBUS_VERSION=2.4 ;;
ws2012r2) VMBUS_VERSION=3.0 ;;
ws2016) VMBUS_VERSION=4.0 ;;
ws2019) VMBUS_VERSION=5.2 ;;
*) VMBUS_VERSION=5.3 ;;
esac

IC_HB=3.0
IC_KVP=4.0
case ${HV_HOST:-} in
ws2008) IC_HB=1.0 IC_SD=1.0 IC_TS=1.0 IC_KVP=1.0 ;;
ws2008r2) IC_SD=3.0 IC_TS=3.0 IC_KVP=3.0 ;;
ws2012 | ws2012r2) IC_SD=3.0 IC_TS=3.0 ;;
ws2016) IC_SD=3.1 IC_TS=4.0 ;;
*) IC_SD=3.2 IC_TS=4.0 ;;
esac

VMBUS_FULL=
case ${HV_HOST:-} in
ws2012 | ws2016 | ws2025) VMBUS_FULL=1 ;;
ws2008) [ -n "$OURS" ] && VMBUS_FULL=1 ;;
esac
# ours: the expensive checks once per kernel and era: ws2008 (6.12) and
# ws2025 with 1 vCPU
if [ -n "$OURS" ]; then
	case ${HV_KIND:-}-${HV_HOST:-}-${HV_CPUS:-1} in
	bare-6.12-ws2008-1 | *-ws2025-1) ;;
	*) VMBUS_FULL= ;;
	esac
fi

# Ours takes the VMBus interrupt on one CPU only (a module cannot claim
# vectors on the others): selftests/hv_vmbus checks MODIFYCHANNEL instead
VMBUS_MOVE=
[ "${HV_HOST:-}" = ws2025 ] && [ "${HV_CPUS:-1}" -ge 2 ] && [ -z "$OURS" ] &&
	VMBUS_MOVE=1

# Ours only: the core's selftest (selftests/hv_vmbus) - echo packets per
# channel through hv-vmbus-test with 2 sub-channels, and hv_vmbus reload
# cycles (100 on bare-6.12 ws2025 x 1, 10 on the other full runs)
ECHO_PACKETS=20000
VMBUS_RELOADS=
if [ -n "$OURS" ] && [ -n "$VMBUS_FULL" ]; then
	VMBUS_RELOADS=10
	# one run carries the long ones: 100 reloads (about 6 minutes under
	# TCG with the debug kernel) and over 10^6 echo packets (3 channels)
	if [ "${HV_KIND:-}-${HV_HOST:-}-${HV_CPUS:-1}" = bare-6.12-ws2025-1 ]; then
		VMBUS_RELOADS=100
		ECHO_PACKETS=350000
	fi
fi

if [ -z "$VMBUS_VERSION" ]; then
	VMBUS_ENDING="exit"
elif [ "${HV_HOST:-}" = ws2016 ]; then
	VMBUS_ENDING=reboot
elif [ "${HV_HOST:-}" = ws2022 ]; then
	VMBUS_ENDING=powerdown
else
	VMBUS_ENDING=shutdown
fi

# ours: 10 (the 100 cycles of issue 11 reload hv_vmbus itself, below)
RELOAD_CYCLES=100
[ -n "$OURS" ] && RELOAD_CYCLES=10

# The integration services offered (suite.conf's DEVICES), by short name:
# QOM id, QEMU type, VMBus class GUID (as sysfs class_id prints it, in
# braces), the name hv_utils gives it in "... IC version N.N".
VMBUS_ICS="hb sd ts kvp"
# Ours: hvhost's echoing test device too (hv-vmbus-test, id vt)
VT_CLASS=a98e4cf7-d717-46db-8fe4-6abd8293fb72
VMBUS_NDEVS=4
[ -n "$OURS" ] && VMBUS_NDEVS=5
ic_qom_type() {
	case $1 in
	hb) echo hv-heartbeat ;;
	sd) echo hv-shutdown ;;
	ts) echo hv-timesync ;;
	kvp) echo hv-kvp ;;
	esac
}
ic_class() {
	case $1 in
	hb) echo 57164f39-9115-4e78-ab55-382f3bd5422d ;;
	sd) echo 0e0b6031-5213-4934-818b-38d90ced39db ;;
	ts) echo 9527e630-d0ae-497b-adce-e80ab0175caf ;;
	kvp) echo a9a0f4e7-5a45-4d96-b827-8a841e8c03e6 ;;
	esac
}
ic_name() {
	case $1 in
	hb) echo Heartbeat ;;
	sd) echo Shutdown ;;
	ts) echo TimeSync ;;
	kvp) echo KVP ;;
	esac
}
ic_version() {
	case $1 in
	hb) echo "$IC_HB" ;;
	sd) echo "$IC_SD" ;;
	ts) echo "$IC_TS" ;;
	kvp) echo "$IC_KVP" ;;
	esac
}

# What guest.sh gives hv_kvp_daemon to report (/etc/hosts, /etc/os-release)
# and host.sh then expects in the guest's auto pool.
KVP_FQDN=hvtest.hvic.test
KVP_OSNAME=hvtest-linux
