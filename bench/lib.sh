# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the benchmarks (bench/*/). Source it after
# scripts/lib.sh; do not run it.

# bench_qemu DIR: the plain hvhost (tools/hvhost/build-qemu.sh --plain, log
# in DIR/qemu-build.log) or HVIC_QEMU's binary; its assignments in
# DIR/qemu.env, sourced. Sets BENCH_PLUGIN to the instruction counter:
# HVIC_QEMU_PLUGIN, else QEMU_PLUGINS/libinsn.so, else (a given binary)
# the cached plain build's (same QEMU source: the plugin API matches).
bench_qemu() {
	local dir=$1 p

	hvic_msg "hvhost, plain (tools/hvhost/build-qemu.sh --plain)"
	if [ -n "$HVIC_QEMU_GIVEN" ]; then
		hvic_qemu "$dir/qemu.env"
	else
		"$HVIC_TOP/tools/hvhost/build-qemu.sh" --plain -o "$dir/qemu.env" \
			>"$dir/qemu-build.log" 2>&1 ||
			hvic_die "QEMU build failed (see $dir/qemu-build.log)"
	fi
	# shellcheck disable=SC1091 # written above
	. "$dir/qemu.env"
	BENCH_PLUGIN=${HVIC_QEMU_PLUGIN:-${QEMU_PLUGINS:+$QEMU_PLUGINS/libinsn.so}}
	if [ -z "$BENCH_PLUGIN" ]; then
		for p in "$HVIC_CACHE"/qemu/*/build/tests/tcg/plugins/libinsn.so; do
			[ -f "$p" ] && BENCH_PLUGIN=$p
		done
	fi
	[ -n "$BENCH_PLUGIN" ] && [ -f "$BENCH_PLUGIN" ] ||
		hvic_die "no libinsn.so (QEMU_PLUGINS='${QEMU_PLUGINS:-}', HVIC_QEMU_PLUGIN='${HVIC_QEMU_PLUGIN:-}')"
	hvic_msg "instruction counter $BENCH_PLUGIN"
}

# bench_profiler DIR: make BENCH_PLUGIN the per-block profiler instead
# (bench/profile/insnprof.c, built in DIR against the plugin API of the
# cached QEMU source; it counts the same total): bench_boot then leaves
# each run's blocks in RUNDIR/blocks.txt, for bench/profile/symbolize.py.
bench_profiler() {
	local dir=$1 src='' s

	for s in "$HVIC_CACHE"/qemu/*/src; do
		[ -f "$s/include/qemu/qemu-plugin.h" ] && src=$s
	done
	[ -n "$src" ] || hvic_die "no QEMU source in $HVIC_CACHE/qemu for the plugin API"
	hvic_need_pkgs gcc pkg-config libglib2.0-dev
	# shellcheck disable=SC2046 # pkg-config's flags, split on purpose
	gcc -shared -fPIC -O2 -Wall -Wextra -Wno-unused-parameter -Werror \
		-I "$src/include/qemu" $(pkg-config --cflags glib-2.0) \
		-o "$dir/libinsnprof.so" "$HVIC_TOP/bench/profile/insnprof.c" ||
		hvic_die "the profiler plugin did not build"
	BENCH_PLUGIN=$dir/libinsnprof.so
	BENCH_PROFILE=1
	hvic_msg "profiler $BENCH_PLUGIN"
}

# bench_boot RUNDIR QMP_SOCK TIMEOUT "DEVICE ARGS" HVIC_QEMU_ARGV-OPTIONS...:
# boot one benchmark guest with the instruction counter (BENCH_PLUGIN,
# inline, or the profiler: see bench_profiler) and the hypercall trace,
# wait for it (TIMEOUT s; 300 s to reach /init), and set BENCH_LINE to the
# last "BENCH ..." line of its console and BENCH_COUNTS to "insns=N
# hypercalls=N" for the whole run. 1 (and a warning with the console's
# tail) when there is no BENCH line.
bench_boot() {
	local rd=$1 sock=$2 timeout=$3 devargs=$4 insns hc opt=inline=on

	shift 4
	mkdir -p "$rd"
	[ -n "${BENCH_PROFILE:-}" ] && opt=out=$rd/blocks.txt
	hvic_vm_start "$rd" "$sock" 0 "$@" \
		-x "$devargs -plugin $BENCH_PLUGIN,$opt -d plugin -D $rd/plugin.log -trace enable=hyperv_tcg_hypercall" ||
		hvic_die "QEMU did not start (see $rd)"
	hvic_vm_wait "$timeout" "$rd/console.txt" '^hvtest: hyperv-ic test guest' 300
	hvic_vm_finish "$rd"
	BENCH_LINE=$(tr -d '\r' <"$rd/console.txt" | grep -a '^BENCH ' | tail -n 1 || true)
	insns=$(sed -n 's/^total insns: //p' "$rd/plugin.log" | tail -n 1)
	hc=$(grep -c 'hyperv_tcg_hypercall' "$rd/plugin.log" || true)
	# shellcheck disable=SC2034 # for the caller
	BENCH_COUNTS="insns=${insns:-0} hypercalls=$hc"
	[ -n "$BENCH_LINE" ] && return 0
	bench_warn "$rd" "no BENCH line"
	return 1
}

# bench_warn RUNDIR WHAT: a run that gave no result, with its console's tail
bench_warn() {
	hvic_msg "warning: ${1##*/}: $2, status $HVIC_VM_STATUS ($HVIC_VM_WHY); console tail:"
	tr -d '\r' <"$1/console.txt" | tail -n 15 >&2
}
