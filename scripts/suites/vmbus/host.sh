# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# vmbus suite, on the host: hvhost's side of the IC checks, driven by the
# lines guest.sh prints. Through one QMP connection (qmp.py --serve as a
# coprocess: this script is QMP's only client during the run): the IC
# devices' QOM properties (/machine/peripheral/<id>), HMP info vmbus,
# device_del/device_add of the heartbeat, the shutdown or restart request
# that ends the run. Every check is one TAP point whatever happens (a guest
# that stops early fails the points it did not reach).
. "$HVIC_TOP/scripts/guest/tap.sh"
. "$HVIC_TOP/scripts/suites/lib.sh"
# shellcheck source=profile.sh
. ./profile.sh

P=/machine/peripheral

coproc QS { exec python3 "$QMPC" -c 60 -t 30 "$QMP" --serve 2>"$RUNDIR/host-qmp.err"; }
# bash unsets QS_PID and closes QS[] when the coprocess ends: copies, to
# say why it ended (its last line)
QPID=$QS_PID
exec {QIN}<&"${QS[0]}"

# q COMMAND [ARG...]: one QMP command (qmp.py --serve syntax); its answer
# (JSON, or "ERROR: ...") in QR; fails on an error. No subshells: the
# coprocess' descriptors are not theirs.
QR='' QDEAD=''
q() {
	QR=
	if [ -n "$QDEAD" ]; then
		QR=$QDEAD
		return 1
	fi
	if [ -z "${QS_PID:-}" ] || [ -z "${QS[1]:-}" ]; then
		local st='' last=''
		[ -n "$QPID" ] && { wait "$QPID" 2>/dev/null; st=$?; }
		IFS= read -r -t 1 last <&"$QIN"
		QDEAD="ERROR: QMP client gone${st:+ (exit status $st)}: ${last:-$(tail -n 1 "$RUNDIR/host-qmp.err" 2>/dev/null)}"
		vm_stopped && QDEAD="$QDEAD (QEMU has ended)"
		QR=$QDEAD
		return 1
	fi
	# each word quoted for qmp.py's shlex.split
	{ printf '%q ' "$@" >&"${QS[1]}" && echo >&"${QS[1]}"; } 2>/dev/null ||
		{ QR="ERROR: QMP client gone"; return 1; }
	# at most 40 s, less once QEMU has ended; then the client is dropped (a
	# late answer would be taken for the next command's)
	local n=0
	until IFS= read -r -t 1 QR <&"$QIN"; do
		n=$((n + 1))
		if [ $n -ge 40 ] || { vm_stopped && [ $n -ge 2 ]; }; then
			kill "$QS_PID" 2>/dev/null
			QDEAD="ERROR: no answer from QMP within $n s$(vm_stopped && echo ' (QEMU has ended)')"
			QR=$QDEAD
			return 1
		fi
	done
	case $QR in
	ERROR:*) return 1 ;;
	esac
}

# jstr: QR (a JSON string) as text
jstr() {
	python3 -c 'import json, sys
v = json.loads(sys.stdin.read())
sys.stdout.write(v if isinstance(v, str) else json.dumps(v))' <<<"$QR" 2>/dev/null
}

since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# wait_marker REGEX: wait for a guest line; sets MARK (the line) or, when
# the VM stopped first, SKIP (why the points that needed it fail)
MARK='' SKIP=''
wait_marker() {
	MARK=
	if wait_console "$1"; then
		MARK=$(console_text | grep -E -m 1 -- "$1")
		SKIP=
	else
		SKIP="the VM stopped before the guest printed /$1/"
	fi
}

# field NAME: NAME=VALUE from MARK
field() {
	printf '%s\n' "$MARK" | sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p"
}

# hb_rising DESC: the heartbeat sequence the host last saw answered rises,
# twice (at most 15 s each: the heartbeat interval is the host's choice)
hb_rising() {
	local desc=$1 s=() t0 deadline

	if [ -n "$SKIP" ]; then
		t_fail "$desc" "$SKIP"
		return
	fi
	t0=$EPOCHREALTIME
	if ! q qom-get path=$P/hb property=sequence; then
		t_fail "$desc" "qom-get $P/hb sequence: $QR"
		return
	fi
	s=("$QR")
	for _ in 1 2; do
		deadline=$((SECONDS + 15))
		while q qom-get path=$P/hb property=sequence && [ "$QR" -le "${s[-1]}" ] 2>/dev/null &&
			[ $SECONDS -lt $deadline ]; do
			sleep 0.5
		done
		s+=("$QR")
		[ "$QR" -gt "${s[-2]}" ] 2>/dev/null || break
	done
	q qom-get path=$P/hb property=status && t_diag "hb status: $(jstr)"
	if [ ${#s[@]} -eq 3 ] && [ "${s[2]}" -gt "${s[1]}" ] 2>/dev/null; then
		t_pass "$desc (${s[0]} -> ${s[1]} -> ${s[2]} in $(since "$t0") s)"
	else
		t_fail "$desc" "sequence ${s[*]} over $(since "$t0") s (15 s allowed for each rise)"
	fi
}

# del_dev ID WHAT: device_del ID, then its DEVICE_DELETED event (the guest
# released the relids): two points
del_dev() {
	local desc="device_del $1 (the host rescinds $2)" ev='' t0 deadline

	if [ -n "$SKIP" ]; then
		t_fail "$desc" "$SKIP"
	elif q device_del id="$1"; then
		t_pass "$desc"
	else
		t_fail "$desc" "$QR"
	fi
	desc="QMP: DEVICE_DELETED $1 (the guest released the relids)"
	t0=$EPOCHREALTIME
	if [ -z "$SKIP" ]; then
		deadline=$((SECONDS + 40))
		while [ $SECONDS -lt $deadline ]; do
			ev=$(grep -m 1 "\"event\": \"DEVICE_DELETED\".*\"device\": \"$1\"" "$QMP_EVENTS")
			[ -n "$ev" ] && break
			vm_stopped && break
			sleep 0.2
		done
	fi
	if [ -n "$SKIP" ]; then
		t_fail "$desc" "$SKIP"
	elif [ -n "$ev" ]; then
		t_pass "$desc, $(since "$t0") s after device_del"
	else
		t_fail "$desc" "none within 40 s; events: $(grep -o '"event": "[A-Z_]*"' "$QMP_EVENTS" | sort | uniq -c | tr '\n' ' ')"
	fi
}

# ---------------------------------------------------------------- devices
if q qom-list path=$P; then
	missing=
	for ic in $VMBUS_ICS; do
		grep -q "\"name\": \"$ic\"" <<<"$QR" || missing="$missing $(ic_qom_type "$ic")"
	done
	if [ -z "$missing" ]; then
		t_pass "hvhost has the ICs: $P/{hb,sd,ts,kvp}"
	else
		t_fail "hvhost has the ICs: $P/{hb,sd,ts,kvp}" \
			"missing:$missing (not in this QEMU's -device help: suite.conf leaves them out)"
	fi
else
	t_fail "hvhost has the ICs" "qom-list $P: $QR"
fi
if [ -z "$VMBUS_VERSION" ]; then
	t_done
	exit
fi

# ---------------------------------------------------------------- channels
wait_marker '^VMBUS-RELIDS'
desc="HMP info vmbus lists the ICs' channels"
if [ -n "$SKIP" ]; then
	t_fail "$desc" "$SKIP"
elif q human-monitor-command command-line="info vmbus"; then
	jstr >"$RUNDIR/info-vmbus.txt"
	t_diag "info vmbus:"
	t_diag "$(cat "$RUNDIR/info-vmbus.txt")"
	missing=
	relids=${MARK#VMBUS-RELIDS}
	for kv in $relids; do
		grep -Eq "(^|[^0-9])${kv#*=}([^0-9]|$)" "$RUNDIR/info-vmbus.txt" || missing="$missing $kv"
	done
	if [ -z "$relids" ]; then
		t_fail "$desc" "the guest found no IC channel"
	elif grep -qi 'unknown command' "$RUNDIR/info-vmbus.txt"; then
		t_fail "$desc" "this QEMU has no info vmbus"
	elif [ -n "$missing" ]; then
		t_fail "$desc" "relids not in its output:$missing"
	else
		t_pass "$desc (relids$relids)"
	fi
else
	t_fail "$desc" "$QR"
fi
hb_rising "heartbeat: the sequence the host sees rises"

# ---------------------------------------------------------------- KVP
# kvp_push PHASE: on the guest's KVP-PUSH line, qom-set kvp push
kvp_push() {
	local desc="KVP: qom-set kvp push $1 (phase $2)"

	if [ -n "$SKIP" ]; then
		t_fail "$desc" "$SKIP"
	elif q qom-set path=$P/kvp property=push value="$1"; then
		t_pass "$desc"
	else
		t_fail "$desc" "$QR"
	fi
}
wait_marker '^KVP-PUSH phase=1 '
fqdn=$(field fqdn) osname=$(field osname)
pool=
deadline=$((SECONDS + 20))
t0=$EPOCHREALTIME
if [ -z "$SKIP" ]; then
	# the host enumerates the guest's auto pool every 2 s
	while :; do
		if q qom-get path=$P/kvp property=guest-pool; then
			pool=$(jstr)
			grep -qx "FullyQualifiedDomainName=$fqdn" <<<"$pool" &&
				grep -qx "OSName=$osname" <<<"$pool" && break
		else
			pool=$QR
		fi
		[ $SECONDS -ge $deadline ] && break
		vm_stopped && break
		sleep 1
	done
	t_diag "guest-pool after $(since "$t0") s:"
	t_diag "$pool"
fi
for kv in "FullyQualifiedDomainName=$fqdn" "OSName=$osname"; do
	desc="KVP: the host reads the guest's $kv (guest-pool)"
	if [ -n "$SKIP" ]; then
		t_fail "$desc" "$SKIP"
	elif grep -qx -- "$kv" <<<"$pool"; then
		t_pass "$desc"
	else
		t_fail "$desc" "not in guest-pool (above)"
	fi
done
kvp_push "$(field key)=$(field value)" 1

if [ -n "$VMBUS_FULL" ]; then
	wait_marker '^RELOAD-DONE'
	hb_rising "heartbeat: the sequence rises after $RELOAD_CYCLES hv_utils reloads"
	wait_marker '^KVP-PUSH phase=2 '
	kvp_push "$(field key)=$(field value)" 2

	# ------------------------------------------------------------ rescind
	wait_marker '^RESCIND-READY'
	del_dev hb "the heartbeat channel"
	desc="device_add hv-heartbeat,id=hb (offered again)"
	if [ -n "$SKIP" ]; then
		t_fail "$desc" "$SKIP"
	elif q device_add driver=hv-heartbeat id=hb; then
		t_pass "$desc"
	else
		t_fail "$desc" "$QR"
	fi
fi

# ---------------------------------------------------------------- ours
if [ -n "$OURS" ]; then
	wait_marker '^VT-SUBCHANNELS '
	desc="qom-set vt offer-subchannels $(field n) (hv-vmbus-test's sub-channels)"
	if [ -n "$SKIP" ]; then
		t_fail "$desc" "$SKIP"
	elif q qom-set path=$P/vt property=offer-subchannels value:="$(field n)"; then
		t_pass "$desc"
	else
		t_fail "$desc" "$QR"
	fi
	wait_marker '^VT-RESCIND-READY'
	if [ -z "$SKIP" ] && q qom-get path=$P/vt property=echoed-packets; then
		t_diag "hv-vmbus-test echoed $QR packets"
	fi
	del_dev vt "hv-vmbus-test's 3 channels"
fi

# ---------------------------------------------------------------- the end
wait_marker "^READY-FOR-$VMBUS_ENDING"
if [ -n "$VMBUS_FULL" ]; then
	hb_rising "heartbeat: the sequence rises again after device_add"
fi
[ -z "$SKIP" ] && q qom-get path=$P/sd property=status && t_diag "sd status: $(jstr)"
if [ "$VMBUS_ENDING" = powerdown ]; then
	# hv-shutdown turns the ACPI power button into a shutdown request
	desc="QMP system_powerdown"
	request=(system_powerdown)
else
	desc="qom-set sd request=$VMBUS_ENDING"
	request=(qom-set "path=$P/sd" property=request value="$VMBUS_ENDING")
fi
t0=$EPOCHREALTIME
if [ -n "$SKIP" ]; then
	t_fail "$desc" "$SKIP"
elif q "${request[@]}"; then
	t_pass "$desc"
else
	t_fail "$desc" "$QR"
	SKIP="no $VMBUS_ENDING request sent"
fi
desc="the guest went down within 10 s of the $VMBUS_ENDING request (QMP SHUTDOWN)"
if [ -n "$SKIP" ]; then
	t_fail "$desc" "$SKIP"
else
	ev=
	while :; do
		ev=$(grep -m 1 '"event": "SHUTDOWN"' "$QMP_EVENTS")
		[ -n "$ev" ] && break
		vm_stopped && break
		[ "$(since "$t0" | cut -d. -f1)" -ge 15 ] && break
		sleep 0.1
	done
	d=$(since "$t0")
	if [ -n "$ev" ] && awk -v d="$d" 'BEGIN { exit !(d <= 10) }'; then
		t_pass "$desc: $d s"
	else
		t_fail "$desc" "${ev:+SHUTDOWN after $d s}${ev:-no SHUTDOWN event within $d s}"
	fi
fi
t_done
