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

# t_import CMD [ARG...]: run a kselftest (TAP 13 of its own); its points
# become ours, renumbered, its comments pass through. A failing exit status
# with no failed point is one failed point.
t_import() {
	_ti_f0=$T_FAILED
	"$@" >/tmp/t_import.tap 2>&1
	_ti_st=$?
	while IFS= read -r _ti_l; do
		case $_ti_l in
		"ok "*" # SKIP"*)
			_ti_d=${_ti_l#ok }
			_ti_d=${_ti_d#* }
			t_skip "${_ti_d%% # SKIP*}" "${_ti_d#* # SKIP }"
			;;
		"ok "*)
			_ti_d=${_ti_l#ok }
			t_pass "${_ti_d#* }"
			;;
		"not ok "*)
			_ti_d=${_ti_l#not ok }
			t_fail "${_ti_d#* }"
			;;
		"TAP version"* | 1..*) ;;
		*) printf '%s\n' "$_ti_l" ;;
		esac
	done </tmp/t_import.tap
	if [ "$_ti_st" -ne 0 ] && [ "$_ti_st" -ne 4 ] && [ "$T_FAILED" = "$_ti_f0" ]; then
		t_fail "$1 exited with status $_ti_st"
	fi
	return 0
}
