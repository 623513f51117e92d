#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh -k KERNEL_ENV -o OUT.cpio.gz [-s SUITE_DIR] [-u UPDATES_DIR]
#                [-m "MODULES"] [-M "MODULES"] [-b "BINARIES"] [-x FILE]...
#
# Build a test initramfs (gzip'd newc cpio):
#   - busybox-static and its applet links, /init from scripts/guest/init
#   - the static helpers of scripts/guest (hvexit, hvclock, ...) in /usr/bin
#     and the TAP library in /lib/hvtest/tap.sh
#   - SUITE_DIR's files (guest.sh, ...) in /suite; /suite/modules lists the
#     MODULES init modprobes, in order (built-in ones dropped)
#   - the MODULES and everything they depend on, from the kernel's MODDIR
#     (KERNEL_ENV is the output of kernel.sh) and from UPDATES_DIR (our own
#     modules, built against KDIR; installed under lib/modules/KVER/updates,
#     which wins over the kernel's own copy), then depmod -b on the image tree.
#     .ko.xz/.ko.zst/.ko.gz are decompressed: the initramfs is compressed as a
#     whole anyway, and busybox's modprobe then needs no decompressor.
#   - the -M MODULES (and their dependencies) in the image too, but not in
#     /suite/modules: the suite modprobes them itself (to see a load fail,
#     or to load them at a moment of its choosing)
#   - BINARIES (names or paths of host programs) with their shared libraries
#   - extra files (-x FILE, copied to /usr/bin)

set -eu -o pipefail

. "$(dirname "$0")/lib.sh"

kenv='' out='' suite='' updates='' modules='' image_modules='' binaries='' extras=()
while getopts k:o:s:u:m:M:b:x: opt; do
	case $opt in
	k) kenv=$OPTARG ;;
	o) out=$OPTARG ;;
	s) suite=$OPTARG ;;
	u) updates=$OPTARG ;;
	m) modules=$OPTARG ;;
	M) image_modules=$OPTARG ;;
	b) binaries=$OPTARG ;;
	x) extras+=("$OPTARG") ;;
	*) hvic_die "usage: mkinitramfs.sh -k KERNEL_ENV -o OUT [-s SUITE] [-u UPDATES] [-m MODULES] [-M MODULES] [-b BINARIES] [-x FILE]" ;;
	esac
done
[ -n "$kenv" ] && [ -n "$out" ] || hvic_die "-k KERNEL_ENV and -o OUT are required"

hvic_need_pkgs busybox-static cpio gzip kmod xz-utils zstd build-essential

KVER='' MODDIR=''
# shellcheck disable=SC1090
. "$kenv"
[ -n "$KVER" ] && [ -d "$MODDIR" ] || hvic_die "$kenv: no KVER/MODDIR"

make -s -C "$HVIC_TOP/scripts/guest" >&2

tree=$(mktemp -d "${TMPDIR:-/tmp}/hvic-initramfs.XXXXXX")
trap 'rm -rf "$tree"' EXIT

mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,lib/hvtest,proc,sys,dev,tmp,run,root,etc,suite}
mkdir -p "$tree/lib/modules/$KVER"
# The kernel needs /dev/console to give init its stdio.
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 "$tree/dev/console" c 5 1
	mknod -m 666 "$tree/dev/null" c 1 3
fi
ln -s lib "$tree/lib64"

# busybox and its applets (never over a file already there)
cp /bin/busybox "$tree/bin/busybox"
busybox --list-full | while read -r applet; do
	[ -e "$tree/$applet" ] || [ -L "$tree/$applet" ] ||
		ln -s /bin/busybox "$tree/$applet"
done

install -m 755 "$HVIC_TOP/scripts/guest/init" "$tree/init"
install -m 644 "$HVIC_TOP/scripts/guest/tap.sh" "$tree/lib/hvtest/tap.sh"
for f in "$HVIC_TOP"/scripts/guest/bin/*; do
	install -m 755 "$f" "$tree/usr/bin/${f##*/}"
done
for f in ${extras[@]+"${extras[@]}"}; do
	install -m 755 "$f" "$tree/usr/bin/${f##*/}"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tree/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$tree/etc/group"
printf 'export PS1="hvtest:\\w# "\n' >"$tree/etc/profile"

if [ -n "$suite" ]; then
	# -L: a suite may link files from elsewhere in the tree (selftests/)
	cp -RL --preserve=mode,timestamps "$suite"/. "$tree/suite/"
	chmod -R a+rX "$tree/suite"
fi

# ---- shared libraries of host binaries
copy_with_libs() {
	local bin=$1 lib

	case $bin in
	/*) ;;
	*) bin=$(command -v "$bin") || hvic_die "binary '$1' not found" ;;
	esac
	[ -e "$tree$bin" ] || { mkdir -p "$tree$(dirname "$bin")" && cp -L "$bin" "$tree$bin"; }
	ldd "$bin" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' | while read -r lib; do
		[ -e "$tree$lib" ] && continue
		mkdir -p "$tree$(dirname "$lib")"
		cp -L "$lib" "$tree$lib"
	done
}
for b in $binaries; do
	copy_with_libs "$b"
done

# ---- modules
imgmod=$tree/lib/modules/$KVER
declare -A modpath=()	# module name (with '_') -> file, relative to MODDIR or abs
declare -A builtin=()
declare -A done_mod=()

if [ -f "$MODDIR/modules.dep" ]; then
	while IFS=: read -r path _; do
		n=${path##*/}
		n=${n%%.ko*}
		modpath[${n//-/_}]=$MODDIR/$path
	done <"$MODDIR/modules.dep"
fi
if [ -f "$MODDIR/modules.builtin" ]; then
	while read -r path; do
		n=${path##*/}
		n=${n%%.ko*}
		builtin[${n//-/_}]=1
	done <"$MODDIR/modules.builtin"
fi
if [ -n "$updates" ]; then
	mkdir -p "$imgmod/updates"
	while IFS= read -r -d '' f; do
		n=${f##*/}
		n=${n%.ko}
		cp "$f" "$imgmod/updates/"
		modpath[${n//-/_}]=$imgmod/updates/${f##*/}
	done < <(find "$updates" -name '*.ko' -print0)
fi

# Copy module NAME and, first, what it depends on.
add_module() {
	local n f rel dst deps d

	n=${1//-/_}
	[ -n "${done_mod[$n]:-}" ] && return 0
	done_mod[$n]=1
	if [ -n "${builtin[$n]:-}" ]; then
		return 0
	fi
	f=${modpath[$n]:-}
	[ -n "$f" ] || hvic_die "module '$1' is neither in $MODDIR nor in ${updates:-the updates}"
	deps=$(modinfo -F depends "$f" 2>/dev/null | tr ',' ' ')
	for d in $deps; do
		add_module "$d"
	done
	case $f in
	"$imgmod"/*) return 0 ;;	# one of ours, already in place
	esac
	rel=${f#"$MODDIR"/}
	dst=$imgmod/$rel
	mkdir -p "$(dirname "$dst")"
	case $f in
	*.ko.xz) xz -dc "$f" >"${dst%.xz}" ;;
	*.ko.zst) zstd -qdc "$f" >"${dst%.zst}" ;;
	*.ko.gz) gzip -dc "$f" >"${dst%.gz}" ;;
	*) cp "$f" "$dst" ;;
	esac
}

: >"$tree/suite/modules"
for m in $modules; do
	add_module "$m"
	[ -n "${builtin[${m//-/_}]:-}" ] || echo "$m" >>"$tree/suite/modules"
done
for m in $image_modules; do
	add_module "$m"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$imgmod/"
done
depmod -b "$tree" "$KVER"

mkdir -p "$(dirname "$out")"
(cd "$tree" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
