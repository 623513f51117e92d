# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the hyperv-ic test scripts. Source it; do not run it.

HVIC_TOP=${HVIC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
HVIC_CACHE=${HYPERV_IC_CACHE:-/var/cache/hyperv-ic}
export HVIC_TOP HVIC_CACHE

hvic_msg() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
hvic_die() { hvic_msg "error: $*"; exit 1; }

# hvic_need_pkgs PKG...: apt-get install the packages that are not installed.
# "apt-get update" runs at most once per process tree (HVIC_APT_UPDATED) and
# only when something is missing.
hvic_need_pkgs() {
	local p missing=()

	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || hvic_die "missing packages (${missing[*]}), run as root"
	hvic_msg "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if [ -z "${HVIC_APT_UPDATED:-}" ]; then
		apt-get update -qq >&2 || hvic_die "apt-get update failed"
		export HVIC_APT_UPDATED=1
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		hvic_die "apt-get install ${missing[*]} failed"
}

# Packages every part of the test machinery uses.
HVIC_BASE_PKGS="build-essential bc flex bison libelf-dev libssl-dev ccache
	xz-utils zstd cpio gzip kmod busybox-static util-linux coreutils
	findutils"

# hvic_need_kvm WHO: exit 1 with one plain line when there is no KVM.
hvic_need_kvm() {
	if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "$1: /dev/kvm not available: hvhost needs KVM"
		exit 1
	fi
}

# hvic_kvm_hw: true when /dev/kvm runs guests with hardware virtualization
# (VMX or SVM), false on kvm-pvm, which emulates guest kernel code.
hvic_kvm_hw() {
	[ -d /sys/module/kvm_pvm ] || return 0
	grep -qwE 'vmx|svm' /proc/cpuinfo
}

# HVIC_HVHOST in the environment: test with that binary, do not build one.
HVIC_HVHOST_GIVEN=${HVIC_HVHOST:+1}
HVIC_HVHOST=${HVIC_HVHOST:-$HVIC_TOP/tools/hvhost/hvhost}
HVIC_HVCTL=${HVIC_HVCTL:-$HVIC_TOP/tools/hvhost/hvctl}

# The command line every test guest gets: output from the first instructions
# on (earlyprintk), and any oops, warning or KASAN report panics; a panic
# resets the VM at once (hvhost exits 120).
# Where KVM emulates guest kernel code (kvm-pvm), guests run orders of
# magnitude slower than native; the lockup detectors must not mistake that
# for a hang: soft lockup after 120 s (watchdog_thresh=60), RCU stalls
# after 300 s, hung tasks after 600 s. Real hangs still end at the run's
# hard timeout.
HVIC_BASE_APPEND="console=ttyS0 earlyprintk=serial,ttyS0 panic_on_warn=1 oops=panic panic=-1 watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300 sysctl.kernel.hung_task_timeout_secs=600"

# hvic_build_modules KDIR DIR LOG: build our modules against KDIR in a copy of
# the source tree at DIR (objects for different kernels never mix, the
# developer's tree stays clean). Prints nothing; 0 on success, 2 when the
# tree has no Kbuild yet (no modules to build), 1 on failure.
hvic_build_modules() {
	local kdir=$1 dir=$2 log=$3

	[ -f "$HVIC_TOP/Kbuild" ] || return 2
	mkdir -p "$dir"
	rsync -a --delete --exclude=/.git --exclude=/logs --exclude=/tools \
		--exclude=/scripts --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		"$HVIC_TOP"/ "$dir"/ >"$log" 2>&1 || return 1
	make -C "$dir" KDIR="$kdir" -j"$(nproc)" modules >>"$log" 2>&1 || return 1
}

# hvic_image OUT KERNEL_ENV SUITE_DIR UPDATES_DIR MODULES BINARIES
hvic_image() {
	"$HVIC_TOP/scripts/mkinitramfs.sh" -k "$2" -o "$1" ${3:+-s "$3"} \
		${4:+-u "$4"} -m "$5" -b "$6"
}
