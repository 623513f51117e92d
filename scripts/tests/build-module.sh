#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh: host-side TAP test of building and packaging our modules.
#
# Against a kernel without Hyper-V support (bare kinds):
#   make (W=1) with no warning at all (compiler, objtool, modpost), the
#   module's modinfo, make sparse with no sparse warning, make install
#   INSTALL_MOD_PATH= (module under updates/, depmod ran), and a dkms
#   add/build/install/remove round trip from a copy in /usr/src.
# Against a kernel with CONFIG_HYPERV (stock kinds, their headers):
#   make stops with our message; dkms build refuses (BUILD_EXCLUSIVE_CONFIG,
#   exit 77) and says why.
#
# Which kernel: as run by check.sh, KIND (bare-* / stock-*) and KDIR (and
# KVER) in the environment. Standalone, any of KDIR_BARE61, KDIR_BARE612
# (bare build trees) and STOCK_HEADERS_61, STOCK_HEADERS_612 (stock header
# trees); each one given is tested. TAP on stdout, details in TEST_LOGDIR
# (default: a temporary directory, removed at the end).

set -u -o pipefail

HVIC_TOP=${HVIC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$HVIC_TOP/scripts/lib.sh"
. "$HVIC_TOP/scripts/guest/tap.sh"

# Build as a user would from a shell, not as part of an outer make (make check)
unset MAKEFLAGS MFLAGS MAKELEVEL

hvic_need_pkgs build-essential libelf-dev bc flex bison kmod rsync sparse dkms

MODULE=hv_vmbus
PKG=hyperv-ic
PKG_VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$HVIC_TOP/dkms.conf")

if [ -n "${TEST_LOGDIR:-}" ]; then
	LOGS=$TEST_LOGDIR
	mkdir -p "$LOGS"
else
	LOGS=$(mktemp -d /tmp/hvic-build-module.XXXXXX)
fi
WORK=$(mktemp -d /tmp/hvic-build-work.XXXXXX)
DKMS_VER=
DKMS_SRC=
MADE_MODDIR=

cleanup() {
	if [ -n "$DKMS_VER" ]; then
		dkms remove -m "$PKG" -v "$DKMS_VER" --all >/dev/null 2>&1
		rm -rf "/var/lib/dkms/$PKG/$DKMS_VER"
		rmdir "/var/lib/dkms/$PKG" 2>/dev/null
	fi
	[ -n "$DKMS_SRC" ] && rm -rf "$DKMS_SRC"
	[ -n "$MADE_MODDIR" ] && rm -rf "$MADE_MODDIR"
	rm -rf "$WORK"
	[ -z "${TEST_LOGDIR:-}" ] && rm -rf "$LOGS"
}
trap cleanup EXIT

# A clean copy of the package source (what dkms and a tarball would see)
copy_source() {
	mkdir -p "$1"
	rsync -a --delete --exclude=/.git --exclude=/logs --exclude=/tools \
		--exclude=/scripts --exclude=/bench --exclude='*.o' \
		--exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude=Module.symvers \
		--exclude=modules.order "$HVIC_TOP"/ "$1"/
}

# warnings LOG: compiler, objtool, modpost and sparse warnings and errors
warnings() {
	grep -aiE '(warning|error)[: ]|objtool:' "$1" |
		grep -avE '^make(\[[0-9]+\])?: (Entering|Leaving)'
}

krelease() {	# UTS_RELEASE (Debian's kernel.release file differs)
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h" 2>/dev/null
}

# ----------------------------------------------------------------- bare
test_bare() {
	local label=$1 kdir=$2 kver src log w tmp ko f

	kver=${KVER:-$(krelease "$kdir")}
	[ -n "$kver" ] || { t_fail "$label: kernel release of $kdir"; return; }
	src=$WORK/$label
	copy_source "$src"

	log=$LOGS/$label-make.log
	if (cd "$src" && make KDIR="$kdir" -j2 modules) >"$log" 2>&1; then
		t_pass "$label: make (W=1) against $kver"
	else
		t_fail "$label: make (W=1) against $kver" "$(tail -n 5 "$log")"
	fi
	w=$(warnings "$log")
	if [ -z "$w" ]; then
		t_pass "$label: make W=1: no compiler, objtool or modpost warning"
	else
		t_fail "$label: make W=1: no compiler, objtool or modpost warning" "$(echo "$w" | head -n 10)"
	fi

	ko=$src/drivers/hv/$MODULE.ko
	if [ -f "$ko" ] &&
		[ "$(modinfo -F version "$ko")" = "$PKG_VERSION" ] &&
		[ "$(modinfo -F license "$ko")" = GPL ] &&
		modinfo -F vermagic "$ko" | grep -q "^$kver " &&
		modinfo -F alias "$ko" | grep -qx 'acpi\*:VMBus:\*' &&
		modinfo -F alias "$ko" | grep -qx 'acpi\*:VMBUS:\*'; then
		t_pass "$label: modinfo: version $PKG_VERSION (= dkms.conf), GPL, vermagic $kver, ACPI aliases VMBus/VMBUS"
	else
		t_fail "$label: modinfo: version, license, vermagic, ACPI aliases" \
			"$(modinfo "$ko" 2>&1 | grep -E '^(version|license|vermagic|alias):')"
	fi

	log=$LOGS/$label-sparse.log
	if (cd "$src" && make KDIR="$kdir" -j2 sparse) >"$log" 2>&1 &&
		grep -q 'CHECK ' "$log"; then
		t_pass "$label: make sparse (sparse ran)"
	else
		t_fail "$label: make sparse (sparse ran)" "$(tail -n 5 "$log")"
	fi
	w=$(warnings "$log")
	if [ -z "$w" ]; then
		t_pass "$label: make sparse: no sparse warning"
	else
		t_fail "$label: make sparse: no sparse warning" "$(echo "$w" | head -n 10)"
	fi

	tmp=$WORK/$label-root
	log=$LOGS/$label-install.log
	if (cd "$src" && make KDIR="$kdir" INSTALL_MOD_PATH="$tmp" install) >"$log" 2>&1; then
		t_pass "$label: make install INSTALL_MOD_PATH=..."
	else
		t_fail "$label: make install INSTALL_MOD_PATH=..." "$(tail -n 5 "$log")"
	fi
	f=$(cd "$tmp/lib/modules/$kver" 2>/dev/null && find updates -name "$MODULE.ko" | head -n 1)
	if [ -n "$f" ]; then
		t_pass "$label: installed as lib/modules/$kver/$f"
	else
		t_fail "$label: $MODULE.ko installed under lib/modules/$kver/updates" \
			"$(find "$tmp" -name '*.ko' 2>/dev/null)"
	fi
	if [ -n "$f" ] && grep -q "^$f:" "$tmp/lib/modules/$kver/modules.dep" 2>/dev/null &&
		grep -q "^alias acpi\*:VMBus:\* $MODULE\$" "$tmp/lib/modules/$kver/modules.alias" 2>/dev/null; then
		t_pass "$label: depmod ran (modules.dep lists it, modules.alias has acpi*:VMBus:*)"
	else
		t_fail "$label: depmod ran (modules.dep, modules.alias)"
	fi

	test_dkms_roundtrip "$label" "$kdir" "$kver"
}

dkms_state() {	# dkms status line for our test version and kernel
	dkms status -m "$PKG" -v "$DKMS_VER" -k "$1" 2>/dev/null
}

dkms_prepare() {
	DKMS_VER=$PKG_VERSION-test$$
	DKMS_SRC=/usr/src/$PKG-$DKMS_VER
	rm -rf "$DKMS_SRC"
	copy_source "$DKMS_SRC"
	sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$DKMS_VER\"/" "$DKMS_SRC/dkms.conf"
	# Our own build artifacts never go into the package
	find "$DKMS_SRC" \( -name '*.o' -o -name '*.ko' \) -delete
}

dkms_finish() {
	dkms remove -m "$PKG" -v "$DKMS_VER" --all >/dev/null 2>&1
	rm -rf "$DKMS_SRC"
	DKMS_VER=''
	DKMS_SRC=''
}

test_dkms_roundtrip() {
	local label=$1 kdir=$2 kver=$3 log=$LOGS/$1-dkms.log f

	dkms_prepare
	# dkms installs only for kernels it finds in /lib/modules; a test
	# kernel is not installed on this machine: give it a (temporary) one.
	if [ ! -d "/lib/modules/$kver" ]; then
		MADE_MODDIR=/lib/modules/$kver
		mkdir -p "$MADE_MODDIR"
		ln -s "$kdir" "$MADE_MODDIR/build"
	fi
	: >"$log"
	if dkms add -m "$PKG" -v "$DKMS_VER" >>"$log" 2>&1 &&
		dkms status -m "$PKG" -v "$DKMS_VER" | grep -q added; then
		t_pass "$label: dkms add (copy in /usr/src/$PKG-$DKMS_VER)"
	else
		t_fail "$label: dkms add" "$(tail -n 5 "$log")"
	fi
	if dkms build -m "$PKG" -v "$DKMS_VER" -k "$kver" --kernelsourcedir "$kdir" \
		>>"$log" 2>&1 && dkms_state "$kver" | grep -q built; then
		t_pass "$label: dkms build -k $kver --kernelsourcedir KDIR"
	else
		t_fail "$label: dkms build -k $kver --kernelsourcedir KDIR" \
			"$(tail -n 8 "$log"; tail -n 8 "/var/lib/dkms/$PKG/$DKMS_VER/build/make.log" 2>/dev/null)"
	fi
	if dkms install -m "$PKG" -v "$DKMS_VER" -k "$kver" --kernelsourcedir "$kdir" \
		>>"$log" 2>&1 && dkms_state "$kver" | grep -q installed &&
		f=$(find "/lib/modules/$kver/updates" -name "$MODULE.ko*" 2>/dev/null | head -n 1) &&
		[ -n "$f" ]; then
		t_pass "$label: dkms install -> ${f#/lib/modules/"$kver"/}"
	else
		t_fail "$label: dkms install" "$(tail -n 8 "$log")"
	fi
	if dkms remove -m "$PKG" -v "$DKMS_VER" --all >>"$log" 2>&1 &&
		[ ! -e "/var/lib/dkms/$PKG/$DKMS_VER" ] &&
		[ -z "$(find "/lib/modules/$kver" -path '*/updates/*' -name "$MODULE.ko*" 2>/dev/null)" ]; then
		t_pass "$label: dkms remove --all (module and dkms tree entry gone)"
	else
		t_fail "$label: dkms remove --all" "$(tail -n 5 "$log")"
	fi
	dkms_finish
	if [ -n "$MADE_MODDIR" ]; then
		rm -rf "$MADE_MODDIR"
		MADE_MODDIR=
	fi
}

# ----------------------------------------------------------------- stock
test_stock() {
	local label=$1 kdir=$2 kver src log st

	kver=${KVER:-$(krelease "$kdir")}
	[ -n "$kver" ] || { t_fail "$label: kernel release of $kdir"; return; }
	if ! grep -qE '^CONFIG_HYPERV=[ym]' "$kdir/.config" 2>/dev/null; then
		t_skip "$label: refusal tests" "$kdir has no CONFIG_HYPERV"
		return
	fi
	src=$WORK/$label
	copy_source "$src"
	log=$LOGS/$label-make.log
	if (cd "$src" && make KDIR="$kdir" modules) >"$log" 2>&1; then
		t_fail "$label: make against $kver (CONFIG_HYPERV set) must stop"
	else
		t_pass "$label: make against $kver (CONFIG_HYPERV set) stops"
	fi
	if grep -q 'coexistence with in-kernel Hyper-V support is not implemented yet' "$log"; then
		t_pass "$label: ... with our reason"
	else
		t_fail "$label: ... with our reason" "$(tail -n 5 "$log")"
	fi

	dkms_prepare
	log=$LOGS/$label-dkms.log
	if dkms add -m "$PKG" -v "$DKMS_VER" >"$log" 2>&1; then
		t_pass "$label: dkms add"
	else
		t_fail "$label: dkms add" "$(tail -n 5 "$log")"
	fi
	dkms build -m "$PKG" -v "$DKMS_VER" -k "$kver" --kernelsourcedir "$kdir" \
		>>"$log" 2>&1
	st=$?
	if [ $st -eq 77 ] && grep -q 'BUILD_EXCLUSIVE' "$log"; then
		t_pass "$label: dkms build refuses (BUILD_EXCLUSIVE, exit 77)"
	else
		t_fail "$label: dkms build refuses (BUILD_EXCLUSIVE, exit 77)" \
			"exit $st; $(tail -n 5 "$log")"
	fi
	if grep -q "hyperv-ic: kernel $kver has its own Hyper-V support (CONFIG_HYPERV)" "$log"; then
		t_pass "$label: dkms says why (CONFIG_HYPERV)"
	else
		t_fail "$label: dkms says why (CONFIG_HYPERV)" "$(tail -n 5 "$log")"
	fi
	if dkms remove -m "$PKG" -v "$DKMS_VER" --all >>"$log" 2>&1 &&
		[ ! -e "/var/lib/dkms/$PKG/$DKMS_VER" ]; then
		t_pass "$label: dkms remove --all"
	else
		t_fail "$label: dkms remove --all" "$(tail -n 5 "$log")"
	fi
	dkms_finish
}

# ----------------------------------------------------------------- main
[ -n "$PKG_VERSION" ] || { t_fail "PACKAGE_VERSION in dkms.conf"; t_done; exit 1; }
ran=
if [ -n "${KIND:-}" ] && [ -n "${KDIR:-}" ]; then
	case $KIND in
	bare-*) test_bare "$KIND" "$KDIR" ;;
	stock-*) test_stock "$KIND" "$KDIR" ;;
	*) t_skip "build-module" "unknown kind $KIND" ;;
	esac
	ran=1
else
	unset KVER
	[ -n "${KDIR_BARE61:-}" ] && { test_bare bare-6.1 "$KDIR_BARE61"; ran=1; }
	[ -n "${KDIR_BARE612:-}" ] && { test_bare bare-6.12 "$KDIR_BARE612"; ran=1; }
	[ -n "${STOCK_HEADERS_61:-}" ] && { test_stock stock-6.1 "$STOCK_HEADERS_61"; ran=1; }
	[ -n "${STOCK_HEADERS_612:-}" ] && { test_stock stock-6.12 "$STOCK_HEADERS_612"; ran=1; }
fi
[ -n "$ran" ] || t_skip "build-module" "no kernel given (KIND+KDIR, or KDIR_BARE61/KDIR_BARE612/STOCK_HEADERS_61/STOCK_HEADERS_612)"
t_done
