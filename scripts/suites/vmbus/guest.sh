# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# vmbus suite, in the guest: the stock kernel's hv_vmbus and hv_utils on
# hvhost (what is checked where: profile.sh). host.sh acts on the lines
# this script prints (VMBUS-RELIDS, KVP-PUSH, RELOAD-DONE, RESCIND-READY,
# READY-FOR-shutdown/reboot) and post.sh reads TIMESYNC-SAMPLE.
. /lib/hvtest/tap.sh
. /suite/profile.sh

DEVS=/sys/bus/vmbus/devices
POOL0=/var/lib/hyperv/.kvp_pool_0
KVP_KEY=HvicTestKey

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# deadline SECS: sets DEADLINE (whole seconds of uptime); past_deadline
# (both without a fork: under TCG a fork costs tens of milliseconds)
deadline() {
	read -r _up _ </proc/uptime
	DEADLINE=$((${_up%.*} + $1))
}
past_deadline() {
	read -r _up _ </proc/uptime
	[ "${_up%.*}" -ge "$1" ]
}

# elapsed SINCE: seconds (one decimal) from uptime SINCE to now
elapsed() {
	awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }'
}

# bounded SECS OUT CMD...: run CMD with its output in OUT and wait at most
# SECS seconds for it; its status, or 124 if it still runs (a module load
# waiting for the host sleeps uninterruptibly: it is left behind).
bounded() {
	deadline "$1"
	_b_end=$DEADLINE
	_b_out=$2
	shift 2
	"$@" >"$_b_out" 2>&1 &
	_b_pid=$!
	while kill -0 "$_b_pid" 2>/dev/null; do
		if past_deadline "$_b_end"; then
			echo "(still running after the time limit)" >>"$_b_out"
			return 124
		fi
		sleep 0.1
	done
	wait "$_b_pid"
}

# poll SECS CMD...: run CMD every 0.1 s until it succeeds, at most SECS s
# (CMD's arguments are expanded once: what must be read again each time
# goes into a function)
poll() {
	deadline "$1"
	_p_end=$DEADLINE
	shift
	while ! "$@"; do
		past_deadline "$_p_end" && return 1
		sleep 0.1
	done
}

# ic_dev IC: the sysfs device of the offered IC (by class_id), if any
ic_dev() {
	_want="{$(ic_class "$1")}"
	for _d in "$DEVS"/*; do
		[ "$(cat "$_d/class_id" 2>/dev/null)" = "$_want" ] && { echo "$_d"; return 0; }
	done
	return 1
}

driver_of() {
	_l=$(readlink "$1/driver" 2>/dev/null) && echo "${_l##*/}"
}

ic_bound() {
	_d=$(ic_dev "$1") && [ "$(driver_of "$_d")" = hv_utils ]
}

all_bound() {
	for _ic in $VMBUS_ICS; do
		ic_bound "$_ic" || return 1
	done
}

# find_ics: dev_IC, relid_IC, chan_IC (the channel's sysfs directory)
find_ics() {
	for _ic in $VMBUS_ICS; do
		_d=$(ic_dev "$_ic") || _d=
		_r=
		[ -n "$_d" ] && _r=$(cat "$_d/id" 2>/dev/null)
		eval "dev_$_ic=\$_d relid_$_ic=\$_r chan_$_ic=\${_d:+\$_d/channels/\$_r}"
	done
}

pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# clock_set: the clock is no longer in 2000 (the RTC's -rtc base)
clock_set() {
	[ "$(date +%Y)" -ge 2024 ]
}

# irq_at_least FILE N
irq_at_least() {
	[ "$(cat "$1")" -ge "$2" ]
}

get() {
	eval "echo \"\${$1_$2:-}\""
}

list_devices() {
	for _d in "$DEVS"/*; do
		[ -e "$_d" ] || continue
		echo "${_d##*/} relid $(cat "$_d/id") class $(cat "$_d/class_id") driver $(driver_of "$_d")"
	done
}

# ic_versions_seen IC...: true when dmesg shows "<Name> IC version" for
# each IC (the negotiation follows the host's first message after the open;
# KVP's waits for hv_kvp_daemon to register, or 55 s)
ic_versions_seen() {
	dmesg >/tmp/dmesg
	for _ic in "$@"; do
		grep -q "hv_utils: $(ic_name "$_ic") IC version " /tmp/dmesg || return 1
	done
}

# check_ic_version IC [WHEN]: the IC version dmesg shows last (in /tmp/dmesg)
check_ic_version() {
	_name=$(ic_name "$1")
	_got=$(grep -o "hv_utils: $_name IC version [0-9]*\.[0-9]*" /tmp/dmesg | tail -n 1)
	t_is "$_got" "hv_utils: $_name IC version $(ic_version "$1")" \
		"dmesg: hv_utils: $_name IC version $(ic_version "$1") (${2:-$HV_HOST})"
}

# have IC: the IC's device was found (find_ics)
have() {
	[ -n "$(get dev "$1")" ]
}

irq_of() {
	_c=$(get chan "$1")
	[ -n "$_c" ] && cat "$_c/interrupts" 2>/dev/null
}

# hyp_cpu N: CPU N's "Hypervisor callback interrupts" (VMBus) count
hyp_cpu() {
	awk -v c="$1" '$1 == "HYP:" { print $(c + 2) }' /proc/interrupts
}

# pool0_value KEY: the value of KEY in hv_kvp_daemon's pool 0 file
# (records of a 512-byte key and a 2048-byte value, NUL-terminated)
pool0_value() {
	[ -f "$POOL0" ] || return 1
	_n=$(($(wc -c <"$POOL0") / 2560))
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		_k=$(dd if="$POOL0" bs=512 skip=$((_i * 5)) count=1 2>/dev/null | tr '\000' '\n' | head -n 1)
		if [ "$_k" = "$1" ]; then
			dd if="$POOL0" bs=512 skip=$((_i * 5 + 1)) count=4 2>/dev/null | tr '\000' '\n' | head -n 1
			return 0
		fi
		_i=$((_i + 1))
	done
	return 1
}

pool0_has() {
	[ "$(pool0_value "$1")" = "$2" ]
}

kvpd=
kvp_setup() {
	mkdir -p /var/lib/hyperv /etc
	hostname hvtest
	printf '127.0.0.1 localhost\n127.0.1.1 %s hvtest\n' "$KVP_FQDN" >/etc/hosts
	echo 'hosts: files' >/etc/nsswitch.conf
	printf 'NAME="%s"\nVERSION_ID="1.0"\n' "$KVP_OSNAME" >/etc/os-release
	# the daemon logs through syslog(3)
	syslogd -O /tmp/messages 2>/dev/null
}

# kvpd_start DESC: start hv_kvp_daemon (-n: not as a daemon) and check it
# still runs a second later (it exits when it cannot open /dev/vmbus/hv_kvp
# or register; that it registered shows in the KVP IC negotiation)
kvpd_start() {
	if ! have kvp; then
		t_fail "$1" "no KVP device"
		return
	fi
	if ! poll 10 [ -c /dev/vmbus/hv_kvp ]; then
		t_fail "$1" "no /dev/vmbus/hv_kvp (KVP device: $(get dev kvp))"
		return
	fi
	/usr/sbin/hv_kvp_daemon -n >/tmp/kvpd.out 2>&1 &
	kvpd=$!
	sleep 1
	if kill -0 "$kvpd" 2>/dev/null; then
		t_pass "$1"
	else
		t_fail "$1" "it exited: $(cat /tmp/kvpd.out; grep KVP /tmp/messages 2>/dev/null | tail -n 5)"
		kvpd=
	fi
}

kvpd_stop() {
	[ -n "$kvpd" ] || return 0
	kill "$kvpd" 2>/dev/null
	poll 10 pid_gone "$kvpd"
	wait "$kvpd" 2>/dev/null
	kvpd=
}

# kvp_push PHASE DESC: ask host.sh to push KVP_KEY=<random> into pool 0,
# wait for the daemon to write it
kvp_push() {
	_val=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "KVP-PUSH phase=$1 fqdn=$KVP_FQDN osname=$KVP_OSNAME key=$KVP_KEY value=$_val"
	if [ -z "$kvpd" ]; then
		t_fail "$2" "hv_kvp_daemon is not running"
		return
	fi
	_t=$(uptime_s)
	if poll 45 pool0_has "$KVP_KEY" "$_val"; then
		t_pass "$2 ($KVP_KEY=$_val after $(elapsed "$_t") s)"
	else
		t_fail "$2" "$POOL0: $KVP_KEY='$(pool0_value "$KVP_KEY")', want '$_val'; daemon log: $(grep KVP /tmp/messages 2>/dev/null | tail -n 5)"
	fi
}

# ---------------------------------------------------------------- autoload
# Drivers load by modalias: busybox mdev listens for uevents and runs
# modprobe "$MODALIAS" (the image has no udev)
mkdir -p /etc
echo '$MODALIAS=.* 0:0 660 @modprobe -q "$MODALIAS"' >/etc/mdev.conf
mdev -d

# ---------------------------------------------------------------- hv_vmbus
dmesg >/tmp/dmesg.boot
t_diag "clock before hv_vmbus: $(date -u '+%F %T') (RTC: -rtc base=2000-01-01)"
bounded 60 /tmp/modprobe.out modprobe hv_vmbus
st=$?
dmesg >/tmp/dmesg
vline=$(grep -o 'hv_vmbus: Vmbus version:[0-9]*\.[0-9]*' /tmp/dmesg | tail -n 1)
if [ -z "$VMBUS_VERSION" ]; then
	# ws2008, ws2008r2: no version in common (Linux asks 5.3 ... 2.4).
	# (busybox modprobe tries finit_module, then init_module: the module's
	# init runs, and fails, twice)
	case $st in
	0) why="modprobe succeeded: ${vline:-no version line}" ;;
	124) why="modprobe hv_vmbus still waits after 60 s" ;;
	*) why= ;;
	esac
	if [ -z "$why" ]; then
		t_pass "modprobe hv_vmbus fails on $HV_HOST (status $st: no VMBus version in common)"
		t_diag "$(cat /tmp/modprobe.out)"
	else
		t_fail "modprobe hv_vmbus fails on $HV_HOST (no VMBus version in common)" "$why"
	fi
	t_grep "dmesg: hv_vmbus: Unable to connect to host" 'hv_vmbus: Unable to connect to host' /tmp/dmesg
	t_is "$vline" "" "dmesg: no VMBus version negotiated"
	t_diag "$(grep -i vmbus /tmp/dmesg)"
	t_is "$(ls "$DEVS" 2>/dev/null | wc -l)" 0 "no VMBus devices"
	t_ok "the guest runs on: hv_vmbus is not loaded" [ ! -d /sys/module/hv_vmbus ]
	t_done
	exit
fi
if [ "$st" = 0 ]; then
	t_pass "modprobe hv_vmbus"
else
	t_fail "modprobe hv_vmbus" "status $st: $(cat /tmp/modprobe.out); $(grep -i vmbus /tmp/dmesg | tail -n 5)"
fi
t_is "${vline#hv_vmbus: }" "Vmbus version:$VMBUS_VERSION" \
	"dmesg: hv_vmbus: Vmbus version:$VMBUS_VERSION ($HV_HOST)"
if [ ! -d /sys/module/hv_vmbus ]; then
	echo "Bail out! hv_vmbus is not loaded"
	exit 1
fi

# ---------------------------------------------------------------- hv_utils
# loaded by modalias when the ICs' devices appear
utils_loaded() {
	[ -d /sys/module/hv_utils ]
}
if poll 20 utils_loaded; then
	t_pass "hv_utils loaded by modalias (mdev ran modprobe for the IC devices)"
else
	t_fail "hv_utils loaded by modalias" "not loaded 20 s after hv_vmbus; loading it by hand"
	bounded 60 /tmp/modprobe.out modprobe hv_utils
	st=$?
	[ "$st" = 0 ] || t_diag "modprobe hv_utils: status $st: $(cat /tmp/modprobe.out)"
fi
t_utils=$(uptime_s)
any_device() {
	[ -n "$(ls "$DEVS")" ]
}
# the offers came with the connection: no device at all, no long wait
poll 3 any_device && poll 20 all_bound
find_ics
t_diag "$(list_devices)"
n=0
for ic in $VMBUS_ICS; do
	d=$(get dev "$ic")
	name=$(ic_name "$ic")
	if [ -n "$d" ]; then
		t_pass "$name IC offered: ${d##*/} class_id {$(ic_class "$ic")}, relid $(get relid "$ic")"
		n=$((n + 1))
	else
		t_fail "$name IC offered (class_id {$(ic_class "$ic")})" \
			"no such device in $DEVS (class_ids: $(cat "$DEVS"/*/class_id 2>/dev/null | tr '\n' ' '))"
	fi
	t_is "$([ -n "$d" ] && driver_of "$d")" hv_utils "$name IC bound to hv_utils"
done
t_is "$(ls "$DEVS" | wc -l)" "$VMBUS_NDEVS" "$DEVS lists the $VMBUS_NDEVS offered devices, no others"
n_ics=
[ "$n" -gt 0 ] && n_ics=$n
relids=
for ic in $VMBUS_ICS; do
	r=$(get relid "$ic")
	[ -n "$r" ] && relids="$relids $ic=$r"
done
echo "VMBUS-RELIDS$relids"

# Ours: the core's own selftest (connection, devices, MODIFYCHANNEL)
if [ -n "$OURS" ]; then
	HV_VMBUS_VERSION=$VMBUS_VERSION HV_VMBUS_SECTIONS="conn devices modify" \
		t_import sh /suite/hv_vmbus.sh
fi

# IC versions (KVP's below, once hv_kvp_daemon runs)
[ -n "$n_ics" ] && poll 15 ic_versions_seen hb sd ts
for ic in hb sd ts; do
	check_ic_version "$ic"
done

# ---------------------------------------------------------------- timesync
# The RTC started the clock in 2000; the host's SYNC at the channel's open
# sets it (post.sh compares TIMESYNC-SAMPLE with the host's clock).
t_grep "dmesg: the clock started from the RTC in 2000 (-rtc base=2000-01-01)" \
	'setting system clock to 2000-' /tmp/dmesg.boot
if ! have ts; then
	t_fail "timesync set the clock (year >= 2024)" "no timesync device"
elif poll 15 clock_set; then
	t_pass "timesync set the clock: $(date -u '+%F %T') UTC, $(elapsed "$t_utils") s after hv_utils loaded"
else
	t_fail "timesync set the clock (year >= 2024) within 15 s of loading hv_utils" \
		"the clock says $(date -u '+%F %T'); $(grep -i -E 'timesync|ptp' /tmp/dmesg | tail -n 3)"
fi
# The sample, the uptime just after taking it and the uptime as it is
# printed: post.sh takes the time the guest spent between the two (forks
# of a debug kernel, slow under TCG and slower beside another guest) off
# the line's arrival on the host
adjtimex >/tmp/adjtimex 2>&1
u_sample=$(cut -d' ' -f1 /proc/uptime)
sample=$(sed -n 's/.*time\.tv_sec: *//p' /tmp/adjtimex).$(sed -n 's/.*time\.tv_usec: *//p' /tmp/adjtimex | awk '{ printf "%06d", $1 }')
echo "TIMESYNC-SAMPLE $sample $u_sample $(cut -d' ' -f1 /proc/uptime)"

# ---------------------------------------------------------------- interrupts
# Each channel's interrupt count (host-to-guest signals): the negotiation
# on every channel, then heartbeats, timesync samples (5 s) and KVP
# enumerations (2 s).
t_irq=$(uptime_s)
for ic in $VMBUS_ICS; do
	eval "irq1_$ic=\$(irq_of \$ic)"
done
check_interrupts() {
	w=$(awk -v e="$(elapsed "$t_irq")" 'BEGIN { w = 7 - e; if (w > 0) printf "%.1f", w; else print 0 }')
	[ -n "$n_ics" ] && sleep "$w"
	span=$(elapsed "$t_irq")
	for ic in $VMBUS_ICS; do
		name=$(ic_name "$ic")
		a=$(get irq1 "$ic")
		b=$(irq_of "$ic")
		if ! have "$ic"; then
			t_fail "$name channel interrupts counted" "no $name device"
		elif [ -z "$b" ]; then
			t_fail "$name channel interrupts counted" "no $(get chan "$ic")/interrupts"
		elif [ "$ic" = sd ]; then
			# the shutdown channel is quiet after its negotiation
			t_ok "$name channel (relid $(get relid "$ic")) got interrupts ($b)" [ "$b" -gt 0 ]
		else
			t_ok "$name channel (relid $(get relid "$ic")) interrupts rise: ${a:-?} -> $b in $span s" \
				[ "$b" -gt "${a:-0}" ]
		fi
	done
}

# ---------------------------------------------------------------- KVP
# hv_utils negotiates KVP once the daemon has registered; host.sh then
# checks FQDN and OSName in the guest's pool, and pushes a key
kvp_setup
kvpd_start "hv_kvp_daemon runs"
[ -n "$kvpd" ] && poll 15 ic_versions_seen kvp
check_ic_version kvp "$HV_HOST, after hv_kvp_daemon registered"
kvp_push 1 "KVP: the host's push reached pool 0 ($POOL0)"
check_interrupts

# ---------------------------------------------------------------- reload
reload_loop() {
	i=1
	while [ "$i" -le "$RELOAD_CYCLES" ]; do
		rmmod hv_utils || { echo "cycle $i: rmmod hv_utils failed"; return 1; }
		# the last load's IC negotiation alone in dmesg
		[ "$i" -eq "$RELOAD_CYCLES" ] && dmesg -c >/dev/null
		modprobe hv_utils || { echo "cycle $i: modprobe hv_utils failed"; return 1; }
		i=$((i + 1))
	done
}
if [ -n "$VMBUS_FULL" ]; then
	kvpd_stop	# its open /dev/vmbus/hv_kvp holds hv_utils
	t0=$(uptime_s)
	bounded 300 /tmp/reload.out reload_loop
	st=$?
	dur=$(elapsed "$t0")
	if [ "$st" = 0 ]; then
		t_pass "$RELOAD_CYCLES cycles of rmmod hv_utils; modprobe hv_utils ($dur s)"
	else
		t_fail "$RELOAD_CYCLES cycles of rmmod hv_utils; modprobe hv_utils" \
			"after $dur s, status $st: $(cat /tmp/reload.out); $(dmesg | tail -n 5)"
	fi
	echo "RELOAD-DONE cycles=$RELOAD_CYCLES seconds=$dur status=$st"
	if [ -n "$n_ics" ]; then
		t_ok "all four ICs bound to hv_utils after the reloads" poll 20 all_bound
	else
		t_fail "all four ICs bound to hv_utils after the reloads" "no IC was offered"
	fi
	find_ics
	kvpd_start "hv_kvp_daemon runs again after the reloads"
	desc="the last load negotiated all four ICs again (IC version lines)"
	if [ -n "$n_ics" ]; then
		t_ok "$desc" poll 15 ic_versions_seen hb sd ts kvp
	else
		t_fail "$desc" "no IC was offered"
	fi
	t_diag "$(grep 'IC version' /tmp/dmesg)"
	kvp_push 2 "KVP: a push after the reloads reached pool 0"
fi

# ---------------------------------------------------------------- MODIFYCHANNEL
if [ -n "$VMBUS_MOVE" ]; then
	c=$(get chan hb)
	if [ -z "$c" ]; then
		for x in "heartbeat channel moved to CPU 1" "channel cpu reads 1" \
			"heartbeat interrupts arrive on CPU 1"; do
			t_fail "$x" "no heartbeat channel"
		done
	else
		t_diag "heartbeat channel $c: cpu $(cat "$c/cpu"); HYP per CPU: $(grep 'HYP:' /proc/interrupts)"
		h0=$(hyp_cpu 1)
		sleep 3
		h1=$(hyp_cpu 1)
		t_diag "CPU 1 HYP over 3 s before the move: $h0 -> $h1"
		t_ok "heartbeat channel moved to CPU 1 (echo 1 > ${c#"$DEVS"/}/cpu: MODIFYCHANNEL)" \
			sh -c "echo 1 >'$c/cpu'"
		t_is "$(cat "$c/cpu")" 1 "channel cpu reads 1"
		h1=$(hyp_cpu 1)
		i1=$(cat "$c/interrupts")
		poll 20 irq_at_least "$c/interrupts" $((i1 + 2))
		h2=$(hyp_cpu 1)
		i2=$(cat "$c/interrupts")
		if [ "$i2" -gt "$i1" ] && [ "${h2:-0}" -gt "${h1:-0}" ]; then
			t_pass "heartbeat interrupts arrive on CPU 1 (channel $i1 -> $i2, CPU 1 HYP $h1 -> $h2)"
		else
			t_fail "heartbeat interrupts arrive on CPU 1" \
				"channel interrupts $i1 -> $i2, CPU 1 HYP $h1 -> $h2; $(grep 'HYP:' /proc/interrupts)"
		fi
	fi
fi

# ---------------------------------------------------------------- rescind
if [ -n "$VMBUS_FULL" ]; then
	old=$(get dev hb)
	dmesg -c >/dev/null
	echo "RESCIND-READY relid=$(get relid hb) dev=${old##*/}"
	if [ -z "$old" ]; then
		for x in "heartbeat device left $DEVS after device_del" \
			"heartbeat IC offered again after device_add" "re-offered heartbeat bound to hv_utils" \
			"dmesg: hv_utils: Heartbeat IC version $IC_HB (re-offered)"; do
			t_fail "$x" "no heartbeat device before device_del"
		done
	else
		t0=$(uptime_s)
		old_relid=$(get relid hb)
		# gone, or already back under a new relid (same instance GUID)
		hb_gone() {
			[ ! -e "$old" ] || [ "$(cat "$old/id" 2>/dev/null)" != "$old_relid" ]
		}
		if poll 40 hb_gone; then
			t_pass "heartbeat device ${old##*/} left $DEVS after device_del ($(elapsed "$t0") s)"
		else
			t_fail "heartbeat device ${old##*/} left $DEVS after device_del" \
				"still there after 40 s: $(list_devices)"
		fi
		t0=$(uptime_s)
		poll 40 ic_bound hb
		new=$(ic_dev hb)
		if [ -n "$new" ]; then
			t_pass "heartbeat IC offered again after device_add (${new##*/}, relid $(cat "$new/id"), $(elapsed "$t0") s)"
		else
			t_fail "heartbeat IC offered again after device_add" "none after 40 s: $(list_devices)"
		fi
		t_is "$([ -n "$new" ] && driver_of "$new")" hv_utils "re-offered heartbeat bound to hv_utils"
		poll 15 sh -c "dmesg | grep -q 'hv_utils: Heartbeat IC version'"
		got=$(dmesg | grep -o 'hv_utils: Heartbeat IC version [0-9]*\.[0-9]*' | tail -n 1)
		t_is "$got" "hv_utils: Heartbeat IC version $IC_HB" \
			"dmesg: hv_utils: Heartbeat IC version $IC_HB (re-offered)"
		t_diag "$(dmesg | grep -E 'hv_vmbus|hv_utils' | tail -n 8)"
	fi
fi

# ---------------------------------------------------------------- ours
# The ring-buffer stress on hv-vmbus-test once host.sh has had its 2
# sub-channels offered; then the device rescinded with 3 channels open;
# then hv_vmbus reloads (the drivers coming back by modalias each time).
if [ -n "$OURS" ]; then
	echo "VT-SUBCHANNELS n=2"
	HV_VMBUS_SECTIONS=echo HV_VMBUS_ECHO_PACKETS=$ECHO_PACKETS HV_VMBUS_ECHO_CHANNELS=3 \
		t_import sh /suite/hv_vmbus.sh
	vt=$(for d in "$DEVS"/*; do
		[ "$(cat "$d/class_id")" = "{$VT_CLASS}" ] && echo "$d"
	done)
	echo "VT-RESCIND-READY dev=${vt##*/}"
	if [ -n "$vt" ] && poll 30 [ ! -e "$vt" ]; then
		t_pass "hv-vmbus-test rescinded with 3 channels open: device gone"
	else
		t_fail "hv-vmbus-test rescinded with 3 channels open: device gone" "$(list_devices)"
	fi
	t_diag "$(dmesg | grep -E 'hv_vmbus|hv_vmbus_test' | tail -n 5)"
	if [ -n "$VMBUS_RELOADS" ]; then
		kvpd_stop
		HV_VMBUS_SECTIONS=reload HV_VMBUS_RELOADS=$VMBUS_RELOADS HV_VMBUS_DEVICES=4 \
			HV_VMBUS_RELOAD_MODULES=hv_utils \
			t_import sh /suite/hv_vmbus.sh
		echo "VMBUS-RELOAD-DONE cycles=$VMBUS_RELOADS"
	fi
	if dmesg | grep -Eq 'hv_vmbus.*(dropped|malformed|refused)'; then
		t_fail "dmesg: no protocol complaint from hv_vmbus" "$(dmesg | grep -E 'hv_vmbus.*(dropped|malformed|refused)' | head -n 5)"
	else
		t_pass "dmesg: no protocol complaint from hv_vmbus"
	fi
fi

# ---------------------------------------------------------------- the end
t_done
case $VMBUS_ENDING in
shutdown | powerdown | reboot)
	# host.sh sends the request; hv_utils runs /sbin/poweroff or
	# /sbin/reboot (orderly_poweroff/orderly_reboot), busybox signals init
	echo 7 >/proc/sys/kernel/printk
	echo "READY-FOR-$VMBUS_ENDING"
	if ic_bound sd; then
		sleep 90
		echo "hvtest: no $VMBUS_ENDING within 90 s"
	else
		echo "hvtest: no shutdown IC bound, no $VMBUS_ENDING request possible"
	fi
	exit 1
	;;
esac
