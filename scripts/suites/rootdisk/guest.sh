# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# rootdisk suite, the initramfs stage: what an initramfs does to boot from
# a synthetic disk, checked on the way. On success it leaves the disk
# mounted on /newroot and asks /init to switch_root to it
# (/run/hvtest-switch-root).
. /lib/hvtest/tap.sh

poll() {
	_n=$(($1 * 5))
	shift
	until "$@"; do
		_n=$((_n - 1))
		[ "$_n" -le 0 ] && return 1
		sleep 0.2
	done
}

# Drivers load by modalias: mdev runs modprobe for each uevent's MODALIAS
echo '$MODALIAS=.* 0:0 660 @modprobe -q "$MODALIAS"' >/etc/mdev.conf
mdev -d
MDEV=$(pidof mdev)

t_ok "modprobe hv_vmbus" modprobe hv_vmbus
storvsc_loaded() { grep -q '^hv_storvsc ' /proc/modules; }
if poll 30 storvsc_loaded; then
	t_pass "hv_storvsc loaded by modalias (nobody else modprobed it)"
else
	t_fail "hv_storvsc loaded by modalias" "$(cat /sys/bus/vmbus/devices/*/modalias 2>&1)"
fi

# the disk labelled hvicroot (findfs reads the superblocks)
root_dev() { findfs LABEL=hvicroot >/dev/null 2>&1; }
if poll 60 root_dev; then
	DEV=$(findfs LABEL=hvicroot)
	t_pass "the root disk appears: $DEV"
else
	DEV=
	t_fail "the root disk appears" "$(ls /sys/block 2>&1)"
fi
t_is "$(cat /sys/block/"${DEV#/dev/}"/device/vendor 2>/dev/null)|$(cat /sys/block/"${DEV#/dev/}"/device/model 2>/dev/null)" \
	"Msft    |Virtual Disk    " "${DEV:-the disk} is \"Msft Virtual Disk\""
mkdir -p /newroot
t_ok "mount $DEV on /newroot" mount -t ext4 "$DEV" /newroot
t_ok "the disk has /sbin/init" test -x /newroot/sbin/init
kill "$MDEV" 2>/dev/null

if [ "$T_FAILED" -eq 0 ]; then
	echo "hvtest: switching to the root disk"
	: >/run/hvtest-switch-root
fi
t_done
