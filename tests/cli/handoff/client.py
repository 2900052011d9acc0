#!/usr/bin/env python3
"""A TCP client for the handoff shell tests (Python standard library only).

  client.py talk PORT --line TEXT [--banner PREFIX] [--host H] [--timeout S]
      Connects; with --banner, first waits for a line starting with PREFIX (the daemon's
      pregreet banner) and then for the pregreet wait to pass (--after-banner-wait MS); sends
      TEXT + CRLF, reads lines until one contains TEXT (the echo). Prints one JSON object:
      {"ok", "banner", "lines", "reply", "pid", "local_port", "error"}; "pid" is the first
      "pid=N" / "pid N" named in any line received. Exit 0 when the echo came back.
  client.py closed PORT [--send TEXT] [--host H] [--timeout S]
      Connects, sends TEXT + CRLF at once if given (a pregreet talker), and reads until the
      server closes. Prints {"closed", "lines", "reset", "local_port"}. Exit 0 when it was
      closed within the timeout.
  client.py session PORT [--host H] [--timeout S]
      Connects and for each line on stdin sends it and prints the reply line (or "ERROR: why")
      on stdout, flushed. A line "!wait-banner PREFIX" waits for a line starting with PREFIX and
      prints it. Ends at EOF of stdin (prints "BYE").

Every wait is bounded by --timeout (default 20 s). --source ADDR binds the client to ADDR first
(any 127.0.0.N is loopback on Linux): screens that count per address tell the clients apart.
"""
import argparse
import json
import re
import socket
import sys
import time

PID_RE = re.compile(r"\bpid[=: ]+(\d+)", re.IGNORECASE)


class LineReader:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.buf = b""
        self.deadline = deadline
        self.reset = False

    def readline(self):
        """The next line without its CR LF, or None at EOF/reset/timeout."""
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out waiting for a line")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                self.reset = True
                chunk = b""
            except socket.timeout:
                raise TimeoutError("timed out waiting for a line") from None
            if not chunk:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line.decode("utf-8", "replace")
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")


def find_pid(lines):
    for line in lines:
        m = PID_RE.search(line)
        if m:
            return int(m.group(1))
    return None


def connect(args):
    source = (args.source, 0) if args.source else None
    return socket.create_connection((args.host, args.port), timeout=args.timeout,
                                    source_address=source)


def talk(args):
    deadline = time.monotonic() + args.timeout
    out = {"ok": False, "banner": None, "lines": [], "reply": None, "pid": None,
           "local_port": None, "error": None}
    try:
        sock = connect(args)
        out["local_port"] = sock.getsockname()[1]
        reader = LineReader(sock, deadline)
        if args.banner is not None:
            while True:
                line = reader.readline()
                if line is None:
                    raise ConnectionError("closed before the banner")
                out["lines"].append(line)
                if line.startswith(args.banner):
                    out["banner"] = line
                    break
            # Talking before the pregreet wait ends gets a client dropped: wait it out.
            time.sleep(args.after_banner_wait / 1000.0)
        sock.sendall(args.line.encode() + b"\r\n")
        while True:
            line = reader.readline()
            if line is None:
                raise ConnectionError("closed before the echo" +
                                      (" (reset)" if reader.reset else ""))
            out["lines"].append(line)
            if args.line in line:
                out["reply"] = line
                break
        if args.ask_pid:
            # The echo worker answers the line "PID" with "pid N" (examples/handoff).
            sock.sendall(b"PID\r\n")
            while True:
                line = reader.readline()
                if line is None:
                    raise ConnectionError("closed before the answer to PID")
                out["lines"].append(line)
                if PID_RE.search(line):
                    break
        out["ok"] = True
        sock.close()
    except (OSError, TimeoutError, ConnectionError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    out["pid"] = find_pid(out["lines"])
    print(json.dumps(out), flush=True)
    return 0 if out["ok"] else 1


def closed(args):
    deadline = time.monotonic() + args.timeout
    out = {"closed": False, "lines": [], "reset": False, "local_port": None, "error": None}
    try:
        sock = connect(args)
        out["local_port"] = sock.getsockname()[1]
        if args.send is not None:
            sock.sendall(args.send.encode() + b"\r\n")
        reader = LineReader(sock, deadline)
        while True:
            line = reader.readline()
            if line is None:
                out["closed"] = True
                break
            out["lines"].append(line)
        out["reset"] = reader.reset
        sock.close()
    except ConnectionResetError:
        out["closed"] = out["reset"] = True
    except (OSError, TimeoutError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out), flush=True)
    return 0 if out["closed"] else 1


def session(args):
    sock = connect(args)
    print(f"CONNECTED {sock.getsockname()[1]}", flush=True)
    buf = LineReader(sock, 0)
    for raw in sys.stdin:
        text = raw.rstrip("\n")
        buf.deadline = time.monotonic() + args.timeout
        try:
            if text.startswith("!wait-banner "):
                prefix = text[len("!wait-banner "):]
                while True:
                    line = buf.readline()
                    if line is None:
                        raise ConnectionError("closed before the banner")
                    if line.startswith(prefix):
                        break
                print(line, flush=True)
                continue
            sock.sendall(text.encode() + b"\r\n")
            while True:
                line = buf.readline()
                if line is None:
                    raise ConnectionError("closed")
                if text in line:
                    break
            print(line, flush=True)
        except (OSError, TimeoutError, ConnectionError) as e:
            print(f"ERROR: {type(e).__name__}: {e}", flush=True)
    print("BYE", flush=True)
    sock.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("talk", "closed", "session"):
        s = sub.add_parser(name)
        s.add_argument("port", type=int)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--timeout", type=float, default=20.0)
        s.add_argument("--source", help="bind to this local address first (127.0.0.N)")
        if name == "talk":
            s.add_argument("--line", required=True)
            s.add_argument("--banner")
            s.add_argument("--after-banner-wait", type=float, default=0.0,
                           help="ms to stay silent after the banner (the pregreet wait)")
            s.add_argument("--no-pid", dest="ask_pid", action="store_false",
                           help="do not ask the echo worker its pid (the line PID)")
        if name == "closed":
            s.add_argument("--send")
    args = p.parse_args()
    return {"talk": talk, "closed": closed, "session": session}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
