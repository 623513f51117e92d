# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# platform suite, on the host: when the guest's selftest prints
# "READY-FOR-MESSAGE vp=V ... messages=N events=M", check the guest's
# Hyper-V state as hvhost sees it, then post N SynIC messages of type 1 and
# set M event flags on SINT2 of VP V. Through hv_state, hv_inject and
# hv_signal (scripts/suites/lib.sh): QMP on QEMU's hv-synic-test object.
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"

SINT=2
re='READY-FOR-MESSAGE vp=[0-9]+ cpu=[0-9]+ vector=0x[0-9a-f]+ messages=[0-9]+ events=[0-9]+'
if ! wait_console "$re" 3600; then	# ends early when the VM stops
	t_fail "guest printed READY-FOR-MESSAGE" "the guest stopped or timed out first"
	t_done
	exit 1
fi
ready=$(console_text | grep -Eo -- "$re" | head -n 1)
t_pass "guest printed READY-FOR-MESSAGE ($ready)"

field() {
	printf '%s\n' "$ready" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}
vp=$(field vp)
vector=$(field vector)
messages=$(field messages)
events=$(field events)

# The guest waits for our messages, so its state is stable now.
dump=$(hv_state 2>&1)
t_diag "$(printf '%s\n' "$dump" | grep -E 'guest os id|hypercall|^vp[0-9]+ sint2 ')"
if printf '%s\n' "$dump" | grep -Eq '^guest os id 0x81'; then
	t_pass "host sees an open-source Linux guest OS id"
else
	t_fail "host sees an open-source Linux guest OS id"
fi
t_grep_text() {
	if printf '%s\n' "$dump" | grep -Eq -- "$2"; then
		t_pass "$1"
	else
		t_fail "$1" "no line of hv_state matches /$2/"
	fi
}
t_grep_text "host: hypercall page enabled" '^hypercall 0x[0-9a-f]+ \(enabled'
want=$(printf '0x%02x' "$((vector))")
t_grep_text "host: vp$vp SINT2 unmasked with vector $want" \
	"^vp$vp sint2 0x[0-9a-f]+ vector $want queued"

if out=$(hv_inject "$vp" $SINT 1 "$messages" 2>&1); then
	t_pass "posted $messages messages (type 1) to vp$vp SINT$SINT"
else
	t_fail "posted $messages messages (type 1) to vp$vp SINT$SINT" "$out"
fi

ok=1
for i in $(seq 1 "$events"); do
	out=$(hv_signal "$vp" $SINT "$i" 2>&1) ||
		{ ok=; t_diag "event $i: $out"; }
done
if [ -n "$ok" ]; then
	t_pass "set $events event flags on vp$vp SINT$SINT"
else
	t_fail "set $events event flags on vp$vp SINT$SINT"
fi

# Every message reached the guest's slot (the guest freed it, the host
# delivered the next one on EOM)
delivered=
for _ in $(seq 1 50); do
	delivered=$(hv_state 2>/dev/null |
		sed -n "s/^vp$vp sint2 .* delivered \([0-9]*\).*/\1/p")
	[ "${delivered:-0}" -ge "$messages" ] && break
	sleep 0.2
done
if [ "${delivered:-0}" -ge "$messages" ]; then
	t_pass "host delivered all $messages messages ($delivered)"
else
	t_fail "host delivered all $messages messages" "delivered ${delivered:-none}"
fi
t_done
