#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-qemu.sh [-o FILE] [--plain]: provide hvhost, QEMU built from
# Debian's QEMU 10.0
# source package (trixie's "qemu", Debian's patch series applied by
# apt-get source) with our overlay laid over it:
#   tools/hvhost/qemu/     new files, at the paths they take in QEMU's tree
#   tools/hvhost/patches/  ordered diffs to QEMU's own files (*.patch, -p1)
# Prints shell assignments (to FILE with -o): QEMU= (the binary), QEMU_DATADIR=
# (its firmware directory, for -L), QEMU_PLUGINS= (directory of the TCG
# plugins built with it), QEMU_BUILD= (the build tree).
# hvhost is built with ASan and UBSan in the code that handles guest input
# (build-sanitizers/, bin/qemu-system-x86_64-sanitizers; sanitize-cc says
# which files): every test then also checks that nothing a guest does makes
# that code touch memory it should not (scripts/lib.sh sets
# ASAN_OPTIONS/UBSAN_OPTIONS so that the first report aborts QEMU). TCG
# itself is not instrumented, so a guest runs about as fast as on the plain
# build. --plain: the same QEMU without sanitizers (build/,
# bin/qemu-system-x86_64), for benchmarks.
#
# Cache: ${HYPERV_IC_CACHE:-/var/cache/hyperv-ic}/qemu/<debian-version>/:
#   orig/    the unpacked Debian source (never modified)
#   src/     orig + patches + overlay; updated file by file (by checksum), so
#            an edit to one overlay file rebuilds only what depends on it
#   build/   the meson/ninja tree, configured once per configure line
# A warm run with nothing changed runs ninja, which finds nothing to do.
# When Debian moves to a newer 10.0.x the key changes and a fresh tree is
# built; a patch that no longer applies stops the build, naming the patch.

set -eu -o pipefail

. "$(dirname "$0")/../../scripts/lib.sh"

out='' variant=-sanitizers
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	--plain) variant=''; shift ;;
	*) hvic_die "usage: build-qemu.sh [-o FILE] [--plain]" ;;
	esac
done

HV=$HVIC_TOP/tools/hvhost
SRCLIST=/etc/apt/sources.list.d/hyperv-ic.sources
QCACHE=$HVIC_CACHE/qemu

# Debian's archive: trixie's source packages (for qemu) and bookworm-backports
# binaries (meson >= 1.5, python3-pycotap) on top of the machine's bookworm.
setup_apt() {
	local want

	want="Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	if [ ! -f "$SRCLIST" ] || [ "$(cat "$SRCLIST")" != "$want" ]; then
		hvic_msg "adding $SRCLIST (trixie sources, bookworm-backports)"
		printf '%s\n' "$want" >"$SRCLIST"
		rm -f "$QCACHE/.apt-updated"
	fi
	mkdir -p "$QCACHE"
	# apt-get update once after the entry appears, and once a day.
	if [ -z "$(find "$QCACHE/.apt-updated" -mmin -1440 2>/dev/null)" ]; then
		apt-get update -qq >&2 || hvic_die "apt-get update failed"
		export HVIC_APT_UPDATED=1
		touch "$QCACHE/.apt-updated"
	fi
}

need_build_deps() {
	local bp=()

	hvic_need_pkgs dpkg-dev ninja-build pkg-config libglib2.0-dev zlib1g-dev \
		libslirp-dev libfdt-dev python3-venv flex bison gcc make ccache \
		seabios qemu-system-data rsync patch
	# meson and python3-pycotap: bookworm's are too old for QEMU 10.0.
	dpkg --compare-versions "$(dpkg-query -W -f='${Version}' meson 2>/dev/null || echo 0)" ge 1.5 ||
		bp+=(meson)
	dpkg-query -W -f='${Status}\n' python3-pycotap 2>/dev/null | grep -q 'ok installed' ||
		bp+=(python3-pycotap)
	if [ ${#bp[@]} -gt 0 ]; then
		hvic_msg "installing from bookworm-backports: ${bp[*]}"
		apt-get install -y -qq --no-install-recommends -t bookworm-backports \
			"${bp[@]}" >&2 || hvic_die "apt-get install -t bookworm-backports ${bp[*]} failed"
	fi
}

# The version apt-get source would fetch for qemu from trixie.
src_version() {
	apt-cache showsrc qemu 2>/dev/null | awk '
		/^Package: / { p = $2 }
		/^Version: / && p == "qemu" { print $2 }' |
		grep '^1:10\.0\.' | sort -V | tail -n 1
}

fetch_source() {
	local ver=$1 dir=$2 tmp

	[ -f "$dir/.complete" ] && return 0
	rm -rf "$dir"
	tmp=$(mktemp -d "$QCACHE/fetch.XXXXXX")
	hvic_msg "apt-get source qemu=$ver"
	(cd "$tmp" && apt-get source -qq "qemu=$ver" >&2) ||
		hvic_die "apt-get source qemu=$ver failed"
	mv "$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n 1)" "$dir"
	rm -rf "$tmp"
	touch "$dir/.complete"
}

# Lay patches and overlay over a copy of orig, then bring src up to it,
# touching only the files whose content changed.
prepare_src() {
	local orig=$1 src=$2 stage p

	stage=$(mktemp -d "$QCACHE/stage.XXXXXX")
	cp -a "$orig"/. "$stage"/
	for p in "$HV"/patches/*.patch; do
		[ -e "$p" ] || continue
		patch -s -p1 -N -d "$stage" <"$p" >&2 ||
			{ rm -rf "$stage"; hvic_die "patch ${p##*/} does not apply to qemu $ver"; }
	done
	if [ -d "$HV/qemu" ]; then
		cp -r "$HV/qemu"/. "$stage"/
	fi
	mkdir -p "$src"
	rsync -rlc --delete --exclude=/build "$stage"/ "$src"/ >&2
	rm -rf "$stage"
}

CONFIGURE=(--python=/usr/bin/python3 --target-list=x86_64-softmmu
	--without-default-features --without-default-devices
	--with-devices-x86_64=hvhost --enable-tcg --enable-kvm --enable-slirp
	--enable-fdt=system --enable-plugins --enable-hv-balloon --enable-werror
	--disable-docs --disable-install-blobs)

setup_apt
need_build_deps
ver=$(src_version)
[ -n "$ver" ] || hvic_die "no qemu 10.0.x source in trixie (apt-cache showsrc qemu)"
vdir=$QCACHE/$(printf '%s' "$ver" | tr '~+:' '___')
mkdir -p "$vdir"
exec 9>"$vdir/.lock"
flock 9
fetch_source "$ver" "$vdir/orig"
# The overlay's fingerprint: staging is skipped when nothing changed.
hash=$(cd "$HV" && find patches qemu -type f -print0 | sort -z |
	xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ "$(cat "$vdir/src/.overlay-hash" 2>/dev/null)" != "$hash" ]; then
	prepare_src "$vdir/orig" "$vdir/src"
	printf '%s\n' "$hash" >"$vdir/src/.overlay-hash"
fi

# The sanitized variant: ASan and UBSan where guest input is handled, by
# its compiler (sanitize-cc says which files and why), copied into the
# cache under its checksum so that the build tree never depends on where
# this checkout is
cc="ccache gcc" conf="${CONFIGURE[*]}"
if [ -n "$variant" ]; then
	cc=$vdir/sanitize-cc-$(sha256sum "$HV/sanitize-cc" | cut -c1-16)
	[ -x "$cc" ] || install -m 755 "$HV/sanitize-cc" "$cc"
	conf="$conf CC=$cc"
fi
build=$vdir/build$variant
if [ ! -f "$build/build.ninja" ] || [ "$(cat "$build/.configure" 2>/dev/null)" != "$conf" ]; then
	rm -rf "$build"
	mkdir -p "$build"
	hvic_msg "configuring qemu $ver"
	(cd "$build" && CC=$cc ../src/configure "${CONFIGURE[@]}" >&2) ||
		hvic_die "configure failed"
	printf '%s' "$conf" >"$build/.configure"
fi
hvic_msg "building qemu $ver (ninja)"
t0=$(date +%s)
# the emulator, and the instruction-count plugin the benchmarks use
ninja -C "$build" qemu-system-x86_64 tests/tcg/plugins/libinsn.so >&2 ||
	hvic_die "qemu build failed"
hvic_msg "qemu built in $(($(date +%s) - t0)) s"
# sanitize-cc picks files by the path after -c: should meson ever pass
# them otherwise, the tests would run unchecked without a word, so the
# VMBus server's object must carry ASan's and UBSan's calls
if [ -n "$variant" ]; then
	o=$build/libqemu-x86_64-softmmu.a.p/hw_hyperv_vmbus.c.o
	syms=$(nm -u "$o" 2>/dev/null) || hvic_die "no $o to check the sanitizers in"
	if ! grep -q '__asan_report' <<<"$syms" || ! grep -q '__ubsan_handle' <<<"$syms"; then
		hvic_die "$o is not instrumented: sanitize-cc no longer recognises QEMU's compile commands"
	fi
fi

# ninja relinks in place: tests run a copy, replaced atomically when it
# changed, so a rebuild never pulls the binary from under a running QEMU.
bin=$vdir/bin
mkdir -p "$bin"
exe=qemu-system-x86_64$variant
if ! cmp -s "$build/qemu-system-x86_64" "$bin/$exe"; then
	cp "$build/qemu-system-x86_64" "$bin/.$exe.new"
	mv -f "$bin/.$exe.new" "$bin/$exe"
fi

# Firmware from Debian's packages: SeaBIOS (seabios) and the option ROMs
# -kernel needs (qemu-system-data; their fw_cfg interface is stable).
fw=$vdir/firmware
mkdir -p "$fw"
for f in /usr/share/seabios/bios-256k.bin /usr/share/seabios/bios.bin \
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin \
	/usr/share/qemu/multiboot_dma.bin /usr/share/qemu/kvmvapic.bin \
	/usr/share/qemu/pvh.bin; do
	[ -e "$f" ] || hvic_die "firmware $f missing"
	cp -f "$f" "$fw"/
done

envtxt="QEMU=$bin/$exe
QEMU_DATADIR=$fw
QEMU_PLUGINS=$build/tests/tcg/plugins
QEMU_BUILD=$build
QEMU_VERSION=$ver"
if [ -n "$out" ]; then
	printf '%s\n' "$envtxt" >"$out"
else
	printf '%s\n' "$envtxt"
fi
