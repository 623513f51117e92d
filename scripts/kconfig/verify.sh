#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# verify.sh CONFIG FRAGMENT...: check that every line of the fragments stuck
# in the final CONFIG. "CONFIG_X=v" must appear verbatim; "# CONFIG_X is not
# set" must have no value. Kconfig silently drops options whose dependencies
# are unmet; this turns such a loss into a loud failure (exit 1, one line per
# lost option).

if [ $# -lt 2 ] || [ ! -f "$1" ]; then
	echo "usage: verify.sh CONFIG FRAGMENT..." >&2
	exit 2
fi

awk '
function split_kv(line) {
	eq = index(line, "=")
	key = substr(line, 1, eq - 1)
	val = substr(line, eq + 1)
}
FNR == NR {
	if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) {
		split_kv($0)
		have[key] = val
	}
	next
}
/^CONFIG_[A-Za-z0-9_]+=/ {
	split_kv($0)
	if (!(key in have)) {
		printf "%s: %s=%s requested, not set in the final .config\n", FILENAME, key, val
		bad++
	} else if (have[key] != val) {
		printf "%s: %s=%s requested, the final .config has %s\n", FILENAME, key, val, have[key]
		bad++
	}
	next
}
/^# CONFIG_[A-Za-z0-9_]+ is not set/ {
	if ($2 in have) {
		printf "%s: %s must be unset, the final .config has %s\n", FILENAME, $2, have[$2]
		bad++
	}
}
END { exit bad ? 1 : 0 }
' "$@" >&2
