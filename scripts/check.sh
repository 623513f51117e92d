#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: the whole hyperv-ic test suite (make check). Ends with the line
# "N passed, N failed" (TAP points marked SKIP are counted on the line
# before, "N skipped"); exit status 1 when anything failed.
#
# Subsets (environment, or make variables: make check KERNELS=bare-6.1):
#   KERNELS="bare-6.1 bare-6.12 stock-6.1 stock-6.12"   kernel kinds
#   SUITES="boot clock ..."                             scripts/suites/<name>
#   CPUS="1 2"  HOSTS="ws2025 ..."                      vCPU counts, profiles
# Each is intersected with what a suite declares in its suite.conf.
#   JOBS=N   guest runs at a time, counted in vCPUs (default: the
#            machine's CPUs, so on two cores two 1-vCPU guests run side by
#            side and a 2-vCPU guest alone; JOBS=1: one after the other, for
#            a machine busy with other work)
#
# Steps:
#   1. apt-get install what is missing
#   2. hvhost: QEMU built by tools/hvhost/build-qemu.sh (cached; TCG, or
#      KVM where /dev/kvm has VMX/SVM)
#   3. kernels of the selected kinds (scripts/kernel.sh, cached)
#   4. host-side test scripts scripts/tests/*.sh, run once per selected
#      kernel kind with KIND, KVER, KDIR, MODDIR, BZIMAGE, TEST_LOGDIR,
#      HVIC_TOP in the environment; TAP on stdout
#   5. for bare kinds our modules are built against KDIR; then for every
#      suite x kind x host x cpus: build the initramfs, boot it on QEMU
#      (scripts/lib.sh: hvic_qemu_argv, hvic_vm_*), run host.sh alongside
#      and post.sh after, count the TAP of all three. Runs go on side by
#      side (JOBS), each in a subshell of its own with TMPDIR a directory of
#      its own (removed after the run) and its suite.conf sourced again
#      there; each writes its results to its run directory (result.out,
#      result.counts, result.failures), which are shown and counted in the
#      order of the runs, as if they had run one after the other.
#      Every run also adds one test point of its own: the run's status
#      (EXPECT_STATUS, default 0; see hvic_qemu_status), the guest's TAP
#      plan, and a console free of kernel splats (WARNING/BUG/Oops/panic/
#      KASAN/lockdep/kmemleak). A guest that has not reached /init after
#      BOOT_TIMEOUT s is stopped there; the hard timeout is BOOT_TIMEOUT +
#      TIMEOUT.
# host.sh and post.sh get: QMP (the guest's QMP socket, free for them),
#   QMPC (scripts/qmp.py), QMP_EVENTS (qmp-events.log), CONSOLE_LOG,
#   QEMU_LOG (the run log), HV_TEST_PATH (QOM path of hv-synic-test, empty
#   when this QEMU has none), RUNDIR, HV_KIND, HV_HOST, HV_CPUS, HVIC_TOP;
#   post.sh also VM_STATUS (the run's status). Helpers: scripts/suites/lib.sh.
# suite.conf (sourced with HV_KIND set, defaults first): KERNELS CPUS HOSTS
#   TIMEOUT(120: seconds for the suite once /init runs) APPEND MODULES (init
#   modprobes them) IMAGE_MODULES (in the image, but guest.sh modprobes them)
#   BINARIES MEM(512) EXPECT_STATUS(0) IGNORE_CONSOLE (extended regex of splat
#   lines to allow) BOOT_TIMEOUT (300; BOOT_TIMEOUT in the environment
#   overrides it for all runs) DEVICES (extra QEMU arguments, e.g.
#   "-device hv-balloon,id=balloon0"; hvic_qemu_has_device TYPE says whether
#   the QEMU under test has that device type).
# HVIC_QEMU=/path/to/qemu-system-x86_64 in the environment: use that binary,
# build none (HVIC_QEMU_DATADIR: its firmware directory, for -L).
# Logs: logs/<timestamp>/ (logs/latest points at the newest): qemu-build.log,
# qemu.env, and one directory per run: console.txt (raw), console.log
# (timestamped), qemu.log (the run log: command line, QEMU's messages, "exit
# status N (why)"), qemu.out, qmp-events.log, guest.tap, host.tap, post.tap,
# cmdline.

# shellcheck disable=SC1090 # kernel.env files are generated
set -u -o pipefail

. "$(dirname "$0")/lib.sh"

ALL_KERNELS="bare-6.1 bare-6.12 stock-6.1 stock-6.12"
SEL_KERNELS=${KERNELS:-$ALL_KERNELS}
SEL_SUITES=${SUITES:-}
SEL_CPUS=${CPUS:-}
SEL_HOSTS=${HOSTS:-}
SEL_BOOT_TIMEOUT=${BOOT_TIMEOUT:-}
SEL_JOBS=${JOBS:-$(nproc)}
unset KERNELS SUITES CPUS HOSTS BOOT_TIMEOUT JOBS
case $SEL_JOBS in
'' | *[!0-9]* | 0) hvic_die "JOBS=$SEL_JOBS: a number of guest runs (vCPUs) at a time, 1 or more" ;;
esac
# Time for a guest to reach /init. Under TCG a stock kernel needs about 6 s,
# a bare debug kernel (KASAN, lockdep, kmemleak) about 30 s; the rest is
# slack for a loaded machine.
DEFAULT_BOOT_TIMEOUT=300

t_start=$(date +%s)
stamp=$(date +%Y%m%d-%H%M%S)
LOGDIR=$HVIC_TOP/logs/$stamp
mkdir -p "$LOGDIR"
ln -sfn "$stamp" "$HVIC_TOP/logs/latest"
# QMP sockets (short paths: a socket's is at most 107 bytes); scratch
# space: a TMPDIR per guest run, results of the runner's own lines (RUNTMP)
SOCKDIR=$(mktemp -d /tmp/hvic-qmp.XXXXXX)
RUNTMP=$(mktemp -d "${TMPDIR:-/tmp}/hvic-check.XXXXXX")

PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()
# guest runs going on: subshell pid -> its weight (vCPUs), run directory,
# file of its helpers' pids (run_pids)
declare -A RUN_WEIGHT=() RUN_DIR=() RUN_PIDS=()
cleanup() {
	local p

	# each run's subshell stops its QEMU, loggers, host.sh and post.sh on
	# SIGTERM; their pids are in its run directory too, for a subshell
	# busy elsewhere
	for p in "${!RUN_WEIGHT[@]}"; do
		kill -TERM "$p" 2>/dev/null
		# shellcheck disable=SC2046 # pids
		[ -f "${RUN_PIDS[$p]}" ] && kill -TERM $(cat "${RUN_PIDS[$p]}") 2>/dev/null
	done
	for p in "${!RUN_WEIGHT[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$SOCKDIR" "$RUNTMP"
}
trap cleanup EXIT
trap 'echo; echo "check.sh: interrupted"; exit 130' INT TERM

say() { printf '%s\n' "$*"; }

# pass/fail LABEL [WHY]: test points the runner itself contributes.
pass() { PASSED=$((PASSED + 1)); }
fail() {
	FAILED=$((FAILED + 1))
	FAILURES+=("$1${2:+: $2}")
	say "  FAIL $1${2:+: $2}"
}

# tap_count FILE LABEL: add FILE's TAP test points to the totals; failing
# points are shown. Sets TAP_POINTS, TAP_PLAN (-1: no plan), TAP_BAIL.
tap_count() {
	local file=$1 label=$2 res p f s line

	TAP_POINTS=0 TAP_PLAN=-1 TAP_BAIL=
	[ -f "$file" ] || return 0
	res=$(awk '
		{ sub(/\r$/, "") }
		/^ok( |$)/ {
			n++; p++
			if (tolower($0) ~ /# *skip/) { s++; p-- }
			next
		}
		/^not ok( |$)/ {
			n++
			if (tolower($0) ~ /# *todo/) { p++; next }
			f++
			print "F " $0
			next
		}
		/^1\.\.[0-9]+/ { plan += substr($1, 4) + 0; hasplan = 1; next }
		/^Bail out!/ { print "B " $0 }
		END { printf "R %d %d %d %d %d\n", p, f, s, n, hasplan ? plan : -1 }
	' "$file")
	while IFS= read -r line; do
		case $line in
		"F "*)
			say "  FAIL $label: ${line#F }"
			FAILURES+=("$label: ${line#F }")
			;;
		"B "*)
			TAP_BAIL=${line#B }
			;;
		"R "*)
			read -r _ p f s TAP_POINTS TAP_PLAN <<<"$line"
			PASSED=$((PASSED + p))
			FAILED=$((FAILED + f))
			SKIPPED=$((SKIPPED + s))
			;;
		esac
	done <<<"$res"
}

# in_list WORD LIST
in_list() {
	case " $(echo $2) " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# intersect SUITE_LIST SELECTION: SUITE_LIST filtered by SELECTION (if any).
intersect() {
	local w out=

	for w in $1; do
		if [ -z "$2" ] || in_list "$w" "$2"; then
			out="$out $w"
		fi
	done
	echo $out
}

# ---------------------------------------------------------------- 1. packages
say "== packages"
# hyperv-daemons: Debian's hv_kvp_daemon, for the vmbus suite's guest image;
# fio (in the storage suite's guest image) and qemu-utils (its qcow2 disk)
hvic_need_pkgs $HVIC_BASE_PKGS rsync sparse dkms apt python3 hyperv-daemons \
	fio qemu-utils iperf3 ethtool

# ---------------------------------------------------------------- 2. hvhost
say "== hvhost (QEMU)"
qemu_ok=
t0=$(date +%s)
QEMU=''
# shellcheck disable=SC1091 # written by hvic_qemu
if hvic_qemu "$LOGDIR/qemu.env" >"$LOGDIR/qemu-build.log" 2>&1 &&
	. "$LOGDIR/qemu.env" && [ -x "$QEMU" ]; then
	pass
	qemu_ok=1
	hvic_qemu_probe
	if [ -n "$HVIC_QEMU_GIVEN" ]; then
		say "  using $QEMU (HVIC_QEMU), not building tools/hvhost"
	else
		say "  built ($(($(date +%s) - t0)) s, log: qemu-build.log)"
	fi
	say "  QEMU ${QEMU_VERSION:-?}, accel $(hvic_qemu_accel), hv-profile: $([ -n "$HVIC_QEMU_HV_PROFILE" ] && echo yes || echo no), hv-synic-test: ${HVIC_QEMU_SYNIC_TEST:-no}"
else
	fail "hvhost (QEMU) build" "see $LOGDIR/qemu-build.log"
	tail -n 15 "$LOGDIR/qemu-build.log" | sed 's/^/    /'
fi

# ---------------------------------------------------------------- conformance
# The partition interface checked from the inside by a freestanding guest
# (tools/hvhost/tests/guest): CPUID, MSRs, hypercall statuses, SynIC slots
# and EOM redelivery, timers, TSC page, bad input. SUITES selects it by the
# name "conformance".
if [ -n "$qemu_ok" ] && { [ -z "$SEL_SUITES" ] || in_list conformance "$SEL_SUITES"; }; then
	say "== hvhost conformance (micro-guest)"
	t0=$(date +%s)
	LOGDIR=$LOGDIR/conformance "$HVIC_TOP/tools/hvhost/tests/guest/run.sh" \
		--env "$LOGDIR/qemu.env" >"$LOGDIR/conformance.tap" 2>"$LOGDIR/conformance.err" </dev/null
	st=$?
	f0=$FAILED
	tap_count "$LOGDIR/conformance.tap" "conformance"
	if [ "$TAP_PLAN" -lt 0 ] || [ "$TAP_PLAN" != "$TAP_POINTS" ]; then
		fail "conformance" "plan says $TAP_PLAN tests, $TAP_POINTS ran (see conformance.err)"
	fi
	if [ $st -ne 0 ] && [ "$FAILED" = "$f0" ]; then
		fail "conformance" "run.sh exited $st (see conformance.err)"
	fi
	say "  $TAP_POINTS test points, status $st ($(($(date +%s) - t0)) s)"
fi

# ---------------------------------------------------------------- suites
suite_dirs=()
for d in "$HVIC_TOP"/scripts/suites/*/; do
	[ -f "$d/suite.conf" ] || continue
	name=$(basename "$d")
	if [ -n "$SEL_SUITES" ] && ! in_list "$name" "$SEL_SUITES"; then
		continue
	fi
	suite_dirs+=("${d%/}")
done
for s in $SEL_SUITES; do
	[ "$s" = conformance ] && continue
	[ -f "$HVIC_TOP/scripts/suites/$s/suite.conf" ] || fail "suite $s" "no scripts/suites/$s/suite.conf"
done

# suite_conf DIR KIND [HOST [TMPDIR]]: load a suite.conf (with HV_KIND and
# HV_HOST set, so it may choose per kind and host profile), defaults first.
# A suite.conf may make files in TMPDIR (the storage suite's disks): a
# guest run reads it again with a TMPDIR of its own (run_vm); the runner's
# own readings get a scratch directory.
suite_conf() {
	local TMPDIR=${4:-$RUNTMP/conf}

	mkdir -p "$TMPDIR"
	KERNELS=$ALL_KERNELS CPUS="1 2" HOSTS=ws2025 TIMEOUT=120 APPEND=
	MODULES='' IMAGE_MODULES='' BINARIES='' MEM=512 EXPECT_STATUS=0
	IGNORE_CONSOLE='' DEVICES=''
	BOOT_TIMEOUT=${SEL_BOOT_TIMEOUT:-$DEFAULT_BOOT_TIMEOUT}
	HV_KIND=$2 HV_HOST=${3:-}
	# shellcheck disable=SC1091
	. "$1/suite.conf"
}

# Kernel kinds needed: selected kinds some selected suite runs on, plus all
# selected kinds when there are host-side test scripts.
need_kinds=
for k in $SEL_KERNELS; do
	in_list "$k" "$ALL_KERNELS" || { fail "kernel $k" "unknown kind"; continue; }
	use=
	compgen -G "$HVIC_TOP/scripts/tests/*.sh" >/dev/null && use=1
	for d in "${suite_dirs[@]}"; do
		suite_conf "$d" ""
		in_list "$k" "$KERNELS" && use=1
	done
	[ -n "$use" ] && need_kinds="$need_kinds $k"
done

# ---------------------------------------------------------------- 3. kernels
say "== kernels"
declare -A kenv=()
mkdir -p "$LOGDIR/kernels"
for k in $need_kinds; do
	t0=$(date +%s)
	if "$HVIC_TOP/scripts/kernel.sh" -o "$LOGDIR/kernels/$k.env" "$k" \
		2>"$LOGDIR/kernels/$k.log"; then
		pass
		kenv[$k]=$LOGDIR/kernels/$k.env
		say "  $k: $(. "${kenv[$k]}"; echo "$KVER") ($(($(date +%s) - t0)) s)"
	else
		fail "kernel $k" "see $LOGDIR/kernels/$k.log"
		tail -n 10 "$LOGDIR/kernels/$k.log" | sed 's/^/    /'
	fi
done

# ---------------------------------------------------------------- 4. host tests
if compgen -G "$HVIC_TOP/scripts/tests/*.sh" >/dev/null; then
	say "== host-side tests"
	for t in "$HVIC_TOP"/scripts/tests/*.sh; do
		tn=$(basename "$t" .sh)
		for k in $need_kinds; do
			[ -n "${kenv[$k]:-}" ] || continue
			tl=$LOGDIR/tests/$tn-$k
			mkdir -p "$tl"
			(
				. "${kenv[$k]}"
				export KIND KVER KDIR MODDIR MODROOT BZIMAGE
				export TEST_LOGDIR=$tl HVIC_TOP
				cd "$HVIC_TOP" && bash "$t"
			) >"$tl/tap" 2>"$tl/stderr" </dev/null
			st=$?
			f0=$FAILED
			tap_count "$tl/tap" "$tn/$k"
			if [ "$TAP_PLAN" -ge 0 ] && [ "$TAP_PLAN" != "$TAP_POINTS" ]; then
				fail "$tn/$k" "plan says $TAP_PLAN tests, $TAP_POINTS ran"
			elif [ "$TAP_PLAN" -lt 0 ]; then
				fail "$tn/$k" "no TAP plan"
			fi
			if [ $st -ne 0 ] && [ "$FAILED" = "$f0" ]; then
				fail "$tn/$k" "exited $st (see $tl/stderr)"
			fi
			say "  $tn/$k: $TAP_POINTS test points, status $st"
		done
	done
fi

# ---------------------------------------------------------------- 5. guests
splat_re='(WARNING: |BUG: |INFO: trying to register non-static key|Kernel panic - not syncing|Oops: |Oops\[|general protection fault|UBSAN: |new suspected memory leak|INFO: task .* blocked|RCU detected stall|rcu_sched self-detected stall)'

# Our modules for the bare kinds, once per kind.
declare -A updates=()
for k in $need_kinds; do
	case $k in bare-*) ;; *) continue ;; esac
	[ -n "${kenv[$k]:-}" ] || continue
	kd=$(. "${kenv[$k]}"; echo "$KDIR")
	hvic_build_modules "$kd" "$LOGDIR/modules-$k" "$LOGDIR/modules-$k.log"
	case $? in
	0)
		pass
		updates[$k]=$LOGDIR/modules-$k
		say "== modules for $k: built ($(find "$LOGDIR/modules-$k" -name '*.ko' | wc -l) .ko)"
		;;
	2)
		say "== modules for $k: no Kbuild in the tree yet, none built"
		;;
	*)
		fail "modules for $k" "build failed, see $LOGDIR/modules-$k.log"
		tail -n 15 "$LOGDIR/modules-$k.log" | sed 's/^/    /'
		;;
	esac
done

# ---------------------------------------------------------------- runs
# Guest runs go on in the background, JOBS vCPUs' worth at a time, each in
# a subshell of its own (run_start). What a run says and counts goes to
# files in its run directory (job); the runner shows and counts them in the
# order the runs were started (the queue, qflush), and its own lines
# between runs go through the queue too (qjob), so the output is the same
# as with one run after the other.
Q_DIR=() Q_NAME=() Q_PID=()
Q_HEAD=0 Q_N=0 RUN_INFLIGHT=0
declare -A RUN_EXIT=()

# job DIR CMD...: run CMD with totals from 0 and its output in
# DIR/result.out; then its totals ("PASSED FAILED SKIPPED") in
# DIR/result.counts (written last: the results are complete) and its
# failures in DIR/result.failures (NUL-terminated).
job() {
	local dir=$1

	shift
	PASSED=0 FAILED=0 SKIPPED=0 FAILURES=()
	"$@" >"$dir/result.out"
	if [ ${#FAILURES[@]} -gt 0 ]; then
		printf '%s\0' "${FAILURES[@]}" >"$dir/result.failures"
	else
		: >"$dir/result.failures"
	fi
	echo "$PASSED $FAILED $SKIPPED" >"$dir/result.counts.tmp" &&
		mv "$dir/result.counts.tmp" "$dir/result.counts"
}

# qadd DIR NAME PID: queue the results in DIR (of the run NAME, still going
# on in the background as PID; empty: complete).
qadd() {
	Q_DIR+=("$1") Q_NAME+=("$2") Q_PID+=("$3")
}

# qflush: show and count the results at the head of the queue, up to the
# first run still going on.
qflush() {
	local dir name pid p f s fl=() ex

	while [ "$Q_HEAD" -lt ${#Q_DIR[@]} ]; do
		dir=${Q_DIR[Q_HEAD]} name=${Q_NAME[Q_HEAD]} pid=${Q_PID[Q_HEAD]}
		[ -n "$pid" ] && [ -n "${RUN_WEIGHT[$pid]:-}" ] && break
		Q_HEAD=$((Q_HEAD + 1))
		[ -f "$dir/result.out" ] && cat "$dir/result.out"
		if read -r p f s <"$dir/result.counts" 2>/dev/null; then
			PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
			mapfile -d '' -t fl <"$dir/result.failures"
			[ ${#fl[@]} -gt 0 ] && FAILURES+=("${fl[@]}")
		else
			ex='?'
			[ -n "$pid" ] && ex=${RUN_EXIT[$pid]:-?}
			fail "${name:-check.sh}" "ended without its results (exit status $ex)"
		fi
	done
}

# qjob CMD...: run CMD now (job), its results queued behind the runs
# started before it.
qjob() {
	local dir=$RUNTMP/q$Q_N

	Q_N=$((Q_N + 1))
	mkdir -p "$dir"
	(job "$dir" "$@")
	qadd "$dir" "" ""
	qflush
}

# run_reap: wait for one of the runs going on to end, and flush the queue.
run_reap() {
	local p

	while :; do
		for p in "${!RUN_WEIGHT[@]}"; do
			if [ -f "${RUN_DIR[$p]}/result.counts" ] || ! kill -0 "$p" 2>/dev/null; then
				wait "$p"
				RUN_EXIT[$p]=$?
				RUN_INFLIGHT=$((RUN_INFLIGHT - RUN_WEIGHT[$p]))
				unset "RUN_WEIGHT[$p]" "RUN_DIR[$p]" "RUN_PIDS[$p]"
				qflush
				return 0
			fi
		done
		hvic_nap 0.2
	done
}

# run_drain: wait for every run going on to end.
run_drain() {
	while [ ${#RUN_WEIGHT[@]} -gt 0 ]; do
		run_reap
	done
	qflush
}

# run_start SUITE_DIR KIND HOST CPUS IMAGE: run_vm in the background once
# JOBS has room for the guest's vCPUs (all of JOBS for a guest with more);
# with JOBS=1, wait for it to end.
run_start() {
	local name rd w

	name=$(basename "$1")-$2-$3-$4
	rd=$LOGDIR/$name
	w=$4
	[ "$w" -gt "$SEL_JOBS" ] && w=$SEL_JOBS
	while [ $((RUN_INFLIGHT + w)) -gt "$SEL_JOBS" ]; do
		run_reap
	done
	mkdir -p "$rd"
	rm -f "$rd"/result.*
	run_sub "$rd" "$name" "$@" &
	RUN_WEIGHT[$!]=$w RUN_DIR[$!]=$rd RUN_PIDS[$!]=$RUNTMP/$name.pids
	RUN_INFLIGHT=$((RUN_INFLIGHT + w))
	qadd "$rd" "$name" $!
	[ "$SEL_JOBS" = 1 ] && run_drain
}

# run_sub RUNDIR NAME SUITE_DIR KIND HOST CPUS IMAGE: the body of a run's
# subshell (run_start).
run_sub() {
	local rd=$1 name=$2

	shift 2
	HVIC_VM_PID='' HVIC_VM_CONLOG='' HVIC_VM_EVLOG='' HOST_PID='' POST_PID=''
	RUN_PIDFILE=$RUNTMP/$name.pids
	trap run_abort TERM
	job "$rd" run_vm "$@"
	run_stop
	rm -rf "${RUNTMP:?}/$name" "$RUN_PIDFILE"
}

# In a run's subshell: run_pids writes the pids of its helpers (QEMU, the
# console and event loggers, host.sh, post.sh) to RUN_PIDFILE, for the
# runner's cleanup; run_stop stops those still going (none after a run
# that ended normally); run_abort (SIGTERM) stops them and ends the run.
run_pids() {
	echo "$HVIC_VM_PID $HVIC_VM_CONLOG $HVIC_VM_EVLOG $HOST_PID $POST_PID" >"$RUN_PIDFILE"
}
run_stop() {
	local p

	for p in "$HVIC_VM_PID" "$HVIC_VM_CONLOG" "$HVIC_VM_EVLOG" "$HOST_PID" "$POST_PID"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
}
run_abort() {
	run_stop
	exit 143
}

# run_vm SUITE_DIR KIND HOST CPUS IMAGE: one guest run, in its subshell
# (run_start): suite.conf read again with TMPDIR a directory of the run's
# own (removed after the run), which host.sh, post.sh and QEMU get too.
run_vm() {
	local sd=$1 k=$2 host=$3 cpus=$4 img=$5
	local name rd sock append st why=() t0 t1

	name=$(basename "$sd")-$k-$host-$cpus
	rd=$LOGDIR/$name
	mkdir -p "$rd"
	export TMPDIR=$RUNTMP/$name
	suite_conf "$sd" "$k" "$host" "$TMPDIR"
	sock=$SOCKDIR/$name.sock
	append="$HVIC_BASE_APPEND hvtest.kind=$k hvtest.host=$host hvtest.cpus=$cpus $APPEND"
	echo "$append" >"$rd/cmdline"
	(. "${kenv[$k]}"; echo "$BZIMAGE") >"$rd/kernel"

	export QMP=$sock QMPC=$HVIC_TOP/scripts/qmp.py QMP_EVENTS=$rd/qmp-events.log
	export CONSOLE_LOG=$rd/console.log QEMU_LOG=$rd/qemu.log
	export HV_TEST_PATH=$HVIC_QEMU_SYNIC_TEST_PATH
	export HV_KIND=$k HV_HOST=$host HV_CPUS=$cpus RUNDIR=$rd HVIC_TOP
	t0=$(date +%s.%N)
	HOST_PID=''
	if ! hvic_vm_start "$rd" "$sock" 0 -k "$(cat "$rd/kernel")" -i "$img" \
		-a "$append" -c "$cpus" -m "$MEM" -H "$host" -x "$DEVICES"; then
		fail "$name" "could not start QEMU (see $rd)"
		return
	fi
	run_pids
	if [ -f "$sd/host.sh" ]; then
		(cd "$sd" && exec bash ./host.sh) </dev/null >"$rd/host.tap" 2>"$rd/host.err" &
		HOST_PID=$!
		run_pids
	fi
	# Boot watchdog: a guest that has not reached /init after BOOT_TIMEOUT s
	# will not, so the run ends there rather than at the hard timeout.
	hvic_vm_wait "$((BOOT_TIMEOUT + TIMEOUT))" "$rd/console.txt" \
		'^hvtest: hyperv-ic test guest' "$BOOT_TIMEOUT"
	hvic_vm_finish "$rd"
	HVIC_VM_CONLOG='' HVIC_VM_EVLOG=''
	run_pids
	st=$HVIC_VM_STATUS
	t1=$(date +%s.%N)
	if [ -n "$HOST_PID" ]; then
		for _ in $(seq 1 30); do
			kill -0 "$HOST_PID" 2>/dev/null || break
			hvic_nap 0.5
		done
		if kill -0 "$HOST_PID" 2>/dev/null; then
			kill "$HOST_PID" 2>/dev/null
			why+=("host.sh still running 15 s after the VM stopped")
		fi
		wait "$HOST_PID"
		local hst=$?
		HOST_PID=''
		run_pids
		[ "$hst" -ne 0 ] && [ "$hst" -ne 1 ] && [ ${#why[@]} -eq 0 ] &&
			why+=("host.sh exited $hst")
	fi
	if [ -f "$sd/post.sh" ]; then
		# in the background, so that SIGTERM (run_abort) is not held up
		(cd "$sd" && VM_STATUS=$st exec bash ./post.sh) </dev/null \
			>"$rd/post.tap" 2>"$rd/post.err" &
		POST_PID=$!
		run_pids
		wait "$POST_PID"
		POST_PID=''
		run_pids
	fi

	# Guest TAP: the console without kernel lines.
	tr -d '\r' <"$rd/console.txt" 2>/dev/null >"$rd/guest.tap"
	tap_count "$rd/guest.tap" "$name guest"
	local gpoints=$TAP_POINTS gplan=$TAP_PLAN gbail=$TAP_BAIL
	tap_count "$rd/host.tap" "$name host.sh"
	[ -f "$sd/host.sh" ] && [ "$TAP_PLAN" -ge 0 ] && [ "$TAP_PLAN" != "$TAP_POINTS" ] &&
		why+=("host.sh planned $TAP_PLAN tests, printed $TAP_POINTS")
	tap_count "$rd/post.tap" "$name post.sh"
	[ -f "$sd/post.sh" ] && [ "$TAP_PLAN" -ge 0 ] && [ "$TAP_PLAN" != "$TAP_POINTS" ] &&
		why+=("post.sh planned $TAP_PLAN tests, printed $TAP_POINTS")

	[ "$st" = "$EXPECT_STATUS" ] ||
		why+=("run status $st ($HVIC_VM_WHY), expected $EXPECT_STATUS")
	[ -n "$gbail" ] && why+=("guest: $gbail")
	if [ "$gplan" -lt 0 ]; then
		why+=("no TAP plan from the guest")
	elif [ "$gplan" != "$gpoints" ]; then
		why+=("guest planned $gplan tests, printed $gpoints")
	fi
	local splat
	splat=$(grep -aE "$splat_re" "$rd/console.txt" 2>/dev/null |
		{ if [ -n "$IGNORE_CONSOLE" ]; then grep -avE "$IGNORE_CONSOLE"; else cat; fi } |
		head -n 1 | tr -d '\r')
	[ -n "$splat" ] && why+=("kernel splat: $splat")

	local dur
	dur=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ ${#why[@]} -eq 0 ]; then
		pass
		say "  ok   $name (${dur} s, guest $gpoints tests)"
	else
		local w all=''
		for w in "${why[@]}"; do
			all=${all:+$all; }$w
		done
		fail "$name" "$all"
		grep -v '\] command: ' "$rd/qemu.log" 2>/dev/null | tail -n 5 |
			sed 's/^/    qemu.log: /'
		grep -a . "$rd/console.txt" 2>/dev/null | tail -n 8 | tr -d '\r' | sed 's/^/    console: /'
	fi
}

# image_failed NAME LOG
image_failed() {
	fail "$1 image" "see $2"
	tail -n 5 "$2" | sed 's/^/    /'
}

if [ -n "$qemu_ok" ]; then
	for sd in "${suite_dirs[@]}"; do
		sname=$(basename "$sd")
		suite_conf "$sd" ""
		kinds=$(intersect "$KERNELS" "$SEL_KERNELS")
		[ -n "$kinds" ] || continue
		qjob say "== suite $sname"
		for k in $kinds; do
			[ -n "${kenv[$k]:-}" ] || { qjob say "  skip $sname/$k: no kernel"; continue; }
			suite_conf "$sd" "$k"
			hosts=$(intersect "$HOSTS" "$SEL_HOSTS")
			[ -n "$hosts" ] || continue
			img=$LOGDIR/images/$sname-$k.cpio.gz
			mkdir -p "$LOGDIR/images"
			if ! hvic_image "$img" "${kenv[$k]}" "$sd" "${updates[$k]:-}" \
				"$MODULES" "$BINARIES" "$IMAGE_MODULES" \
				>"$LOGDIR/images/$sname-$k.log" 2>&1; then
				qjob image_failed "$sname/$k" "$LOGDIR/images/$sname-$k.log"
				continue
			fi
			for host in $hosts; do
				# a suite may choose CPUS (and more) per host
				suite_conf "$sd" "$k" "$host"
				for c in $(intersect "$CPUS" "$SEL_CPUS"); do
					run_start "$sd" "$k" "$host" "$c" "$img"
				done
			done
		done
	done
	run_drain
fi

# ---------------------------------------------------------------- summary
say ""
if [ ${#FAILURES[@]} -gt 0 ]; then
	say "failures:"
	printf '  %s\n' "${FAILURES[@]}"
fi
say "time: $(($(date +%s) - t_start)) s"
[ "$SKIPPED" -gt 0 ] && say "$SKIPPED skipped (TAP points marked SKIP, not counted as passed)"
say "logs: $LOGDIR"
say "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
