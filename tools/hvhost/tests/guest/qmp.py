#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run QMP commands on a QEMU's QMP socket (python3 standard library only).

    qmp.py [--timeout S] [--raw] SOCKET COMMAND [COMMAND...]
    qmp.py [--timeout S] --serve SOCKET

Each COMMAND is a QMP command as JSON, e.g.
    '{"execute": "qom-get", "arguments": {"path": "/x", "property": "y"}}'
or a bare command name ("query-status").  For each one, in order, one line
goes to stdout: the JSON of its "return" value, or "ERROR: <desc>"; with
--raw, a string value is printed as it is (qom-get of a text property).
Events QEMU sends meanwhile are skipped.

--serve keeps one connection (made within 5 s, while QEMU starts)
and answers the commands it reads from stdin, one per line, with one line
each on stdout: the return value as JSON, or "ERROR: <desc>" (a script
that cannot afford a Python start per command runs it as a coprocess).

Exit status: 0 every command returned, 1 some command failed, 2 no QMP
connection (socket missing, QEMU gone, timeout).
"""

import json
import socket
import sys
import time


class QmpError(Exception):
    pass


class Qmp:
    def __init__(self, path, timeout, wait=False):
        self.timeout = timeout
        # QEMU makes its socket before the guest runs: a short wait
        self.deadline = time.monotonic() + min(timeout, 5.0)
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if not wait or time.monotonic() > self.deadline:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self.deadline = time.monotonic() + timeout
        greeting = self.read()
        if "QMP" not in greeting:
            raise QmpError("no QMP greeting")
        self.call({"execute": "qmp_capabilities"})

    def read(self):
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise QmpError("timeout")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise QmpError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, cmd):
        self.deadline = time.monotonic() + self.timeout
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self.read()
            if "event" in msg:
                continue
            if "return" in msg:
                return True, msg["return"]
            if "error" in msg:
                return False, msg["error"].get("desc", str(msg["error"]))


def parse(cmd):
    cmd = cmd.strip()
    return json.loads(cmd) if cmd.startswith("{") else {"execute": cmd}


def serve_stdin(path, timeout):
    try:
        q = Qmp(path, timeout, wait=True)
    except (OSError, ValueError, QmpError) as e:
        print("ERROR: no QMP connection: %s" % e, flush=True)
        return 2
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            ok, val = q.call(parse(line))
        except ValueError as e:
            print("ERROR: bad command: %s" % e, flush=True)
            continue
        except (OSError, QmpError) as e:
            print("ERROR: QMP connection lost: %s" % e, flush=True)
            return 2
        print(json.dumps(val) if ok else "ERROR: %s" % val, flush=True)
    return 0


def main(argv):
    timeout = 10.0
    raw = False
    serve = False
    while argv and argv[0].startswith("--"):
        if argv[0] == "--timeout" and len(argv) > 1:
            timeout = float(argv[1])
            argv = argv[2:]
        elif argv[0] == "--raw":
            raw = True
            argv = argv[1:]
        elif argv[0] == "--serve":
            serve = True
            argv = argv[1:]
        else:
            break
    if serve and len(argv) == 1:
        return serve_stdin(argv[0], timeout)
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, cmds = argv[0], argv[1:]
    try:
        cmds = [parse(c) for c in cmds]
    except ValueError as e:
        print("qmp.py: bad command: %s" % e, file=sys.stderr)
        return 2
    try:
        q = Qmp(path, timeout)
        status = 0
        for c in cmds:
            ok, val = q.call(c)
            if ok and raw and isinstance(val, str):
                print(val.rstrip("\n"))
            elif ok:
                print(json.dumps(val))
            else:
                print("ERROR: %s" % val)
                status = 1
        sys.stdout.flush()
        return status
    except (OSError, ValueError, QmpError) as e:
        print("qmp.py: %s: %s" % (path, e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
