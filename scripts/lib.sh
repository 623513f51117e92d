# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the hyperv-ic test scripts. Source it; do not run it.

HVIC_TOP=${HVIC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
HVIC_CACHE=${HYPERV_IC_CACHE:-/var/cache/hyperv-ic}
export HVIC_TOP HVIC_CACHE

hvic_msg() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
hvic_die() { hvic_msg "error: $*"; exit 1; }

# hvic_nap SECONDS: sleep without a fork. The runner and the suites' host
# scripts wait in loops for the whole of every guest run; on this kind of
# machine a fork and exec costs over 10 ms of CPU under load, and a loop
# that forked sleep, grep and sed every 0.1 s took most of a core from the
# guests. read -t on a pipe that never has data is the sleep: its first use
# in a shell opens one (and inherits it to subshells).
hvic_nap() {
	[ -n "${HVIC_NAP_FD:-}" ] || exec {HVIC_NAP_FD}<> <(:)
	read -r -t "$1" -u "$HVIC_NAP_FD" _ || :
}

# hvic_need_pkgs PKG...: apt-get install the packages that are not installed.
# "apt-get update" runs at most once per process tree (HVIC_APT_UPDATED) and
# only when something is missing.
hvic_need_pkgs() {
	local p missing=()

	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || hvic_die "missing packages (${missing[*]}), run as root"
	hvic_msg "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if [ -z "${HVIC_APT_UPDATED:-}" ]; then
		apt-get update -qq >&2 || hvic_die "apt-get update failed"
		export HVIC_APT_UPDATED=1
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		hvic_die "apt-get install ${missing[*]} failed"
}

# Packages every part of the test machinery uses.
HVIC_BASE_PKGS="build-essential bc flex bison libelf-dev libssl-dev ccache
	xz-utils zstd cpio gzip kmod busybox-static util-linux coreutils
	findutils"

# The command line every test guest gets: output from the first instructions
# on (earlyprintk), and any oops, warning or KASAN report panics; a panic
# resets the VM at once, which -no-reboot turns into the end of the run
# (status 120, see hvic_qemu_status).
# Under TCG a guest runs several times slower than native: the lockup
# detectors get some slack (soft lockup after 60 s, RCU stalls after 60 s,
# hung tasks after 240 s). Real hangs still end at the run's hard timeout.
HVIC_BASE_APPEND="console=ttyS0 earlyprintk=serial,ttyS0 panic_on_warn=1 oops=panic panic=-1 watchdog_thresh=30 rcupdate.rcu_cpu_stall_timeout=60 sysctl.kernel.hung_task_timeout_secs=240"

# ---------------------------------------------------------------- QEMU
# hvhost is QEMU built by tools/hvhost/build-qemu.sh (Debian's QEMU 10.0
# source with the overlay in tools/hvhost/qemu and tools/hvhost/patches).
# HVIC_QEMU=/path/to/qemu-system-x86_64 in the environment: test with that
# binary instead (firmware from HVIC_QEMU_DATADIR, else its built-in path),
# build none.
HVIC_QEMU_GIVEN=${HVIC_QEMU:+1}

# hvhost is built with ASan and UBSan: the first report aborts QEMU, so a
# run where QEMU misbehaved fails (its stderr names the report). QEMU leaks
# at exit by design, so leak checking is off.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

# The Hyper-V enlightenments every guest CPU gets (HVIC_HV_FLAGS in the
# environment replaces them; empty: none, e.g. for a QEMU that refuses them
# under TCG).
HVIC_HV_FLAGS=${HVIC_HV_FLAGS-hv-relaxed,hv-vpindex,hv-time,hv-synic,hv-stimer,hv-frequencies,hv-crash,hv-runtime,hv-reset,hv-stimer-direct}

# hvic_qemu ENVFILE: provide the QEMU to test with and write its shell
# assignments (QEMU= QEMU_DATADIR= QEMU_PLUGINS= QEMU_BUILD= QEMU_VERSION=)
# to ENVFILE: tools/hvhost/build-qemu.sh -o ENVFILE (cached: quick when
# nothing changed), or HVIC_QEMU's binary. Progress on stderr; 1 on failure.
hvic_qemu() {
	local out=$1 ver

	if [ -z "$HVIC_QEMU_GIVEN" ]; then
		"$HVIC_TOP/tools/hvhost/build-qemu.sh" -o "$out"
		return
	fi
	if [ ! -x "$HVIC_QEMU" ]; then
		hvic_msg "HVIC_QEMU=$HVIC_QEMU is not an executable"
		return 1
	fi
	ver=$("$HVIC_QEMU" --version | sed -n '1s/^QEMU emulator version //p')
	{
		printf 'QEMU=%q\n' "$HVIC_QEMU"
		printf 'QEMU_DATADIR=%q\n' "${HVIC_QEMU_DATADIR:-}"
		printf 'QEMU_PLUGINS=\nQEMU_BUILD=\n'
		printf 'QEMU_VERSION=%q\n' "$ver"
	} >"$out"
}

# hvic_qemu_probe: what $QEMU offers, asked once per binary:
#   HVIC_QEMU_HV_PROFILE=1     its CPUs have the hv-profile property
#   HVIC_QEMU_SYNIC_TEST=device|object   it has hv-synic-test, the SynIC
#                              injector of scripts/suites/lib.sh (hv_state,
#                              hv_inject, hv_signal), as a device (QOM path
#                              /machine/peripheral/hvtest) or an -object
#                              (/objects/hvtest); empty: it has not
#   HVIC_QEMU_SYNIC_TEST_PATH  that QOM path
#   HVIC_QEMU_DEVICES          the names of its -device types, blank-separated
#                              (hvic_qemu_has_device)
HVIC_QEMU_PROBED=
hvic_qemu_probe() {
	local cpu_props devices objects

	[ "$HVIC_QEMU_PROBED" = "$QEMU" ] && return 0
	HVIC_QEMU_HV_PROFILE='' HVIC_QEMU_SYNIC_TEST='' HVIC_QEMU_SYNIC_TEST_PATH=''
	HVIC_QEMU_DEVICES=''
	cpu_props=$("$QEMU" -device qemu64-x86_64-cpu,help 2>/dev/null) || cpu_props=''
	devices=$("$QEMU" -device help 2>/dev/null) || devices=''
	objects=$("$QEMU" -object help 2>/dev/null) || objects=''
	grep -Eq '^ *hv-profile=' <<<"$cpu_props" && HVIC_QEMU_HV_PROFILE=1
	if grep -Eq '^name "hv-synic-test"' <<<"$devices"; then
		HVIC_QEMU_SYNIC_TEST=device
		HVIC_QEMU_SYNIC_TEST_PATH=/machine/peripheral/hvtest
	elif grep -Eq '^ *hv-synic-test *$' <<<"$objects"; then
		HVIC_QEMU_SYNIC_TEST=object
		HVIC_QEMU_SYNIC_TEST_PATH=/objects/hvtest
	fi
	HVIC_QEMU_DEVICES=" $(sed -n 's/^name "\([^"]*\)".*/\1/p' <<<"$devices" | sort -u | tr '\n' ' ')"
	HVIC_QEMU_PROBED=$QEMU
}

# hvic_qemu_has_device TYPE: true if $QEMU has the -device type TYPE (a
# suite.conf may add a device only where the QEMU under test has it, so
# that a missing host feature fails the checks that need it, not the run).
hvic_qemu_has_device() {
	[ -n "${QEMU:-}" ] || return 1
	hvic_qemu_probe
	case $HVIC_QEMU_DEVICES in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# hvic_qemu_accel: kvm where /dev/kvm can run guests with hardware
# virtualization (VMX or SVM), else tcg.
hvic_qemu_accel() {
	if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		grep -qwE 'vmx|svm' /proc/cpuinfo; then
		echo kvm
	else
		echo tcg
	fi
}

# hvic_qemu_argv -k BZIMAGE -i INITRD -a APPEND -c CPUS -m MEM_MIB -H HOST
#                -q QMP_SOCK [-e EVENTS_SOCK] (-o FIFO | -t FIFO)
#                [-x "EXTRA QEMU ARGUMENTS"] (split on blanks, e.g. a suite's
#                DEVICES="-device hv-balloon,id=balloon0")
# Set HVIC_QEMU_ARGV to the QEMU command line of a test guest ($QEMU and
# $QEMU_DATADIR from hvic_qemu's ENVFILE). The serial console goes to FIFO
# (-o), or to this terminal with a copy to FIFO (-t; Ctrl-A x quits, Ctrl-A c
# is QEMU's monitor). HOST (a host profile: ws2008 ... ws2025) reaches QEMU
# only once its CPUs have hv-profile. The guest ends the run through
# isa-debug-exit (port 0xf4: QEMU exits with (v << 1) | 1), ACPI power-off
# (QEMU exits 0), or a panic/reset (-no-reboot: QEMU exits; hv-crash
# reports make it exit 1 through -action panic=exit-failure).
hvic_qemu_argv() {
	local OPTIND opt kernel='' initrd='' append='' cpus=1 mem=512 host=ws2025
	local qmp='' events='' out='' term='' cpu extra=''

	while getopts k:i:a:c:m:H:q:e:o:t:x: opt; do
		case $opt in
		k) kernel=$OPTARG ;;
		i) initrd=$OPTARG ;;
		a) append=$OPTARG ;;
		c) cpus=$OPTARG ;;
		m) mem=$OPTARG ;;
		H) host=$OPTARG ;;
		q) qmp=$OPTARG ;;
		e) events=$OPTARG ;;
		o) out=$OPTARG ;;
		t) term=$OPTARG ;;
		x) extra=$OPTARG ;;
		*) return 1 ;;
		esac
	done
	hvic_qemu_probe
	cpu=qemu64${HVIC_HV_FLAGS:+,$HVIC_HV_FLAGS}
	[ -n "$HVIC_QEMU_HV_PROFILE" ] && cpu=$cpu,hv-profile=$host
	# In QEMU's NAME=VALUE,... option strings a comma is written twice.
	HVIC_QEMU_ARGV=("$QEMU")
	[ -n "${QEMU_DATADIR:-}" ] && HVIC_QEMU_ARGV+=(-L "$QEMU_DATADIR")
	HVIC_QEMU_ARGV+=(-machine "pc,accel=$(hvic_qemu_accel)" -cpu "$cpu"
		-smp "$cpus" -m "$mem" -nodefaults -display none -no-reboot
		-action panic=exit-failure
		-kernel "$kernel" -initrd "$initrd" -append "$append")
	if [ -n "$term" ]; then
		HVIC_QEMU_ARGV+=(-chardev "stdio,id=con0,mux=on,signal=off,logfile=${term//,/,,}"
			-serial chardev:con0 -mon "chardev=con0,mode=readline")
	else
		HVIC_QEMU_ARGV+=(-chardev "file,id=con0,path=${out//,/,,}"
			-serial chardev:con0)
	fi
	HVIC_QEMU_ARGV+=(-device "isa-debug-exit,iobase=0xf4,iosize=0x04"
		-device vmbus-bridge -global PIIX4_PM.disable_s4=1
		-qmp "unix:${qmp//,/,,},server=on,wait=off")
	[ -n "$events" ] && HVIC_QEMU_ARGV+=(-qmp "unix:${events//,/,,},server=on,wait=off")
	[ -n "$HVIC_QEMU_SYNIC_TEST" ] &&
		HVIC_QEMU_ARGV+=("-$HVIC_QEMU_SYNIC_TEST" "hv-synic-test,id=hvtest")
	# shellcheck disable=SC2206 # blank-separated on purpose
	[ -n "$extra" ] && HVIC_QEMU_ARGV+=($extra)
	HVIC_QEMU_ARGV+=(-monitor none)
}

# hvic_qemu_status CODE KILLED RUNDIR: the run's status from QEMU's exit
# CODE (as $? gives it), KILLED (why the runner killed QEMU, empty if it did
# not) and RUNDIR's qmp-events.log, qemu.out and console.txt. Prints
# "STATUS WHY":
#   V    the guest wrote V (0-127) to the debug-exit port (QEMU exits 2V+1)
#   0    the guest powered off (ACPI S5; QEMU exits 0, SHUTDOWN event
#        "guest-shutdown"; WHY is "guest powered off"), or quit from the
#        terminal or by QMP
#   120  the guest panicked or reset itself (-no-reboot), e.g. panic=-1
#   124  hard timeout (or the boot watchdog): the runner killed QEMU
#   125  QEMU failed to start, died on a signal, or ended for a reason not
#        known to come from the guest
# QEMU 10 also sends a SHUTDOWN event for a debug-exit; an exit code of 1
# without one ("v = 0") counts only when QEMU printed no error and the guest
# printed something.
hvic_qemu_status() {
	local code=$1 killed=$2 rd=$3 reason='' panicked=''

	if [ -f "$rd/qmp-events.log" ]; then
		reason=$(grep '"event": "SHUTDOWN"' "$rd/qmp-events.log" | tail -n 1 |
			sed -n 's/.*"reason": "\([^"]*\)".*/\1/p') || reason=''
		grep -q '"event": "GUEST_PANICKED"' "$rd/qmp-events.log" && panicked=1
	fi
	if [ -n "$killed" ]; then
		echo "124 $killed"
	elif [ "$code" -gt 128 ]; then
		echo "125 QEMU died on signal $((code - 128))"
	elif [ -n "$panicked" ] || [ "$reason" = guest-panic ]; then
		echo "120 guest panicked (QEMU exit code $code)"
	elif [ "$code" = 0 ]; then
		case $reason in
		guest-shutdown) echo "0 guest powered off" ;;
		guest-reset) echo "120 guest reset itself (panic or triple fault; -no-reboot)" ;;
		host-ui) echo "0 quit from the user interface" ;;
		host-qmp-quit) echo "0 quit (QMP quit, or Ctrl-A x on the terminal)" ;;
		host-signal) echo "125 QEMU terminated by a signal from outside the runner" ;;
		'') echo "125 QEMU exited 0 without a SHUTDOWN event (see qemu.out, qmp-events.log)" ;;
		*) echo "125 QEMU shut down: $reason" ;;
		esac
	elif [ $((code % 2)) = 1 ]; then
		if [ "$code" = 1 ] && [ "$reason" != guest-shutdown ] &&
			{ grep -qv 'warning:' "$rd/qemu.out" 2>/dev/null ||
				[ ! -s "$rd/console.txt" ]; }; then
			echo "125 QEMU failed: $(grep -v 'warning:' "$rd/qemu.out" 2>/dev/null | head -n 1)"
		else
			echo "$((code >> 1)) guest wrote $((code >> 1)) to the debug-exit port"
		fi
	else
		echo "125 QEMU exited $code: $(grep -v 'warning:' "$rd/qemu.out" 2>/dev/null | head -n 1)"
	fi
}

# hvic_shquote WORD...: the words as one shell command line, each quoted
# only when it needs to be (for logs a person reads and pastes).
hvic_shquote() {
	local w out=''

	for w in "$@"; do
		case $w in
		'' | *[!A-Za-z0-9_./,:=+@%-]*) w="'${w//\'/\'\\\'\'}'" ;;
		esac
		out=${out:+$out }$w
	done
	printf '%s\n' "$out"
}

# hvic_vm_log RUNDIR TEXT...: a line of RUNDIR/qemu.log, the run log:
# "[SECONDS] TEXT", SECONDS being the host's uptime (the time base of
# console.log). Its last line is "exit status N (WHY)".
hvic_vm_log() {
	local rd=$1 up

	shift
	read -r up _ </proc/uptime
	printf '[%s] %s\n' "$up" "$*" >>"$rd/qemu.log"
}

# hvic_vm_start RUNDIR QMP_SOCK TERMINAL HVIC_QEMU_ARGV-OPTIONS...: start a
# test guest in the background (HVIC_VM_PID), with
#   RUNDIR/console.txt, console.log   the serial console (scripts/conlog.py)
#   RUNDIR/qmp-events.log             every QMP event, one JSON line each
#                                     (qmp.py on a second QMP socket,
#                                     QMP_SOCK with .events before .sock)
#   RUNDIR/qemu.out                   QEMU's own messages
#   RUNDIR/qemu.log                   the run log (hvic_vm_log)
# QMP_SOCK stays free for the suites (one client at a time). TERMINAL=1: the
# console is on this terminal too, and QEMU reads it (make run).
hvic_vm_start() {
	local rd=$1 sock=$2 term=$3 fifo

	shift 3
	fifo=$rd/console.fifo
	HVIC_VM_EVENTS=${sock%.sock}.events.sock
	HVIC_VM_KILLED='' HVIC_VM_PID=''
	rm -f "$fifo" "$sock" "$HVIC_VM_EVENTS" "$rd/qemu.log"
	mkfifo "$fifo" || return 1
	python3 "$HVIC_TOP/scripts/conlog.py" "$fifo" "$rd/console.txt" "$rd/console.log" \
		</dev/null 2>"$rd/conlog.err" &
	HVIC_VM_CONLOG=$!
	if [ "$term" = 1 ]; then
		hvic_qemu_argv "$@" -q "$sock" -e "$HVIC_VM_EVENTS" -t "$fifo" || return 1
	else
		hvic_qemu_argv "$@" -q "$sock" -e "$HVIC_VM_EVENTS" -o "$fifo" || return 1
	fi
	hvic_vm_log "$rd" "command: $(hvic_shquote "${HVIC_QEMU_ARGV[@]}")"
	if [ "$term" = 1 ]; then
		"${HVIC_QEMU_ARGV[@]}" 0<&0 2>"$rd/qemu.out" &
	else
		"${HVIC_QEMU_ARGV[@]}" </dev/null >"$rd/qemu.out" 2>&1 &
	fi
	HVIC_VM_PID=$!
	python3 "$HVIC_TOP/scripts/qmp.py" -c 30 "$HVIC_VM_EVENTS" --events \
		</dev/null >"$rd/qmp-events.log" 2>"$rd/qmp-events.err" &
	HVIC_VM_EVLOG=$!
	hvic_vm_log "$rd" "QEMU started, pid $HVIC_VM_PID"
}

# hvic_vm_kill WHY: stop the guest now (SIGTERM; SIGKILL 10 s later); the
# run's status becomes 124 with WHY.
hvic_vm_kill() {

	[ -n "$HVIC_VM_PID" ] || return 0
	HVIC_VM_KILLED=$1
	kill -TERM "$HVIC_VM_PID" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$HVIC_VM_PID" 2>/dev/null || return 0
		hvic_nap 0.2
	done
	kill -KILL "$HVIC_VM_PID" 2>/dev/null || true
}

# hvic_vm_wait TIMEOUT [BOOT_FILE BOOT_REGEX BOOT_TIMEOUT]: wait for QEMU to
# end; kill it after TIMEOUT s (hard timeout), or after BOOT_TIMEOUT s when
# no line of BOOT_FILE matches BOOT_REGEX (grep -E) by then.
hvic_vm_wait() {
	local hard=$((SECONDS + $1)) file=${2:-} re=${3:-} boot=$((SECONDS + ${4:-0}))
	local n=0

	while kill -0 "$HVIC_VM_PID" 2>/dev/null; do
		# the boot line once a second: a grep is a fork
		if [ -n "$re" ] && [ $((n++ % 5)) = 0 ]; then
			if grep -aEq -- "$re" "$file" 2>/dev/null; then
				re=
			elif [ $SECONDS -ge $boot ]; then
				hvic_vm_kill "the guest did not reach /init within $4 s, QEMU killed"
				break
			fi
		fi
		if [ $SECONDS -ge $hard ]; then
			hvic_vm_kill "hard timeout: QEMU killed after $1 s"
			break
		fi
		hvic_nap 0.2
	done
}

# hvic_reap PID SECONDS: wait for a helper to end, killing it after SECONDS.
hvic_reap() {
	for _ in $(seq 1 $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || break
		hvic_nap 0.1
	done
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# hvic_vm_finish RUNDIR: after QEMU ended (hvic_vm_wait), collect its exit
# code, let the console and event loggers finish, and set HVIC_VM_STATUS and
# HVIC_VM_WHY (hvic_qemu_status). The run log ends with
# "exit status STATUS (WHY)".
hvic_vm_finish() {
	local rd=$1 code line

	code=0
	wait "$HVIC_VM_PID" 2>/dev/null || code=$?
	HVIC_VM_PID=
	hvic_vm_log "$rd" "QEMU exit code $code"
	# A QEMU that never opened the console FIFO leaves conlog.py waiting in
	# open(): give it writers that go away at once.
	for _ in $(seq 1 50); do
		kill -0 "$HVIC_VM_CONLOG" 2>/dev/null || break
		: 1<>"$rd/console.fifo"
		hvic_nap 0.1
	done
	hvic_reap "$HVIC_VM_CONLOG" 0
	hvic_reap "$HVIC_VM_EVLOG" 2
	rm -f "$rd/console.fifo"
	while IFS= read -r line; do
		hvic_vm_log "$rd" "qemu: $line"
	done <"$rd/qemu.out"
	read -r HVIC_VM_STATUS HVIC_VM_WHY < <(hvic_qemu_status "$code" "$HVIC_VM_KILLED" "$rd")
	hvic_vm_log "$rd" "exit status $HVIC_VM_STATUS ($HVIC_VM_WHY)"
}

# hvic_build_modules KDIR DIR LOG: build our modules against KDIR in a copy of
# the source tree at DIR (objects for different kernels never mix, the
# developer's tree stays clean). Prints nothing; 0 on success, 2 when the
# tree has no Kbuild yet (no modules to build), 1 on failure.
hvic_build_modules() {
	local kdir=$1 dir=$2 log=$3

	[ -f "$HVIC_TOP/Kbuild" ] || return 2
	mkdir -p "$dir"
	rsync -a --delete --exclude=/.git --exclude=/logs --exclude=/tools \
		--exclude=/scripts --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		"$HVIC_TOP"/ "$dir"/ >"$log" 2>&1 || return 1
	# HVIC_TESTS: the selftests' test drivers too (hv_vmbus_test)
	make -C "$dir" KDIR="$kdir" HVIC_TESTS=1 -j"$(nproc)" modules >>"$log" 2>&1 || return 1
}

# hvic_image OUT KERNEL_ENV SUITE_DIR UPDATES_DIR MODULES BINARIES
#            [IMAGE_MODULES]
# (IMAGE_MODULES: in the image, not loaded by init; see mkinitramfs.sh -M)
hvic_image() {
	"$HVIC_TOP/scripts/mkinitramfs.sh" -k "$2" -o "$1" ${3:+-s "$3"} \
		${4:+-u "$4"} -m "$5" -b "$6" -M "${7:-}"
}
