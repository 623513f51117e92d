#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh [-o FILE] KIND
#
# Provide a test kernel, building or fetching it into the cache on first use.
# KIND is one of:
#   bare-6.1, bare-6.12    allnoconfig + scripts/kconfig/bare*.config debug
#                          kernels (CONFIG_HYPERV=n) built from the Debian
#                          linux-source-6.x tarball
#   stock-6.1, stock-6.12  Debian's signed images (newest linux-image-amd64 /
#                          linux-image-6.12-amd64) and their headers, unpacked
#                          with dpkg-deb -x, never installed
#   bench-6.12             for benchmarks only (bench/, never make check): the
#                          bare kernel without bare.config's "# --- debugging"
#                          section, plus scripts/kconfig/bench.config (debug
#                          options checked off, virtio-blk/-scsi as modules)
#   bench-6.12-hyperv      the same plus scripts/kconfig/bench-hyperv.config:
#                          the kernel's own Hyper-V drivers as modules
#                          (CONFIG_HYPERV=m), upstream's side of an A/B run
# Prints shell assignments (to FILE with -o):
#   KIND=  KVER=  BZIMAGE=  MODDIR= (.../lib/modules/KVER)  MODROOT= (the root
#   MODDIR is under)  KDIR= (tree for out-of-tree module builds: the O= object
#   directory for bare kernels, the unpacked linux-headers-KVER for stock)
#
# Cache: ${HYPERV_IC_CACHE:-/var/cache/hyperv-ic}/kernels/<KIND>-<key>, where
# the key covers the Debian package version, the config fragments, the
# compiler version and this script's build recipe. (bench kinds hash the
# effective fragment they build from, see bench_fragment; the bare kinds'
# key is computed as it always was.) An entry is valid only once
# its kernel.env exists; kernel.env is written last, by rename, so an
# interrupted build is never taken for a finished one (it is wiped and redone).
# The build cannot happen in a temporary directory renamed afterwards because
# Kbuild records the absolute (symlink-resolved) source and object paths in the
# object tree (Makefile, "source" link, .cmd files) that M= builds use.

set -eu -o pipefail

. "$(dirname "$0")/lib.sh"

RECIPE=2	# bump when the build steps change: invalidates cached kernels

out=
if [ "${1:-}" = -o ]; then
	out=$2
	shift 2
fi
[ $# -eq 1 ] || hvic_die "usage: kernel.sh [-o FILE] bare-6.1|bare-6.12|stock-6.1|stock-6.12|bench-6.12|bench-6.12-hyperv"
kind=$1
case $kind in
bare-6.1 | bare-6.12 | stock-6.1 | stock-6.12 | bench-6.12 | bench-6.12-hyperv) ;;
*) hvic_die "unknown kernel kind '$kind'" ;;
esac
ver=${kind#*-}
ver=${ver%-hyperv}

mkdir -p "$HVIC_CACHE/kernels"

pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null
}

# A package version made safe for a path (no '~', '+', ':').
path_safe() {
	printf '%s' "$1" | tr '~+:' '___'
}

# Take the per-kind lock for the rest of the run: parallel callers (two
# suites, two helpers) wait for one build instead of doing it twice.
lock() {
	exec 9>"$HVIC_CACHE/kernels/.$kind.lock"
	if ! flock -n 9; then
		hvic_msg "$kind: waiting for another build to finish"
		flock 9
	fi
}

emit() {
	local env=$1

	if [ -n "$out" ]; then
		cp "$env" "$out"
	else
		cat "$env"
	fi
}

# Remove the other entries of this kind (older keys, interrupted builds).
prune() {
	local keep=$1 d

	# [0-9]: bench-6.12-* must not take in bench-6.12-hyperv-*
	for d in "$HVIC_CACHE/kernels/$kind"-[0-9]*; do
		[ -e "$d" ] || continue
		[ "$d" = "$keep" ] && continue
		hvic_msg "$kind: removing stale cache entry ${d##*/}"
		rm -rf "$d"
	done
}

# Write kernel.env into $entry, atomically.
commit() {
	local entry=$1 kver=$2 bzimage=$3 modroot=$4 kdir=$5

	cat >"$entry/kernel.env.tmp" <<EOT
KIND=$kind
KVER=$kver
BZIMAGE=$bzimage
MODROOT=$modroot
MODDIR=$modroot/lib/modules/$kver
KDIR=$kdir
EOT
	sync -f "$entry/kernel.env.tmp" 2>/dev/null || sync
	mv "$entry/kernel.env.tmp" "$entry/kernel.env"
}

# bench_fragment FRAGMENT...: one fragment on stdout from the bare ones and
# the bench ones: bare.config's "# --- debugging" section (up to the next
# "# --- " heading) dropped, and where several fragments set one option the
# last one wins (merge_config.sh would take the last too, but verify.sh
# would then flag the earlier line as lost).
bench_fragment() {
	awk '
	FNR == 1 { skip = 0 }
	FILENAME ~ /\/bare\.config$/ && /^# --- / { skip = /^# --- debugging/ }
	skip { next }
	/^CONFIG_[A-Za-z0-9_]+=/ { sym = substr($0, 1, index($0, "=") - 1) }
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ { sym = $2 }
	/^CONFIG_[A-Za-z0-9_]+=/ || /^# CONFIG_[A-Za-z0-9_]+ is not set/ {
		if (sym in at)
			line[at[sym]] = ""
		at[sym] = ++n
		line[n] = $0
	}
	END { for (i = 1; i <= n; i++) if (line[i] != "") print line[i] }
	' "$@"
}

# build_bare: the bare and bench kinds, built from linux-source-<ver>.
build_bare() {
	local tarball=/usr/src/linux-source-$ver.tar.xz
	local frags=("$HVIC_TOP/scripts/kconfig/bare.config")
	local srcver key entry src obj kver t0 t1 benchfrag=

	[ -f "$HVIC_TOP/scripts/kconfig/bare-$ver.config" ] &&
		frags+=("$HVIC_TOP/scripts/kconfig/bare-$ver.config")
	hvic_need_pkgs $HVIC_BASE_PKGS "linux-source-$ver"
	[ -f "$tarball" ] || hvic_die "$tarball missing after installing linux-source-$ver"

	srcver=$(pkg_version "linux-source-$ver")
	if [ "${kind%%-*}" = bench ]; then
		frags+=("$HVIC_TOP/scripts/kconfig/bench.config")
		[ "${kind%-hyperv}" != "$kind" ] &&
			frags+=("$HVIC_TOP/scripts/kconfig/bench-hyperv.config")
		benchfrag=$(bench_fragment "${frags[@]}")
		key=$({
			echo "recipe $RECIPE"
			echo "source $srcver"
			echo "kind $kind"
			gcc --version | head -n1
			printf '%s\n' "$benchfrag"
		} | sha256sum | cut -c1-12)
	else
		key=$({
			echo "recipe $RECIPE"
			echo "source $srcver"
			gcc --version | head -n1
			cat "${frags[@]}"
		} | sha256sum | cut -c1-12)
	fi
	entry=$HVIC_CACHE/kernels/$kind-$(path_safe "$srcver")-$key
	if [ -f "$entry/kernel.env" ]; then
		emit "$entry/kernel.env"
		return
	fi
	lock
	if [ -f "$entry/kernel.env" ]; then	# built while we waited
		emit "$entry/kernel.env"
		return
	fi

	prune "$entry"
	rm -rf "$entry"
	mkdir -p "$entry"
	src=$entry/src
	obj=$entry/obj
	# ARCH=x86_64, not the default ARCH=x86: with ARCH=x86, allnoconfig
	# answers "64-bit kernel" with n and the 32-bit defaults of int/hex
	# options (FRAME_WARN=1024, ...) survive the later switch to 64BIT=y.
	kmake() { make -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" "$@"; }
	export CCACHE_DIR=$HVIC_CACHE/ccache
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_BASEDIR=$entry
	export KBUILD_BUILD_USER=hyperv-ic KBUILD_BUILD_HOST=hyperv-ic
	t0=$(date +%s)
	hvic_msg "$kind: cold build of linux-source-$ver $srcver (key $key) in $entry"
	mkdir -p "$src" "$obj"
	tar -xf "$tarball" -C "$src" --strip-components=1
	if [ -n "$benchfrag" ]; then
		printf '%s\n' "$benchfrag" >"$entry/bench.config"
		frags=("$entry/bench.config")
	fi

	{
		kmake allnoconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}"
		kmake olddefconfig
	} >"$entry/config.log" 2>&1 || {
		tail -n 30 "$entry/config.log" >&2
		hvic_die "$kind: configuration failed (see $entry/config.log)"
	}
	"$HVIC_TOP/scripts/kconfig/verify.sh" "$obj/.config" "${frags[@]}" ||
		hvic_die "$kind: the final .config lost requested options (above)"
	case $kind in
	*-hyperv)
		grep -Eqx 'CONFIG_HYPERV=[my]' "$obj/.config" ||
			hvic_die "$kind: CONFIG_HYPERV is not m or y in $obj/.config"
		;;
	*)
		grep -qx '# CONFIG_HYPERV is not set' "$obj/.config" ||
			hvic_die "$kind: CONFIG_HYPERV is not off in $obj/.config"
		;;
	esac

	kmake -j"$(nproc)" bzImage modules \
		>"$entry/build.log" 2>&1 || {
		tail -n 40 "$entry/build.log" >&2
		hvic_die "$kind: kernel build failed (see $entry/build.log)"
	}
	kmake INSTALL_MOD_PATH="$entry/modroot" \
		modules_install >"$entry/install.log" 2>&1 || {
		tail -n 20 "$entry/install.log" >&2
		hvic_die "$kind: modules_install failed (see $entry/install.log)"
	}
	kver=$(cat "$obj/include/config/kernel.release")
	cp "$obj/arch/x86/boot/bzImage" "$entry/bzImage"
	t1=$(date +%s)
	echo "$((t1 - t0))" >"$entry/build-seconds"
	hvic_msg "$kind: built $kver in $((t1 - t0)) s"
	commit "$entry" "$kver" "$entry/bzImage" "$entry/modroot" "$obj"
	emit "$entry/kernel.env"
}

# "PACKAGE VERSION" of the newest image package of a stock kind, from the
# Depends of the meta package (linux-image-amd64 -> linux-image-6.1.0-N-amd64
# (= VERSION)).
stock_image_pkg() {
	local meta

	case $ver in
	6.1) meta=linux-image-amd64 ;;
	6.12) meta=linux-image-6.12-amd64 ;;
	esac
	apt-cache show --no-all-versions "$meta" 2>/dev/null |
		awk -F': ' '/^Depends:/ { print $2; exit }' | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[^ ]*\) *(= *\([^)]*\)).*/\1 \2/p' | head -n1
}

pkg_deps() {	# package-names of Depends matching a regex
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		awk -F': ' '/^Depends:/ { print $2; exit }' |
		tr ',|' '\n\n' | sed 's/ *(.*//; s/^ *//' | grep -E "$2" | sort -u
}

build_stock() {
	local img hdr imgver key entry root debs d p kver t0 t1 kdir res

	# dwarves: pahole, which M= builds against 6.12 headers run (BTF).
	hvic_need_pkgs apt xz-utils zstd kmod dwarves
	res=$(stock_image_pkg)
	if [ -z "$res" ]; then
		# Package lists may be absent on a fresh machine.
		if [ -z "${HVIC_APT_UPDATED:-}" ]; then
			apt-get update -qq >&2 || hvic_die "apt-get update failed"
			export HVIC_APT_UPDATED=1
			res=$(stock_image_pkg)
		fi
		[ -n "$res" ] || hvic_die "$kind: cannot resolve the image package via apt"
	fi
	read -r img imgver <<<"$res"
	kver=${img#linux-image-}
	hdr=linux-headers-$kver
	key=$(printf 'recipe %s\n%s %s\n' "$RECIPE" "$img" "$imgver" | sha256sum | cut -c1-12)
	entry=$HVIC_CACHE/kernels/$kind-$(path_safe "$imgver")-$key
	if [ -f "$entry/kernel.env" ]; then
		emit "$entry/kernel.env"
		return
	fi
	lock
	if [ -f "$entry/kernel.env" ]; then
		emit "$entry/kernel.env"
		return
	fi

	prune "$entry"
	rm -rf "$entry"
	mkdir -p "$entry/debs" "$entry/root"
	t0=$(date +%s)
	debs=("$img" "$hdr")
	for p in $(pkg_deps "$hdr" '^linux-(headers|kbuild)-'); do
		debs+=("$p")
	done
	hvic_msg "$kind: downloading ${debs[*]}"
	(cd "$entry/debs" && apt-get download -q -o APT::Sandbox::User=root "${debs[@]}" >&2) ||
		hvic_die "$kind: apt-get download failed"
	root=$entry/root
	for d in "$entry"/debs/*.deb; do
		dpkg-deb -x "$d" "$root"
	done
	# Debian's headers Makefile includes the -common tree by absolute path.
	kdir=$root/usr/src/linux-headers-$kver
	[ -f "$kdir/Makefile" ] || hvic_die "$kind: no $kdir/Makefile in the headers package"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	# Modules may live under /lib or /usr/lib (merged /usr).
	if [ -d "$root/lib/modules/$kver" ]; then
		modroot=$root
	elif [ -d "$root/usr/lib/modules/$kver" ]; then
		modroot=$root/usr
	else
		hvic_die "$kind: no lib/modules/$kver in the image package"
	fi
	[ -f "$root/boot/vmlinuz-$kver" ] || hvic_die "$kind: no /boot/vmlinuz-$kver"
	ln -sfn "$kdir" "$modroot/lib/modules/$kver/build"
	# Debian ships modules.dep etc. only after depmod at install time.
	depmod -b "$modroot" "$kver"
	rm -rf "$entry/debs"
	t1=$(date +%s)
	hvic_msg "$kind: unpacked $kver in $((t1 - t0)) s"
	commit "$entry" "$kver" "$root/boot/vmlinuz-$kver" "$modroot" "$kdir"
	emit "$entry/kernel.env"
}

case $kind in
bare-* | bench-*) build_bare ;;
stock-*) build_stock ;;
esac
