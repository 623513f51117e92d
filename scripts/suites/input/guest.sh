# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# input suite, in the guest: the stock hyperv_keyboard and hid_hyperv on
# hvhost's hv-keyboard and hv-mouse. For each device it starts hvevents
# on the device's /dev/input/event*, prints INPUT-KBD-READY or
# INPUT-MOUSE-READY once the reader is open, and host.sh injects the
# events with QMP input-send-event; the guest checks what arrived.
. /lib/hvtest/tap.sh

KBD=d34b2567-b9b6-42b9-8778-0a4ec0b955bf
MOUSE=58f75a6d-d949-4320-99e1-a2a2576d581c
KBD_BAD=1b7e0000-0000-4000-8000-0000000000b2
MOUSE_BAD=1b7e0000-0000-4000-8000-0000000000b3
DRV=/sys/bus/vmbus/drivers

# poll SECS CMD...: run CMD every 0.1 s until it succeeds, giving up after
# SECS s of sleeping between tries
poll() {
	_tries=$(($1 * 10))
	shift
	while ! "$@"; do
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# evdev_where FILE PATTERN: the eventN whose device's FILE (name, phys)
# matches the extended PATTERN
evdev_where() {
	for _e in /sys/class/input/event*; do
		grep -Eq -- "$2" "$_e/device/$1" 2>/dev/null &&
			{ basename "$_e"; return 0; }
	done
	return 1
}
# (a serio port's phys is cut to 31 characters: the start of the GUID)
kbd_evdev() { evdev_where phys "^${KBD%%-*}"; }
mouse_evdev() { evdev_where name 'Vmbus HID'; }
bound() { [ -e "$DRV/$1/$2" ]; }

# keys FILE: the key presses (1) and releases (0) in an hvevents log as
# "CODE:VALUE" words; autorepeat (2), scan codes and syncs left out
keys() {
	awk '$1 == 1 && $3 != 2 { printf "%s%s:%s", s, $2, $3; s = " " }' "$1"
}

modprobe evdev
t_ok "modprobe hv_vmbus" modprobe hv_vmbus
t_ok "modprobe hyperv_keyboard" modprobe hyperv_keyboard
t_ok "modprobe hid_hyperv" modprobe hid_hyperv
modprobe hid_generic 2>/dev/null

# --- binding, and the versions: the drivers ask for keyboard 1.0 and HID
# 2.0; the devices accepting only 2.0 and 3.0 answer no and stay unbound
if poll 30 bound hyperv_keyboard "$KBD"; then
	t_pass "the keyboard bound to hyperv_keyboard (protocol 1.0 accepted)"
else
	t_fail "the keyboard bound to hyperv_keyboard (protocol 1.0 accepted)" \
		"$(ls /sys/bus/vmbus/devices 2>&1)"
fi
if poll 30 bound hid_hyperv "$MOUSE"; then
	t_pass "the mouse bound to hid_hyperv (protocol 2.0, device info acknowledged)"
else
	t_fail "the mouse bound to hid_hyperv (protocol 2.0, device info acknowledged)"
fi
# the refusals: 10 s (keyboard) and 5 s (mouse) of waiting at most
poll 15 sh -c "dmesg | grep -q 'synth_kbd protocol request failed'" &&
	poll 15 sh -c "dmesg | grep -q 'synthhid protocol request failed'"
dmesg >/tmp/dmesg
t_grep "the keyboard accepting 2.0 only: \"synth_kbd protocol request failed\"" \
	"$KBD_BAD.*synth_kbd protocol request failed" /tmp/dmesg
t_grep "the mouse accepting 3.0 only: \"synthhid protocol request failed\"" \
	"synthhid protocol request failed" /tmp/dmesg
if bound hyperv_keyboard "$KBD_BAD" || bound hid_hyperv "$MOUSE_BAD"; then
	t_fail "the refused keyboard and mouse stay unbound"
else
	t_pass "the refused keyboard and mouse stay unbound"
fi

# --- the event devices
K=
M=
poll 20 kbd_evdev && K=$(kbd_evdev)
poll 20 mouse_evdev && M=$(mouse_evdev)
if [ -n "$K" ]; then
	t_pass "the keyboard's event device: $K ($(cat /sys/class/input/"$K"/device/name))"
else
	t_fail "the keyboard's event device" "$(grep -H . /sys/class/input/event*/device/phys 2>&1)"
fi
if [ -n "$M" ]; then
	t_pass "the mouse's event device: $M ($(cat /sys/class/input/"$M"/device/name))"
else
	t_fail "the mouse's event device" "$(grep -H . /sys/class/input/event*/device/name 2>&1)"
fi
# ABS_X and ABS_Y only; BTN_LEFT..BTN_EXTRA (0x110-0x114) in the key bits
t_is "$(cat /sys/class/input/"$M"/device/capabilities/abs 2>/dev/null)" 3 \
	"the mouse is absolute: ABS_X and ABS_Y"
_kb=$(cat /sys/class/input/"$M"/device/capabilities/key 2>/dev/null)
t_is "${_kb##* }" 0 "the mouse has no keys below 0x100"
t_is "$(echo "$_kb" | awk '{ print $(NF - 4) }')" 1f0000 \
	"the mouse has buttons left, right, middle, side, extra"

# read_keys EVENTDEV N FILE MARK: read EVENTDEV with hvevents into FILE
# until N EV_KEY events came (30 s at most), printing MARK for host.sh once
# the reader is open; a point for the count. Fails if they did not all come.
read_keys() {
	if [ -z "$1" ]; then
		echo "$4"
		t_fail "$2 EV_KEY events on ${3##*/}" "no event device"
		return 1
	fi
	hvevents -t 30000 -c 1 -n "$2" /dev/input/"$1" >"$3" 2>&1 &
	_pid=$!
	poll 10 grep -q ready "$3"
	echo "$4"
	wait $_pid
	_st=$?
	t_diag "${3##*/}: $(tr '\n' ' ' <"$3")"
	t_is "$_st" 0 "$2 EV_KEY events on ${3##*/}"
}

# --- keys: a, right Ctrl (E0 1D), Up (E0 48); KEY_A 30, KEY_RIGHTCTRL 97,
# KEY_UP 103 (without the E0 prefix they would be left Ctrl 29 and
# keypad 8, 72)
read_keys "$K" 6 /tmp/kbd.ev INPUT-KBD-READY
t_is "$(keys /tmp/kbd.ev)" "30:1 30:0 97:1 97:0 103:1 103:0" \
	"a, right Ctrl and Up pressed and released, in order"

# --- the mouse: a move to (16384, 8192), the wheel up one notch, the left
# button pressed and released (the two EV_KEY events end the read)
read_keys "$M" 2 /tmp/mouse.ev INPUT-MOUSE-READY
t_grep "ABS_X 16384" '^3 0 16384$' /tmp/mouse.ev
t_grep "ABS_Y 8192" '^3 1 8192$' /tmp/mouse.ev
t_grep "REL_WHEEL +1" '^2 8 1$' /tmp/mouse.ev
t_is "$(keys /tmp/mouse.ev)" "272:1 272:0" "BTN_LEFT pressed and released"
# host.sh reads the devices' counters after INPUT-DONE, then says it is
# done with a last key (z) pressed and released: no fixed wait
read_keys "$K" 2 /tmp/done.ev INPUT-DONE
t_done
