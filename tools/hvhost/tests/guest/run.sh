#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of hvhost (QEMU under TCG with our Hyper-V partition
# interface) with the micro-guest.
#
#   run.sh [--env FILE] [SCENARIO...]     default: every scenario
#   run.sh --list
#
# QEMU: --env FILE is build-qemu.sh's output (QEMU=, QEMU_DATADIR=...);
# else QEMU (and QEMU_DATADIR) from the environment; else this script runs
# tools/hvhost/build-qemu.sh itself.
#
# Each scenario boots hvtest.img (multiboot) on QEMU with a host profile
# (hv-profile=), a vCPU count and a mode.  The guest prints TAP on COM1 and
# asks for host-side actions with "HVTEST-HOST <cmd>[ ; <cmd>...]" lines;
# this script watches the console log and carries them out over QMP on the
# hv-synic-test device (see README.md).
#
# Output: TAP 13 on stdout, one point per guest TAP line, plus per run: the
# guest finished its plan, how QEMU ended (exit status, and for crash and
# reset the QMP events), and the host requests.  Exit status 0 iff every
# point passed.
#
# The vmbus-* scenarios run the guest's VMBus tests against QEMU's VMBus
# server with -device hv-heartbeat (hv-balloon where this QEMU has no
# hv-heartbeat: that is reported as a skipped point); vmbus-mnf-*,
# vmbus-hotplug-* and vmbus-modify-* test monitor pages, rescind and hot
# plug (device_del/device_add over QMP), and MODIFYCHANNEL;
# vmbus-subchannels-* sub-channels offered only when the device asks
# (hv-vmbus-test's offer-subchannels, set over QMP); vmbus-echo-* the
# guest's ring-buffer traffic against hv-vmbus-test's packet echo.
#
# Environment: LOGDIR (default /tmp/hvhost-guest-test) keeps each run's
# console log, QEMU's stderr, QMP transcript and events in LOGDIR/<name>/;
# HVTEST_TIMEOUT (default 60) is each run's hard limit in seconds;
# HVTEST_VMBUS_DEV=balloon makes hv-balloon the channel under test even
# where hv-heartbeat exists.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../../.." && pwd)
# hvhost has ASan/UBSan: the first report aborts QEMU (as scripts/lib.sh)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
LOGDIR=${LOGDIR:-/tmp/hvhost-guest-test}
TIMEOUT=${HVTEST_TIMEOUT:-60}
IMAGE=$HERE/hvtest.img
QMP_PY=$TOP/scripts/qmp.py
QOM=/machine/peripheral/hvtest
MEM=512
HV_FLAGS=hv-relaxed,hv-vpindex,hv-time,hv-synic,hv-stimer,hv-frequencies,hv-crash,hv-runtime,hv-reset,hv-stimer-direct

# name profile cpus mode.  Profiles where the guest-visible platform
# changes: ws2008 (no TSC page, crash MSRs, direct timers or frequency
# MSRs; at most 4 VPs), ws2012r2 (TSC page, crash notify), ws2016 (direct
# timers, frequency MSRs), ws2025 (crash message).  Two vCPUs where SMP
# matters: message-mode (ws2008) and direct-mode (ws2025) timers on VP 1.
# VMBus: one per profile whose VMBus differs for a guest: ws2008 (0.13
# only, interrupt page), ws2008r2 (1.1), ws2012 (2.4: per-channel event
# flags), ws2016 (4.0), ws2019 (5.2: connection id 4), ws2025 (5.3).
# MNF where guests used it (ws2008: pre-2.4 signalling, ws2012: 2.4); hot
# plug on the newest; MODIFYCHANNEL at 5.3 (answered) and 4.0 (unknown);
# sub-channels offered on request (hv-vmbus-test) on the newest; the
# packet echo (hv-vmbus-test) on the newest and with the interrupt page.
SCENARIOS=(
	"ws2008-1 ws2008 1 main"
	"ws2008-2 ws2008 2 main"
	"ws2012r2-1 ws2012r2 1 main"
	"ws2016-1 ws2016 1 main"
	"ws2025-1 ws2025 1 main"
	"ws2025-2 ws2025 2 main"
	"crash-ws2016 ws2016 1 crash"
	"crash-ws2025 ws2025 1 crash"
	"hvreset-ws2025 ws2025 1 hvreset"
	"ws2008-5cpus-refused ws2008 5 refused"
	"vmbus-ws2008 ws2008 1 vmbus"
	"vmbus-ws2008r2 ws2008r2 1 vmbus"
	"vmbus-ws2012 ws2012 1 vmbus"
	"vmbus-ws2016 ws2016 1 vmbus"
	"vmbus-ws2019 ws2019 1 vmbus"
	"vmbus-ws2025 ws2025 1 vmbus"
	"vmbus-mnf-ws2008 ws2008 1 vmbus-mnf"
	"vmbus-mnf-ws2012 ws2012 1 vmbus-mnf"
	"vmbus-hotplug-ws2025 ws2025 1 vmbus-hotplug"
	"vmbus-modify-ws2016 ws2016 2 vmbus-modify"
	"vmbus-modify-ws2025 ws2025 2 vmbus-modify"
	"vmbus-subchannels-ws2025 ws2025 1 vmbus-subchannels"
	"vmbus-echo-ws2025 ws2025 1 vmbus-echo"
	"vmbus-echo-ws2008 ws2008 1 vmbus-echo"
	"vmbus-storvsp-ws2008 ws2008 1 vmbus-storvsp"
	"vmbus-storvsp-ws2025 ws2025 1 vmbus-storvsp"
	"vmbus-netvsp-ws2025 ws2025 1 vmbus-netvsp"
	"vmbus-input-kbd-ws2025 ws2025 1 vmbus-input-kbd"
	"vmbus-input-mouse-ws2008 ws2008 1 vmbus-input-mouse"
)

envfile=
while [ $# -gt 0 ]; do
	case $1 in
	--list)
		for s in "${SCENARIOS[@]}"; do echo "${s%% *}"; done
		exit 0
		;;
	--env)
		[ $# -ge 2 ] || { echo "run.sh: --env needs a file" >&2; exit 2; }
		envfile=$2
		shift 2
		;;
	-h|--help)
		sed -n '3,38p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		break
		;;
	esac
done
selected=("$@")
for w in "${selected[@]}"; do
	known=
	for s in "${SCENARIOS[@]}"; do [ "${s%% *}" = "$w" ] && known=1; done
	if [ -z "$known" ]; then
		echo "Bail out! unknown scenario '$w' (run.sh --list)"
		exit 1
	fi
done

echo "TAP version 13"
mkdir -p "$LOGDIR" || { echo "Bail out! cannot create $LOGDIR"; exit 1; }

# QEMU
if [ -n "$envfile" ]; then
	[ -r "$envfile" ] || { echo "Bail out! cannot read $envfile"; exit 1; }
	# shellcheck disable=SC1090
	. "$envfile"
elif [ -z "${QEMU:-}" ]; then
	if ! "$TOP/tools/hvhost/build-qemu.sh" -o "$LOGDIR/qemu.env" \
		>"$LOGDIR/build-qemu.log" 2>&1; then
		echo "Bail out! tools/hvhost/build-qemu.sh failed (see $LOGDIR/build-qemu.log)"
		exit 1
	fi
	# shellcheck disable=SC1091
	. "$LOGDIR/qemu.env"
fi
if [ -z "${QEMU:-}" ] || [ ! -x "$QEMU" ]; then
	echo "Bail out! no QEMU binary ('${QEMU:-}')"
	exit 1
fi
QEMU_L=()
[ -n "${QEMU_DATADIR:-}" ] && QEMU_L=(-L "$QEMU_DATADIR")

for t in gcc make objcopy python3 timeout; do
	command -v "$t" >/dev/null 2>&1 ||
		{ echo "Bail out! need $t (apt-get install build-essential python3 coreutils)"; exit 1; }
done
if ! make -s -C "$HERE" >"$LOGDIR/make.log" 2>&1; then
	echo "Bail out! cannot build the micro-guest (see $LOGDIR/make.log)"
	exit 1
fi

SOCKDIR=$(mktemp -d /tmp/hvtest-qmp.XXXXXX) || exit 1
QPID=
cleanup() {
	qmp_stop
	if [ -n "$QPID" ]; then
		kill "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
	fi
	rm -rf "$SOCKDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
failed=0
point() {	# point OK|FAIL|SKIP DESCRIPTION [WHY]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	elif [ "$1" = SKIP ]; then
		echo "ok $n - $2 # SKIP $3"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# One QMP connection per run: scripts/qmp.py --serve as a coprocess (a
# Python start costs up to a second on a loaded machine)
QMPC_PID=
QMPC_IN=
QMPC_OUT=
qmp_start() {	# qmp_start SOCK
	coproc QMPC { exec python3 "$QMP_PY" -c 5 -t 20 "$1" --serve; }
	QMPC_OUT=${QMPC[0]}
	QMPC_IN=${QMPC[1]}
}

qmp_stop() {
	[ -n "${QMPC_PID:-}" ] || return 0
	[ -n "${QMPC_IN:-}" ] && eval "exec $QMPC_IN>&-"
	[ -n "${QMPC_OUT:-}" ] && eval "exec $QMPC_OUT<&-"
	wait "$QMPC_PID" 2>/dev/null
	QMPC_PID=
	QMPC_IN=
	QMPC_OUT=
}

qmp() {		# qmp SOCK COMMAND-JSON: the reply line on stdout; 0, 1 error, 2 no QMP
	local reply
	[ -n "${QMPC_PID:-}" ] || qmp_start "$1"
	{ echo "$2" >&"$QMPC_IN"; } 2>/dev/null || { echo "QMP client gone"; return 2; }
	if ! IFS= read -r -t 25 reply <&"$QMPC_OUT"; then
		echo "no reply from QMP"
		return 2
	fi
	echo "$reply"
	case $reply in
	"ERROR: no QMP"*|"ERROR: QMP connection lost"*) return 2 ;;
	ERROR:*) return 1 ;;
	esac
	return 0
}

qom_set() {	# qom_set SOCK PROPERTY VALUE
	qmp "$1" "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"$QOM\", \"property\": \"$2\", \"value\": \"$3\"}}"
}

# QMP events NAME whose data.device is ID in the run's event log
event_count() {	# event_count EVENTS NAME ID
	grep -a "\"event\": \"$2\"" "$1" 2>/dev/null | grep -c "\"device\": \"$3\""
}

# Exactly N such events: waits up to 5 s for them to reach N
expect_event() {	# expect_event EVENTS NAME ID N
	local i c
	for ((i = 0; i < 100; i++)); do
		c=$(event_count "$1" "$2" "$3")
		[ "$c" -ge "$4" ] && break
		sleep 0.05
	done
	echo "$c $2 event(s) for device $3 (want $4)"
	[ "$c" = "$4" ]
}

# A qom-set value as JSON: on/off/true/false booleans, digits numbers, the
# rest strings
qom_value_json() {	# qom_value_json VALUE
	case $1 in
	on|true) echo true ;;
	off|false) echo false ;;
	*[!0-9]*|'') echo "\"$1\"" ;;
	*) echo "$1" ;;
	esac
}

# device_add's arguments as JSON: DRIVER[,PROP=VALUE...]; on/off/true/false
# become booleans, digits numbers, the rest strings
device_add_json() {	# device_add_json SPEC
	local spec=$1 json kv k v
	json="{\"driver\": \"${spec%%,*}\""
	spec=${spec#"${spec%%,*}"}
	while [ -n "$spec" ]; do
		spec=${spec#,}
		kv=${spec%%,*}
		spec=${spec#"$kv"}
		k=${kv%%=*}
		v=${kv#*=}
		case $v in
		on|true) v=true ;;
		off|false) v=false ;;
		*[!0-9]*|'') v="\"$v\"" ;;
		esac
		json="$json, \"$k\": $v"
	done
	echo "$json}"
}

# Carry out one "HVTEST-HOST" line: ';'-separated commands, in order.
# Sets req_fail when a command is malformed or its outcome is not the one
# wanted.  Logs to the transcript TR.  EVENTS: the run's QMP event log.
host_request() {	# host_request SOCK TR LINE EVENTS
	local sock=$1 tr=$2 rest=$3 ev=$4 cmd want_err out rc a counts
	local fail0=$req_fail
	while [ -n "$rest" ]; do
		cmd=${rest%%;*}
		if [ "$cmd" = "$rest" ]; then rest=; else rest=${rest#*;}; fi
		cmd=$(echo "$cmd" | sed 's/^ *//; s/ *$//')
		[ -z "$cmd" ] && continue
		want_err=
		if [ "${cmd#!}" != "$cmd" ]; then
			want_err=1
			cmd=${cmd#!}
		fi
		read -ra a <<<"$cmd"
		echo "> ${want_err:+(must be refused) }$cmd" >>"$tr"
		if [[ $cmd =~ ^post\ [0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]]; then
			qom_set "$sock" post-message "${a[1]}:${a[2]}:${a[3]}:${a[4]}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^event\ [0-9]+\ [0-9]+\ [0-9]+$ ]]; then
			qom_set "$sock" signal-event "${a[1]}:${a[2]}:${a[3]}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^expect\ (posted|delivered|retried|failed|events)\ [0-9]+$ ]]; then
			qmp "$sock" "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"$QOM\", \"property\": \"state\"}}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
			# a JSON string: "...\ntest posted P delivered D ...\n"
			out=${out//\\n/$'\n'}
			counts=$(echo "$out" | grep -o 'test posted [0-9a-z ]*' | head -n 1)
			if [ $rc = 0 ] && [[ " ${counts#test } " != *" ${a[1]} ${a[2]} "* ]]; then
				out="$out
(does not say '${a[1]} ${a[2]}')"
				rc=1
			fi
		elif [[ $cmd =~ ^key\ [a-z0-9_]+$ ]]; then
			# a key pressed and released (input.c)
			qmp "$sock" "{\"execute\": \"input-send-event\", \"arguments\": {\"events\": [{\"type\": \"key\", \"data\": {\"down\": true, \"key\": {\"type\": \"qcode\", \"data\": \"${a[1]}\"}}}, {\"type\": \"key\", \"data\": {\"down\": false, \"key\": {\"type\": \"qcode\", \"data\": \"${a[1]}\"}}}]}}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^abs\ [0-9]+\ [0-9]+$ ]]; then
			qmp "$sock" "{\"execute\": \"input-send-event\", \"arguments\": {\"events\": [{\"type\": \"abs\", \"data\": {\"axis\": \"x\", \"value\": ${a[1]}}}, {\"type\": \"abs\", \"data\": {\"axis\": \"y\", \"value\": ${a[2]}}}]}}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^btn\ [a-z-]+\ (down|up)$ ]]; then
			qmp "$sock" "{\"execute\": \"input-send-event\", \"arguments\": {\"events\": [{\"type\": \"btn\", \"data\": {\"down\": $([ "${a[2]}" = down ] && echo true || echo false), \"button\": \"${a[1]}\"}}]}}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^device_del\ [A-Za-z0-9_.-]+$ ]]; then
			qmp "$sock" "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"${a[1]}\"}}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^device_add\ [A-Za-z0-9_.-]+(,[A-Za-z0-9_-]+=[A-Za-z0-9_.:-]*)*$ ]]; then
			qmp "$sock" "{\"execute\": \"device_add\", \"arguments\": $(device_add_json "${a[1]}")}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^qom-set\ /[A-Za-z0-9_./-]+\ [A-Za-z0-9_-]+\ [A-Za-z0-9_.:-]+$ ]]; then
			qmp "$sock" "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"${a[1]}\", \"property\": \"${a[2]}\", \"value\": $(qom_value_json "${a[3]}")}}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
		elif [[ $cmd =~ ^qom-expect\ /[A-Za-z0-9_./-]+\ [A-Za-z0-9_-]+\ (=|\>=)\ [0-9]+$ ]]; then
			qmp "$sock" "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"${a[1]}\", \"property\": \"${a[2]}\"}}" >"$SOCKDIR/out"
			rc=$?
			out=$(cat "$SOCKDIR/out")
			# the reply: the number
			local got
			got=$(echo "$out" | grep -x '[0-9][0-9]*')
			if [ $rc = 0 ] && { [ -z "$got" ] ||
			   { [ "${a[3]}" = "=" ] && [ "$got" != "${a[4]}" ]; } ||
			   { [ "${a[3]}" = ">=" ] && [ "$got" -lt "${a[4]}" ]; }; }; then
				out="$out
(want ${a[2]} ${a[3]} ${a[4]})"
				rc=1
			fi
		elif [[ $cmd =~ ^expect-event\ [A-Z_]+\ [A-Za-z0-9_.-]+\ [0-9]+$ ]]; then
			out=$(expect_event "$ev" "${a[1]}" "${a[2]}" "${a[3]}")
			rc=$?
		elif [[ $cmd =~ ^ack\ [0-9]+\ [0-9]+$ ]] && [ -z "$want_err" ]; then
			# flag 1: every command of the line so far went as wanted
			local flag=1
			[ "$req_fail" -gt "$fail0" ] && flag=2
			qom_set "$sock" signal-event "${a[1]}:${a[2]}:$flag" >"$SOCKDIR/out"
			rc=$?
			out="flag $flag: $(cat "$SOCKDIR/out")"
		else
			echo "refused malformed request: $cmd" >>"$tr"
			req_fail=$((req_fail + 1))
			continue
		fi
		echo "$out" >>"$tr"
		if { [ -z "$want_err" ] && [ $rc != 0 ]; } ||
		   { [ -n "$want_err" ] && [ $rc != 1 ]; }; then
			echo "UNEXPECTED: status $rc" >>"$tr"
			req_fail=$((req_fail + 1))
		fi
	done
}

# GUEST_PANICKED in EVENTS carries the five parameters the guest printed
crash_event_ok() {	# crash_event_ok EVENTS CONSOLE
	python3 - "$1" "$2" <<'EOF'
import json, re, sys
want = None
for line in open(sys.argv[2], errors="replace"):
    m = re.match(r"# crash parameters: (.*)", line.strip())
    if m:
        want = [int(x, 16) for x in m.group(1).split()]
got = None
reason = None
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event") == "GUEST_PANICKED":
        info = ev["data"].get("info", {})
        if info.get("type") == "hyper-v":
            got = [info.get("arg%d" % i) for i in range(1, 6)]
    if ev.get("event") == "SHUTDOWN":
        reason = ev["data"].get("reason")
print("parameters %s, event %s, shutdown %s" % (want, got, reason))
sys.exit(0 if want and got == want and reason == "guest-panic" else 1)
EOF
}

# The VMBus channel under test: hv-heartbeat, or hv-balloon where this
# QEMU has no hv-heartbeat (or HVTEST_VMBUS_DEV=balloon)
VMBUS_DEV=
vmbus_device() {
	[ -n "$VMBUS_DEV" ] && return 0
	VMBUS_DEV=balloon
	if [ "${HVTEST_VMBUS_DEV:-}" != balloon ] &&
	   "$QEMU" "${QEMU_L[@]}" -device help 2>/dev/null | grep -q '"hv-heartbeat"'; then
		VMBUS_DEV=heartbeat
	fi
}

shutdown_reason() {	# shutdown_reason EVENTS
	grep -o '"event": "SHUTDOWN".*"reason": "[a-z-]*"' "$1" 2>/dev/null |
		sed 's/.*"reason": "\([a-z-]*\)"/\1/' | head -n 1
}

run_scenario() {	# run_scenario NAME PROFILE CPUS MODE[-TEST]
	local name=$1 prof=$2 cpus=$3 mode=${4%%-*} test=${4#*-}
	local dir=$LOGDIR/$name sock=$SOCKDIR/$name.sock
	local clog tr ev err caps runner=0 status handled=0 nl line
	local plan='' ntap=0 bail='' start end reqs=() deadline alive
	local args extra=() append=
	req_fail=0
	[ "$mode" = main ] && runner=1
	[ "$test" = "$4" ] && test=basic
	if [ "$mode" = vmbus ]; then
		vmbus_device
		# shellcheck disable=SC2054 # commas inside QEMU options
		case $test in
		basic)	extra=(-device "hv-$VMBUS_DEV,id=hb") ;;
		# heartbeats every 100 ms: the "no signal, no answer" control
		mnf)	extra=(-device hv-heartbeat,id=hb,mnf=on,interval=100) ;;
		# early: deleted before contact; keep: stays throughout
		hotplug) extra=(-device hv-heartbeat,id=hb
				-device hv-shutdown,id=early -device hv-kvp,id=keep)
			runner=1 ;;
		modify)	extra=(-device hv-heartbeat,id=hb,interval=100) ;;
		# sub-channels 1 and 2 only when asked for (offer-subchannels)
		subchannels) extra=(-device hv-vmbus-test,id=vt,channels=3)
			runner=1 ;;
		# primary and sub-channel 1 echo
		echo)	extra=(-device hv-vmbus-test,id=vt,channels=2)
			runner=1 ;;
		# a 1 MiB raw disk at LUN 0
		storvsp) truncate -s 1M "$LOGDIR/$name.img"
			extra=(-device hv-storvsp,id=st
				-drive "if=none,id=sd0,file=$LOGDIR/$name.img,format=raw"
				-device scsi-hd,bus=st.0,scsi-id=0,lun=0,drive=sd0) ;;
		# the network adapter (netvsp.c) on user networking, no way out
		netvsp) extra=(-netdev user,id=nvn,restrict=on
				-device hv-netvsp,id=nv,netdev=nvn,mac=52:54:00:4e:56:09)
			runner=1 ;;
		# the synthetic keyboard, mouse (input.c): run.sh injects input
		input-kbd) extra=(-device hv-keyboard,id=kbd); runner=1 ;;
		input-mouse) extra=(-device hv-mouse,id=mouse); runner=1 ;;
		esac
		append=" hvtest.vmbusdev=$VMBUS_DEV hvtest.vmbustest=$test"
		if [ "$test" = netvsp ]; then
			if ! "$QEMU" "${QEMU_L[@]}" -device help 2>/dev/null |
			     grep -q '"hv-netvsp"'; then
				point SKIP "$name" "no hv-netvsp in this QEMU"
				return
			fi
		elif [ "$test" = storvsp ]; then
			if ! "$QEMU" "${QEMU_L[@]}" -device help 2>/dev/null |
			     grep -q '"hv-storvsp"'; then
				point SKIP "$name" "no hv-storvsp in this QEMU"
				return
			fi
		elif [ "${test#input-}" != "$test" ]; then
			if ! "$QEMU" "${QEMU_L[@]}" -device help 2>/dev/null |
			     grep -q '"hv-keyboard"'; then
				point SKIP "$name" "no hv-keyboard in this QEMU"
				return
			fi
		elif [ "$test" = subchannels ] || [ "$test" = echo ]; then
			if ! "$QEMU" "${QEMU_L[@]}" -device help 2>/dev/null |
			     grep -q '"hv-vmbus-test"'; then
				point SKIP "$name" "no hv-vmbus-test in this QEMU (CONFIG_HV_SYNIC_TEST and CONFIG_VMBUS)"
				return
			fi
		elif [ "$test" != basic ] && [ "$VMBUS_DEV" != heartbeat ]; then
			point SKIP "$name" "no hv-heartbeat in this QEMU (or HVTEST_VMBUS_DEV=balloon)"
			return
		fi
	fi

	rm -rf "$dir"
	mkdir -p "$dir"
	clog=$dir/console.log
	tr=$dir/qmp.txt
	ev=$dir/qmp-events.json
	err=$dir/qemu.err
	caps=$dir/qmp-caps.json
	: >"$clog"
	: >"$tr"
	printf '{"execute": "qmp_capabilities"}\n' >"$caps"

	# shellcheck disable=SC2054 # commas inside QEMU options
	args=("${QEMU_L[@]}" -machine pc,accel=tcg
		-cpu "qemu64,$HV_FLAGS,hv-profile=$prof" -smp "$cpus" -m "$MEM"
		-display none -vga none -no-reboot -nic none
		-kernel "$IMAGE"
		-append "hvtest.mode=${mode/refused/main} hvtest.host=$prof hvtest.cpus=$cpus hvtest.mem=$MEM hvtest.runner=$runner$append"
		-serial "file:$clog"
		-device isa-debug-exit,iobase=0xf4,iosize=4
		-device vmbus-bridge -global PIIX4_PM.disable_s4=1
		-action panic=shutdown
		-monitor none -qmp "unix:$sock,server=on,wait=off"
		-chardev "file,id=qmpev,path=$ev,input-path=$caps"
		-mon chardev=qmpev,mode=control
		-device hv-synic-test,id=hvtest
		"${extra[@]}")
	printf '%q ' "$QEMU" "${args[@]}" >"$dir/cmdline.txt"
	echo >>"$dir/cmdline.txt"

	start=$(date +%s.%N)
	timeout -k 5 "$TIMEOUT" "$QEMU" "${args[@]}" </dev/null >"$dir/qemu.out" 2>"$err" &
	QPID=$!

	# Serve the guest's requests until QEMU exits (timeout ends it)
	deadline=$((SECONDS + TIMEOUT + 10))
	while :; do
		alive=1
		kill -0 "$QPID" 2>/dev/null || alive=
		if [ -n "$alive" ] && [ $SECONDS -gt $deadline ]; then
			kill -9 "$QPID" 2>/dev/null
		fi
		# only complete lines: the guest writes a byte at a time
		nl=$(wc -l <"$clog")
		mapfile -t reqs < <(head -n "$nl" "$clog" | grep -a 'HVTEST-HOST ')
		while [ "$handled" -lt "${#reqs[@]}" ]; do
			line=${reqs[$handled]}
			handled=$((handled + 1))
			if [ -n "$alive" ]; then
				host_request "$sock" "$tr" "${line#*HVTEST-HOST }" "$ev"
			else
				echo "not served (QEMU gone): $line" >>"$tr"
				req_fail=$((req_fail + 1))
			fi
		done
		[ -z "$alive" ] && break
		sleep 0.05
	done
	wait "$QPID"
	status=$?
	QPID=
	qmp_stop
	end=$(date +%s.%N)
	echo "# $name: QEMU exit status $status after $(awk "BEGIN { printf \"%.2f\", $end - $start }") s"

	# The guest's TAP lines become ours
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"ok "*)
			ntap=$((ntap + 1))
			point OK "$name: ${line#ok * - }"
			;;
		"not ok "*)
			ntap=$((ntap + 1))
			point FAIL "$name: ${line#not ok * - }"
			;;
		"Bail out!"*)
			bail=$line
			;;
		1..*)
			plan=${line#1..}
			;;
		"# "*)
			echo "#   $name: ${line#\# }"
			;;
		esac
	done < <(tr -d '\000' <"$clog")

	[ -n "$bail" ] && point FAIL "$name: guest: $bail"
	if [ "$mode" = vmbus ]; then
		if [ "${test#input-}" != "$test" ]; then
			point OK "$name: channel under test: ${extra[1]%%,*}"
		elif [ "$test" = storvsp ]; then
			point OK "$name: channel under test: hv-storvsp"
		elif [ "$test" = netvsp ]; then
			point OK "$name: channel under test: hv-netvsp"
		elif [ "$test" = subchannels ] || [ "$test" = echo ]; then
			point OK "$name: channel under test: hv-vmbus-test"
		elif [ "$VMBUS_DEV" = heartbeat ]; then
			point OK "$name: channel under test: hv-heartbeat"
		else
			local why="no hv-heartbeat in this QEMU"
			[ "${HVTEST_VMBUS_DEV:-}" = balloon ] && why="HVTEST_VMBUS_DEV=balloon"
			point SKIP "$name: channel under test: hv-heartbeat" \
				"hv-balloon instead ($why)"
		fi
	fi
	if [ "$mode" = refused ]; then
		if [ ! -s "$clog" ]; then
			point OK "$name: the guest never ran"
		else
			point FAIL "$name: the guest ran"
		fi
	elif [ -n "$plan" ] && [ "$plan" = "$ntap" ]; then
		point OK "$name: guest finished its plan (1..$plan)"
	else
		point FAIL "$name: guest plan '${plan:-none}', $ntap test lines"
	fi

	case $mode in
	main)
		# the guest wrote EXIT_PASS (0) to isa-debug-exit: (0 << 1) | 1
		if [ "$status" = 1 ]; then
			point OK "$name: QEMU exit status 1 (guest reported success on isa-debug-exit)"
		else
			point FAIL "$name: QEMU exit status $status, want 1 (3: guest failures, 5: bail out, 124: timeout; see $err)"
		fi
		;;
	crash)
		local why ok
		why=$(crash_event_ok "$ev" "$clog")
		ok=$?
		if [ "$status" = 0 ] && [ "$ok" = 0 ]; then
			point OK "$name: QMP GUEST_PANICKED (hyper-v) with the guest's crash parameters, then shutdown (status 0)"
		else
			point FAIL "$name: QEMU exit status $status; $why (see $ev)"
		fi
		if [ "$prof" = ws2016 ]; then
			if ! grep -q "guest crash message" "$err"; then
				point OK "$name: no crash message without CRASH_CTL bit 62 ($prof)"
			else
				point FAIL "$name: QEMU reported a crash message on $prof"
			fi
		else
			if grep -q "hyperv: guest crash message: hvtest crash message" "$err"; then
				point OK "$name: QEMU logs the crash message from P3/P4 ($prof)"
			else
				point FAIL "$name: no \"guest crash message: hvtest crash message\" in $err"
			fi
		fi
		;;
	vmbus)
		local last
		if [ "$test" = echo ]; then
			# hostile packets: the device's and the server's log lines
			if grep -q "hv-vmbus-test: channel #0: .*not guest RAM" "$err" &&
			   grep -q "vmbus: channel [0-9]*: bad GPA ranges" "$err"; then
				point OK "$name: QEMU logged the hostile packets (hv-vmbus-test: and vmbus: lines in qemu.err)"
			else
				point FAIL "$name: no hv-vmbus-test/vmbus log lines for the hostile packets in $err"
			fi
		fi
		if [ "${test#input-}" != "$test" ]; then
			if grep -q "${extra[1]%%,*}: .*dropped" "$err"; then
				point OK "$name: QEMU logged the malformed messages (${extra[1]%%,*}: lines in qemu.err)"
			else
				point FAIL "$name: no ${extra[1]%%,*} log lines for the malformed messages in $err"
			fi
		fi
		if [ "$test" = netvsp ]; then
			if grep -q "hv-netvsp: SEND_RNDIS_PKT: send section 2 of 2" "$err" &&
			   grep -q "hv-netvsp: QUERY of unknown OID 0x0badc0de" "$err"; then
				point OK "$name: QEMU logged the malformed input (hv-netvsp: lines in qemu.err)"
			else
				point FAIL "$name: no hv-netvsp log lines for the malformed input in $err"
			fi
		fi
		if [ "$test" = storvsp ]; then
			if grep -q "hv-storvsp: .*not guest RAM" "$err" &&
			   grep -q "hv-storvsp: EXECUTE_SRB with a CDB of 17" "$err" &&
			   grep -q "vmbus: channel [0-9]*: bad GPA ranges" "$err"; then
				point OK "$name: QEMU logged the malformed requests (hv-storvsp: and vmbus: lines in qemu.err)"
			else
				point FAIL "$name: no hv-storvsp log lines for the malformed requests in $err"
			fi
		fi
		if [ "$status" = 1 ]; then
			point OK "$name: QEMU exit status 1 (guest reported success on isa-debug-exit)"
		elif [ "$status" -ge 128 ] && [ "$status" != 137 ]; then
			# 124 is the timeout, 137 its kill; above 128 a signal
			last=$(tr -d '\000' <"$clog" | grep -a -v '^HVTEST' | tail -n 1)
			point FAIL "$name: QEMU died (exit status $status, signal $((status - 128))) after the guest's \"$last\" (see $err)"
		else
			point FAIL "$name: QEMU exit status $status, want 1 (3: guest failures, 5: bail out, 124: timeout; see $err)"
		fi
		;;
	hvreset)
		local reason
		reason=$(shutdown_reason "$ev")
		if [ "$status" = 0 ] && [ "$reason" = guest-reset ] &&
		   grep -q "^# hvreset: writing" "$clog" && ! grep -q "still running" "$clog"; then
			point OK "$name: HV_X64_MSR_RESET reset the VM (QMP SHUTDOWN reason guest-reset with -no-reboot)"
		else
			point FAIL "$name: QEMU exit status $status, shutdown reason '${reason:-none}' (want 0, guest-reset)"
		fi
		;;
	refused)
		if [ "$status" = 1 ] &&
		   grep -q "hv-profile=ws2008: Windows Server 2008 ran at most 4 virtual processors per VM, not $cpus" "$err"; then
			point OK "$name: QEMU refuses $cpus vCPUs with hv-profile=$prof"
		else
			point FAIL "$name: QEMU exit status $status (want 1 and the profile's VP limit in $err)"
		fi
		;;
	esac

	if [ "$runner" = 1 ]; then
		if [ "$handled" -gt 0 ] && [ "$req_fail" = 0 ]; then
			point OK "$name: $handled host request(s) carried out over QMP as expected"
		else
			point FAIL "$name: host requests: $handled served, $req_fail not as expected (see $tr)"
		fi
	fi
}

t0=$(date +%s)
for s in "${SCENARIOS[@]}"; do
	read -r name prof cpus mode <<<"$s"
	if [ ${#selected[@]} -gt 0 ]; then
		want=
		for w in "${selected[@]}"; do [ "$w" = "$name" ] && want=1; done
		[ -z "$want" ] && continue
	fi
	run_scenario "$name" "$prof" "$cpus" "$mode"
done
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed in $(($(date +%s) - t0)) s; logs in $LOGDIR"
[ "$failed" = 0 ]
