#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp.py: a small QMP client for the test scripts (python3 standard library).

  qmp.py [OPTIONS] SOCK COMMAND [ARG...]   run a QMP command, print its return
                                          as JSON
  qmp.py [OPTIONS] SOCK --hmp 'info ...'   run a human monitor command, print
                                          its text
  qmp.py [OPTIONS] SOCK --events           print every event as one JSON line
                                          until QEMU closes the socket
  qmp.py [OPTIONS] SOCK --wait EVENT[,EVENT...]
                                          wait for one of the events, print it
                                          as JSON
  qmp.py [OPTIONS] SOCK --serve            keep one connection, run each
                                          command read from stdin, print one
                                          line for it (see below)

ARG: one JSON object ('{"path": "/objects/hvtest", "property": "state"}'),
or NAME=STRING and NAME:=JSON pairs (path=/objects/hvtest property=state;
value:=true).
OPTIONS:
  -t SEC  give up SEC seconds after connecting (default: 60 for a command,
          none for --events and --wait); with --serve, SEC for each command
          (default 60)
  -c SEC  keep trying to connect for SEC seconds while the socket is missing,
          refuses or is busy (default 10): QEMU may still be starting, or
          serving another client
  -r      print a string return as raw text, not as a JSON string
Each event line is QEMU's event with "host_monotonic" added: the host's
CLOCK_MONOTONIC seconds when it arrived (the time base of console.log).
Exit status: 0 done (--events: QEMU closed the socket); 1 QMP error (message
on stderr), or --wait/--events ran out of time or QEMU went away first;
2 usage error or no connection.

--serve is for a script that cannot afford a Python start per command (a
second or so on a loaded machine): it runs qmp.py as a coprocess. Each
line on stdin is a QMP request as JSON ('{"execute": "qom-get",
"arguments": {...}}'), or COMMAND [ARG...] as on the command line (a bare
"query-status"); blank lines are skipped. Each gets one line on stdout,
flushed: the return as JSON, or "ERROR: <QEMU's description>", or "ERROR:
bad command: ..." when the line cannot be parsed. Events are dropped.
When there is no connection, --serve prints "ERROR: no QMP connection: ..."
and exits with 2; when the connection is lost or a command gets no answer
in time, "ERROR: QMP connection lost: ..." and exits with 2; at the end of
stdin it exits with 0.

A QMP socket serves one client at a time: QEMU drops a second one, which
then tries again (-c). So do not hold the socket while others need it
(--serve holds it: give it a socket of its own): to wait for an event
during a test run, watch the run's qmp-events.log (wait_event in
scripts/suites/lib.sh) rather than --wait. As a module:
from qmp import QMP; QMP(path).cmd("query-status").
"""

import json
import os
import shlex
import socket
import sys
import time


class QMPError(Exception):
    """The command failed: QEMU's error class and description (desc: the
    description alone)."""

    def __init__(self, msg, desc=None):
        super().__init__(msg)
        self.desc = msg if desc is None else desc


class QMPTimeout(Exception):
    """The time limit ran out."""


class QMP:
    def __init__(self, path, connect_timeout=10.0, timeout=None):
        """timeout: seconds from the connection on for everything."""
        self.events = []
        self._id = 0
        end = time.monotonic() + connect_timeout
        while True:
            self.deadline = None
            self.sock = self._connect(path, end)
            self.rfile = self.sock.makefile("rb")
            if timeout is not None:
                self.deadline = time.monotonic() + timeout
            try:
                greeting = self._read()
                break
            except EOFError:
                # QEMU serves one client at a time and drops the others:
                # try again until the one before us is done.
                self.close()
                if time.monotonic() >= end:
                    raise
                time.sleep(0.1)
        if "QMP" not in greeting:
            raise QMPError("not a QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    @staticmethod
    def _connect(path, end):
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if time.monotonic() >= end:
                    raise
                time.sleep(0.05)

    def _read(self):
        """Next message from QEMU; EOFError when QEMU closed the socket."""
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise QMPTimeout()
            self.sock.settimeout(left)
        else:
            self.sock.settimeout(None)
        try:
            line = self.rfile.readline()
        except socket.timeout:
            raise QMPTimeout() from None
        except ConnectionResetError:
            line = b""
        if not line:
            raise EOFError("QEMU closed the QMP socket")
        msg = json.loads(line)
        if "event" in msg:
            msg["host_monotonic"] = round(time.monotonic(), 6)
        return msg

    def limit(self, seconds):
        """Give up SECONDS from now on (None: no limit)."""
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def cmd(self, name, args=None):
        """Run a command; its return value, or QMPError."""
        req = {"execute": name}
        if args:
            req["arguments"] = args
        return self.request(req)

    def request(self, req):
        """Send a request (a dict: "execute", "arguments"...; its "id" is
        ours); the return value, or QMPError."""
        self._id += 1
        req = dict(req, id=self._id)
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        while True:
            msg = self._read()
            if "event" in msg:
                self.events.append(msg)
            elif msg.get("id") == self._id:
                if "error" in msg:
                    e = msg["error"]
                    raise QMPError("%s: %s" % (e.get("class"), e.get("desc")),
                                   e.get("desc", str(e)))
                return msg.get("return")

    def event(self):
        """The next event (those that came during commands first)."""
        if self.events:
            return self.events.pop(0)
        while True:
            msg = self._read()
            if "event" in msg:
                return msg

    def close(self):
        self.rfile.close()
        self.sock.close()


def parse_args(words):
    if len(words) == 1 and words[0].lstrip().startswith("{"):
        args = json.loads(words[0])
        if not isinstance(args, dict):
            raise ValueError("arguments must be a JSON object")
        return args
    args = {}
    for w in words:
        if ":=" in w and ("=" not in w or w.index(":=") < w.index("=")):
            k, v = w.split(":=", 1)
            args[k] = json.loads(v)
        elif "=" in w:
            k, v = w.split("=", 1)
            args[k] = v
        else:
            raise ValueError("argument '%s' is neither NAME=STRING nor NAME:=JSON" % w)
    return args


def line(obj):
    return json.dumps(obj, separators=(", ", ": "))


def parse_request(text):
    """A --serve line: a JSON request, or COMMAND [ARG...]; None if blank."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        req = json.loads(text)
        if not isinstance(req, dict):
            raise ValueError("not a JSON object")
        return req
    words = shlex.split(text)
    req = {"execute": words[0]}
    args = parse_args(words[1:]) if words[1:] else None
    if args:
        req["arguments"] = args
    return req


def serve(path, connect_timeout, timeout):
    """--serve: one connection; a line on stdout per request on stdin."""
    def say(text):
        print(text, flush=True)

    try:
        q = QMP(path, connect_timeout, timeout)
    except (OSError, EOFError, QMPTimeout, QMPError, ValueError) as e:
        say("ERROR: no QMP connection: %s" % (str(e) or "timed out"))
        return 2
    try:
        for text in sys.stdin:
            try:
                req = parse_request(text)
            except ValueError as e:
                say("ERROR: bad command: %s" % e)
                continue
            if req is None:
                continue
            q.limit(timeout)
            try:
                ret = q.request(req)
            except QMPError as e:
                say("ERROR: %s" % e.desc)
                continue
            except (OSError, EOFError, QMPTimeout, ValueError) as e:
                say("ERROR: QMP connection lost: %s"
                    % (str(e) or "no answer within %g s" % timeout))
                return 2
            finally:
                q.events.clear()
            say(line(ret))
    finally:
        q.close()
    return 0


def usage():
    sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
    return 2


def main(argv):
    timeout = None
    connect_timeout = 10.0
    raw = False
    while argv and argv[0].startswith("-") and argv[0] not in ("-", "--"):
        opt = argv.pop(0)
        try:
            if opt == "-t":
                timeout = float(argv.pop(0))
            elif opt == "-c":
                connect_timeout = float(argv.pop(0))
            elif opt == "-r":
                raw = True
            elif opt in ("-h", "--help"):
                print(__doc__)
                return 0
            else:
                return usage()
        except (IndexError, ValueError):
            return usage()
    if len(argv) < 2:
        return usage()
    path, what, rest = argv[0], argv[1], argv[2:]
    mode = what if what in ("--events", "--wait", "--hmp", "--serve") else "cmd"
    if mode in ("cmd", "--serve") and timeout is None:
        timeout = 60.0
    if mode in ("--wait", "--hmp") and len(rest) != 1:
        return usage()
    if mode in ("--events", "--serve") and rest:
        return usage()
    if mode == "--serve":
        return serve(path, connect_timeout, timeout)
    try:
        args = parse_args(rest) if mode == "cmd" else None
    except ValueError as e:
        sys.stderr.write("qmp.py: %s\n" % e)
        return 2

    try:
        q = QMP(path, connect_timeout, timeout)
    except (OSError, EOFError, QMPTimeout, QMPError, ValueError) as e:
        sys.stderr.write("qmp.py: %s: cannot connect: %s\n" % (path, str(e) or "timed out"))
        return 2

    try:
        if mode == "cmd":
            ret = q.cmd(what, args)
            print(ret if raw and isinstance(ret, str) else line(ret))
        elif mode == "--hmp":
            ret = q.cmd("human-monitor-command", {"command-line": rest[0]})
            sys.stdout.write(ret)
        elif mode == "--events":
            try:
                while True:
                    print(line(q.event()), flush=True)
            except EOFError:
                return 0
        else:
            want = set(rest[0].split(","))
            while True:
                ev = q.event()
                if ev["event"] in want:
                    print(line(ev), flush=True)
                    return 0
    except QMPError as e:
        sys.stderr.write("qmp.py: %s: %s\n" % (what, e))
        return 1
    except QMPTimeout:
        sys.stderr.write("qmp.py: %s: no answer within %g s\n" % (what, timeout))
        return 1
    except EOFError as e:
        sys.stderr.write("qmp.py: %s: %s\n" % (what, e))
        return 1
    finally:
        q.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (qmp.py ... | head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
