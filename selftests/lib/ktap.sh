# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP 13 helpers for the hyperv-ic kselftests (POSIX sh, busybox is
# enough). Sourced from the test's own directory (the test guest's /suite)
# or from selftests/lib/.
#
#   diag TEXT  pass DESC  fail DESC [WHY...]  skip DESC WHY
#   check DESC WHY-IF-FAILED CMD...   is GOT WANT DESC   kmemleak_clean
#   has SECTION (in $SECTIONS)   poll SECS CMD... (until CMD succeeds, every 0.2 s)

n=0
failed=0

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

pass() {
	n=$((n + 1))
	echo "ok $n $1"
}

fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

check() {
	_desc=$1
	_why=$2
	shift 2
	if "$@"; then
		pass "$_desc"
	else
		fail "$_desc" "$_why"
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3" "got '$1', want '$2'"
	fi
}

# kmemleak_clean: one test point, nothing leaked (two scans, as kmemleak
# reports an object only once it has stayed unreferenced over a scan)
kmemleak_clean() {
	if [ -w /sys/kernel/debug/kmemleak ] ||
		mount -t debugfs none /sys/kernel/debug 2>/dev/null; then
		echo scan >/sys/kernel/debug/kmemleak
		sleep 1
		echo scan >/sys/kernel/debug/kmemleak
		_leaks=$(cat /sys/kernel/debug/kmemleak)
		if [ -z "$_leaks" ]; then
			pass "kmemleak: nothing leaked"
		else
			fail "kmemleak: nothing leaked" "$(echo "$_leaks" | head -n 30)"
		fi
	else
		skip "kmemleak: nothing leaked" "no debugfs/kmemleak"
	fi
}

# has SECTION: SECTION is one of the test's $SECTIONS
has() {
	case " $SECTIONS " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# poll SECS CMD...: until CMD succeeds, every 0.2 s; 1 after SECS s
poll() {
	_end=$(($(cut -d. -f1 /proc/uptime) + $1))
	shift
	while ! "$@"; do
		[ "$(cut -d. -f1 /proc/uptime)" -ge "$_end" ] && return 1
		sleep 0.2
	done
}
