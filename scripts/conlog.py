#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""conlog.py FIFO RAW LOG: record a guest console (python3 standard library).

Reads FIFO (QEMU's serial chardev, or its logfile=, writes there) until its
writer closes it, and writes, as the data arrives:
  RAW  every byte, unchanged (console.txt);
  LOG  the same text with "[SECONDS] " at the start of every line, SECONDS
       being the host's CLOCK_MONOTONIC when the line's first byte arrived
       (console.log; scripts/suites/lib.sh reads it).
Both files are flushed after every read, so a reader polling them sees the
console live.
"""

import os
import sys
import time


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: conlog.py FIFO RAW LOG\n")
        return 2
    fifo, raw_path, log_path = sys.argv[1:]
    with open(raw_path, "wb", buffering=0) as raw, \
            open(log_path, "wb", buffering=0) as log:
        fd = os.open(fifo, os.O_RDONLY)  # blocks until QEMU opens it
        at_bol = True
        while True:
            try:
                data = os.read(fd, 65536)
            except InterruptedError:
                continue
            if not data:
                break
            now = time.monotonic()
            raw.write(data)
            out = bytearray()
            for line in data.splitlines(keepends=True):
                if at_bol:
                    out += b"[%.6f] " % now
                out += line
                at_bol = line.endswith(b"\n")
            log.write(bytes(out))
        if not at_bol:
            log.write(b"\n")
        os.close(fd)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
