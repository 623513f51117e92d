# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Minimal TAP 13 producer for test scripts, POSIX sh (busybox sh in the
# guest, bash on the host). In the guest: . /lib/hvtest/tap.sh; on the host:
# . "$HVIC_TOP/scripts/guest/tap.sh".
#
#   t_ok DESC CMD [ARG...]    run CMD (output shown as "# " comments); ok if it succeeds
#   t_is GOT WANT DESC        ok if the two strings are equal
#   t_grep DESC PATTERN FILE  ok if the extended regex matches a line of FILE
#   t_pass DESC / t_fail DESC [WHY] / t_skip DESC WHY
#   t_diag TEXT...            "# TEXT" comment line
#   t_done                    print the plan "1..N"; returns 1 if anything failed

T_N=0
T_FAILED=0

t_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

t_pass() {
	T_N=$((T_N + 1))
	printf 'ok %d - %s\n' "$T_N" "$1"
}

t_fail() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	printf 'not ok %d - %s\n' "$T_N" "$1"
	[ $# -gt 1 ] && t_diag "$2"
	return 0
}

t_skip() {
	T_N=$((T_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$T_N" "$1" "$2"
}

t_ok() {
	_t_desc=$1
	shift
	if _t_out=$("$@" 2>&1); then
		[ -n "$_t_out" ] && t_diag "$_t_out"
		t_pass "$_t_desc"
	else
		_t_st=$?
		[ -n "$_t_out" ] && t_diag "$_t_out"
		t_fail "$_t_desc" "command '$*' exited with status $_t_st"
	fi
}

t_is() {
	if [ "$1" = "$2" ]; then
		t_pass "$3"
	else
		t_fail "$3" "got '$1', want '$2'"
	fi
}

t_grep() {
	if grep -Eq -- "$2" "$3" 2>/dev/null; then
		t_pass "$1"
	else
		t_fail "$1" "no line of $3 matches /$2/"
	fi
}

t_done() {
	printf '1..%d\n' "$T_N"
	[ "$T_FAILED" -eq 0 ]
}
