#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of hvhost with the micro-guest (tests/guest/).
#
#   run.sh [SCENARIO...]      default: every scenario; run.sh --list
#
# Each scenario boots hvtest.bzImage on hvhost with a host profile, a vCPU
# count and a mode.  The guest prints TAP on its console and asks for
# host-side actions with "HVTEST-HOST <cmd>[ ; <cmd>...]" lines; this
# script watches the --console-log and runs "hvctl SOCK <cmd>" for each.
#
# Output: TAP, one point per guest TAP line, plus per run: the exit status
# with the line of hvhost's log that says why (debug port, "guest powered
# off", reset, timeout, refused configuration), the guest's plan, and the
# host commands.  Exit status 1 if any point failed.
#
# Environment: LOGDIR (default /tmp/hvhost-guest-test) keeps every run's
# console log, hvhost log and hvctl transcript; HVTEST_TIMEOUT (default 60)
# is each run's hvhost --timeout; HVHOST, HVCTL override the binaries.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
HVDIR=$(cd "$HERE/../.." && pwd)
HVHOST=${HVHOST:-$HVDIR/hvhost}
HVCTL=${HVCTL:-$HVDIR/hvctl}
LOGDIR=${LOGDIR:-/tmp/hvhost-guest-test}
TIMEOUT=${HVTEST_TIMEOUT:-60}
IMAGE=$HERE/hvtest.bzImage
MEM=64

# name host cpus mode boot
SCENARIOS=(
	"ws2008-1 ws2008 1 main auto"
	"ws2008r2-1 ws2008r2 1 main auto"
	"ws2012-1 ws2012 1 main auto"
	"ws2012r2-1 ws2012r2 1 main auto"
	"ws2016-1 ws2016 1 main auto"
	"ws2019-1 ws2019 1 main auto"
	"ws2022-1 ws2022 1 main auto"
	"ws2025-1 ws2025 1 main auto"
	"ws2025-2 ws2025 2 main auto"
	"ws2008-2 ws2008 2 main auto"
	"ws2025-1-bzimage ws2025 1 main bzimage"
	"ws2025-1-vmlinux ws2025 1 main vmlinux"
	"poweroff-ws2025 ws2025 1 poweroff auto"
	"poweroff-ws2008 ws2008 1 poweroff auto"
	"exit42 ws2025 1 exit42 auto"
	"reset-cf9 ws2025 1 reset auto"
	"reset-kbd ws2025 1 kbdreset auto"
	"triplefault ws2025 1 triplefault auto"
	"hang-timeout ws2025 1 hang auto"
	"ws2008-5cpus-refused ws2008 5 refused auto"
)

# How each mode must end: hvhost exit status and a line of its log
expect_end() {	# expect_end MODE -> "STATUS LOG-PATTERN"
	case $1 in
	main) echo "0 guest exit via debug port: status 0" ;;
	poweroff) echo "0 guest powered off" ;;
	exit42) echo "42 guest exit via debug port: status 42" ;;
	reset) echo "120 guest reset (port 0xcf9)" ;;
	kbdreset) echo "120 guest reset (keyboard controller)" ;;
	triplefault) echo "120 guest shutdown (triple fault or reset)" ;;
	hang) echo "124 timeout after" ;;
	refused) echo "125 ws2008 supports 1 to 4 virtual processors, not 5" ;;
	esac
}

n=0
failed=0
point() {	# point OK|FAIL DESCRIPTION
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

if [ "${1:-}" = --list ]; then
	for s in "${SCENARIOS[@]}"; do echo "${s%% *}"; done
	exit 0
fi

# Tools: a fresh machine may lack them (CI starts clean)
missing=
for t in gcc make objcopy gzip; do
	command -v "$t" >/dev/null 2>&1 || missing=1
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			build-essential binutils gzip >/dev/null ||
			{ echo "Bail out! cannot install build tools"; exit 1; }
	else
		echo "Bail out! need gcc, make, objcopy, gzip"
		exit 1
	fi
fi

if ! make -s -C "$HVDIR" hvhost hvctl >/dev/null; then
	echo "Bail out! cannot build hvhost"
	exit 1
fi
if ! make -s -C "$HERE" >/dev/null; then
	echo "Bail out! cannot build the micro-guest"
	exit 1
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "1..0 # SKIP /dev/kvm not available"
	exit 0
fi

# Where hvhost's auto boot mode loads from: vmlinux on kvm-pvm
if [ -e /sys/module/kvm_pvm ]; then
	AUTO_LOADER=vmlinux
else
	AUTO_LOADER=bzimage
fi

mkdir -p "$LOGDIR" || exit 1
SOCKDIR=$(mktemp -d /tmp/hvtest-ctl.XXXXXX) || exit 1
HVPID=
cleanup() {
	if [ -n "$HVPID" ]; then
		kill "$HVPID" 2>/dev/null
		wait "$HVPID" 2>/dev/null
	fi
	rm -rf "$SOCKDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run one "HVTEST-HOST" request: ';'-separated hvctl commands; a command
# written "!cmd" must be refused (hvctl says ERR).  Sets req_fail when a
# command is malformed or its outcome is not the expected one.
host_request() {	# host_request SOCK TRANSCRIPT LINE
	local sock=$1 tr=$2 line=$3 cmd rest args out want_err rc
	rest=$line
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
		if ! [[ $cmd =~ ^[a-z]+( [0-9A-Za-z]+)*$ ]]; then
			echo "refused malformed request: $cmd" >>"$tr"
			req_fail=$((req_fail + 1))
			continue
		fi
		read -ra args <<<"$cmd"
		echo "> ${want_err:+(must fail) }$cmd" >>"$tr"
		out=$(timeout 20 "$HVCTL" "$sock" "${args[@]}" 2>&1)
		rc=$?
		if { [ -z "$want_err" ] && [ $rc != 0 ]; } ||
		   { [ -n "$want_err" ] && [ $rc != 1 ]; }; then
			echo "UNEXPECTED: hvctl status $rc" >>"$tr"
			req_fail=$((req_fail + 1))
		fi
		echo "$out" >>"$tr"
	done
}

run_scenario() {	# run_scenario NAME HOST CPUS MODE BOOT
	local name=$1 host=$2 cpus=$3 mode=$4 boot=$5
	local dir=$LOGDIR/$name sock=$SOCKDIR/$name.sock
	local clog tr hlog loader runner=1 status handled=0 nl line
	local plan= ntap=0 bail= start end reqs=() timeout=$TIMEOUT
	local want want_status want_log
	req_fail=0
	want=$(expect_end "$mode")
	want_status=${want%% *}
	want_log=${want#* }
	[ "$mode" = hang ] && timeout=2

	rm -rf "$dir"
	mkdir -p "$dir"
	clog=$dir/console.log
	tr=$dir/hvctl.txt
	hlog=$dir/hvhost.log
	: >"$clog"
	: >"$tr"
	loader=$boot
	[ "$boot" = auto ] && loader=$AUTO_LOADER
	[ "$mode" != main ] && runner=0

	start=$(date +%s.%N)
	"$HVHOST" --kernel "$IMAGE" --host "$host" --cpus "$cpus" --mem "$MEM" \
		--boot "$boot" --timeout "$timeout" --ctl "$sock" \
		--console /dev/null --console-log "$clog" --log "$hlog" \
		--append "hvtest.mode=$mode hvtest.host=$host hvtest.cpus=$cpus hvtest.mem=$MEM hvtest.loader=$loader hvtest.runner=$runner" \
		</dev/null &
	HVPID=$!

	# Serve the guest's requests until hvhost exits (it has --timeout;
	# should it overstay that by a minute, it is killed here)
	local deadline=$((SECONDS + ${timeout%.*} + 60)) alive
	while :; do
		alive=1
		kill -0 "$HVPID" 2>/dev/null || alive=
		if [ -n "$alive" ] && [ $SECONDS -gt $deadline ]; then
			echo "# $name: hvhost ignored its --timeout, killing it"
			kill -9 "$HVPID" 2>/dev/null
		fi
		# only complete lines: the guest writes a byte at a time
		nl=$(wc -l <"$clog")
		mapfile -t reqs < <(head -n "$nl" "$clog" | grep -a 'HVTEST-HOST ')
		while [ "$handled" -lt "${#reqs[@]}" ]; do
			line=${reqs[$handled]}
			handled=$((handled + 1))
			[ -n "$alive" ] && host_request "$sock" "$tr" "${line#*HVTEST-HOST }"
		done
		[ -z "$alive" ] && break
		sleep 0.05
	done
	wait "$HVPID"
	status=$?
	HVPID=
	end=$(date +%s.%N)
	echo "# $name: hvhost exit status $status after $(awk "BEGIN { printf \"%.2f\", $end - $start }") s"

	# The guest's TAP lines become ours
	while IFS= read -r line; do
		line=${line#\[*\] }
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
	done <"$clog"

	if [ -n "$bail" ]; then
		point FAIL "$name: guest: $bail"
	fi
	if [ "$mode" = refused ]; then
		# hvhost must not start the VM at all
		if [ "$ntap" = 0 ] && [ ! -s "$clog" ]; then
			point OK "$name: no guest output"
		else
			point FAIL "$name: the guest ran"
		fi
	elif [ -n "$plan" ] && [ "$plan" = "$ntap" ]; then
		point OK "$name: guest finished its plan (1..$plan)"
	else
		point FAIL "$name: guest plan '${plan:-none}', $ntap test lines"
	fi

	if [ "$status" = "$want_status" ] && grep -qF "$want_log" "$hlog"; then
		point OK "$name: hvhost exit status $status, log says \"$want_log\""
	else
		point FAIL "$name: hvhost exit status $status (want $want_status and \"$want_log\", see $hlog)"
	fi
	if [ "$runner" = 1 ]; then
		if [ "$handled" -gt 0 ] && [ "$req_fail" = 0 ]; then
			point OK "$name: $handled host request(s) served by hvctl"
		else
			point FAIL "$name: host requests: $handled served, $req_fail failed (see $tr)"
		fi
	fi
}

t0=$(date +%s)
selected=("$@")
for w in "${selected[@]}"; do
	known=
	for s in "${SCENARIOS[@]}"; do [ "${s%% *}" = "$w" ] && known=1; done
	if [ -z "$known" ]; then
		echo "Bail out! unknown scenario '$w' (run.sh --list)"
		exit 1
	fi
done
for s in "${SCENARIOS[@]}"; do
	read -r name host cpus mode boot <<<"$s"
	if [ ${#selected[@]} -gt 0 ]; then
		want=
		for w in "${selected[@]}"; do [ "$w" = "$name" ] && want=1; done
		[ -z "$want" ] && continue
	fi
	run_scenario "$name" "$host" "$cpus" "$mode" "$boot"
done
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed in $(($(date +%s) - t0)) s; logs in $LOGDIR"
[ "$failed" = 0 ]
