#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Guest instructions per function, from bench/profile/insnprof.c's blocks.

  symbolize.py --map System.map [--console CONSOLE] [--base BASE
               [--base-console CONSOLE]] [--per N] [--top K] [--tsv FILE]
               PROFILE
      one column: the functions that ran most instructions in PROFILE
      (minus BASE, a profile of the same kernel's baseline boot, with its
      own console: modules may load elsewhere), divided by N (the
      workload's I/Os); --tsv writes every function, for --diff
  symbolize.py [--top K] --diff A.tsv B.tsv
      two such columns (their --tsv output) side by side, sorted by what
      A runs more than B

The kernel's own symbols come from its System.map; those of modules from
the guest console's "KSYM ADDRESS TYPE NAME [MODULE]" lines (its
/proc/kallsyms, printed by bench/storage/guest.sh with bench.profile=1),
and the console's "KSYM ADDRESS T _stext" line gives the offset of a
relocated kernel.  A block counts for the function its first instruction
is in; user space counts as one line, "[user]".
"""
import argparse
import bisect
import re
import sys

KERNEL_START = 0xFFFF800000000000


def read_symbols(map_path, console_path):
    """Sorted (address, name) text symbols of the kernel and its modules"""
    syms = []
    with open(map_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
    offset = 0
    if console_path:
        stext = dict((n, a) for a, n in syms).get("_stext")
        ksym = re.compile(r"KSYM ([0-9a-f]+) ([tTwW]) (\S+)(?:\s+\[(\S+)\])?")
        with open(console_path, errors="replace") as f:
            for line in f:
                m = ksym.search(line)
                if not m:
                    continue
                addr, name, mod = int(m.group(1), 16), m.group(3), m.group(4)
                if mod:
                    syms.append((addr, f"{name} [{mod}]"))
                elif name == "_stext" and stext is not None and addr:
                    offset = addr - stext
    if offset:
        syms = [(a + offset, n) if "[" not in n else (a, n) for a, n in syms]
    syms.sort()
    return syms


def read_profile(path):
    """{block address: instructions executed}"""
    blocks = {}
    with open(path) as f:
        for line in f:
            addr, _, n = line.split()
            a = int(addr, 16)
            blocks[a] = blocks.get(a, 0) + int(n)
    return blocks


def per_function(blocks, syms):
    addrs = [a for a, _ in syms]
    funcs = {}
    for addr, n in blocks.items():
        if addr < KERNEL_START:
            name = "[user]"
        else:
            i = bisect.bisect_right(addrs, addr) - 1
            name = syms[i][1] if i >= 0 else "[kernel, unknown]"
        funcs[name] = funcs.get(name, 0) + n
    return funcs


def one_column(args):
    syms = read_symbols(args.map, args.console)
    funcs = per_function(read_profile(args.profile), syms)
    if args.base:
        base_syms = read_symbols(args.map, args.base_console or args.console)
        base = per_function(read_profile(args.base), base_syms)
        for name, n in base.items():
            funcs[name] = funcs.get(name, 0) - n
    total = sum(funcs.values())
    rows = sorted(funcs.items(), key=lambda kv: -kv[1])
    if args.tsv:
        with open(args.tsv, "w") as f:
            for name, n in rows:
                f.write(f"{n / args.per:.1f}\t{name}\n")
    print(f"{total / args.per:12.1f}  all (per {args.per:g})")
    for name, n in rows[: args.top]:
        print(f"{n / args.per:12.1f}  {name}")


def diff(args):
    cols = []
    for path in args.diff:
        col = {}
        with open(path) as f:
            for line in f:
                n, name = line.rstrip("\n").split("\t", 1)
                col[name] = float(n)
        cols.append(col)
    a, b = cols
    names = set(a) | set(b)
    rows = sorted(names, key=lambda k: -(a.get(k, 0) - b.get(k, 0)))
    print(f"{'A':>10} {'B':>10} {'A-B':>10}  function")
    print(f"{sum(a.values()):10.1f} {sum(b.values()):10.1f} "
          f"{sum(a.values()) - sum(b.values()):10.1f}  all")
    shown = rows[: args.top] + rows[-args.top:][::-1]
    for k in dict.fromkeys(shown):
        print(f"{a.get(k, 0):10.1f} {b.get(k, 0):10.1f} "
              f"{a.get(k, 0) - b.get(k, 0):10.1f}  {k}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--map")
    p.add_argument("--console")
    p.add_argument("--base")
    p.add_argument("--base-console")
    p.add_argument("--per", type=float, default=1.0)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--tsv")
    p.add_argument("--diff", nargs=2, metavar=("A.tsv", "B.tsv"))
    p.add_argument("profile", nargs="?")
    args = p.parse_args()
    if args.diff:
        diff(args)
    elif args.map and args.profile:
        one_column(args)
    else:
        p.error("give --map and PROFILE, or --diff A.tsv B.tsv")

if __name__ == "__main__":
    sys.exit(main())
