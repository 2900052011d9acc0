#!/usr/bin/env python3
"""A handoff worker written with Python's standard library only (docs/handoff.md "Writing a
worker"): it proves that the wire protocol needs nothing but SOCK_SEQPACKET, JSON and
SCM_RIGHTS (socket.recv_fds).

    python_worker.py --control ADDR [--name NAME] [--capacity N]

ADDR is a socket path or an @abstract name. The worker checks the daemon's SO_PEERCRED (for an
abstract name, which anyone could bind first, the daemon must run as this user), registers,
prints "registered worker=W daemon_pid=P pid=PID" on stdout, and then serves each client on a
thread of its own: every line is echoed back as received, except the line "PID", which is
answered "pid <its pid>" (so a test can tell which process serves the client). When a client
hangs up the worker sends "done". It exits 0 when the daemon closes the control connection
(after finishing its clients), 1 on a refusal or a protocol error.
"""

import argparse
import json
import os
import socket
import struct
import sys
import threading

MAX_MESSAGE = 65536
MAX_LINE = 64 * 1024


def fail(message):
    print(f"python_worker: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def send(control, message):
    control.send(json.dumps(message, separators=(",", ":")).encode())


def connect(address):
    control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    abstract = address.startswith("@")
    control.connect("\0" + address[1:] if abstract else address)
    # SO_PEERCRED: pid, uid, gid of the process that listens. Check it before sending anything.
    creds = control.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    if abstract and uid != os.geteuid():
        fail(f"the daemon at {address} runs as uid {uid}, not as this user")
    return control


def serve(control, client, client_id, lock):
    """Echo lines until the client hangs up, then tell the daemon the client is done."""
    with client:
        reader = client.makefile("rb")
        while True:
            line = reader.readline(MAX_LINE)
            if not line:
                break
            if line.rstrip(b"\r\n") == b"PID":
                line = b"pid %d" % os.getpid() + line[len(line.rstrip(b"\r\n")):]
            try:
                client.sendall(line)
            except OSError:
                break
    with lock:
        try:
            send(control, {"op": "done", "id": client_id})
        except OSError:
            pass  # the daemon is gone: nothing to tell


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--control", required=True)
    parser.add_argument("--name", default="python")
    parser.add_argument("--capacity", type=int, default=16)
    args = parser.parse_args()

    control = connect(args.control)
    send(control, {"op": "register", "protocol": 1, "name": args.name,
                   "capacity": args.capacity})
    reply = json.loads(control.recv(MAX_MESSAGE) or b'{"op":"refused","reason":"closed"}')
    if reply.get("op") == "refused":
        fail(f"refused: {reply.get('reason')}")
    if reply.get("op") != "registered":
        fail(f"expected registered, got {reply.get('op')!r}")
    print(f"registered worker={reply['worker']} daemon_pid={reply['daemon_pid']} "
          f"pid={os.getpid()}", flush=True)

    lock = threading.Lock()  # one sender at a time on the control socket
    sessions = []
    status = 0
    while True:
        payload, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE, 1)
        if not payload and not fds:
            break  # the daemon closed the control connection
        try:
            message = json.loads(payload)
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("op") != "client" or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            print(f"python_worker: protocol error: {payload[:80]!r}", file=sys.stderr)
            status = 1
            break
        # Delivery: acknowledge before touching the client (docs/handoff.md "Delivery").
        with lock:
            send(control, {"op": "ack", "id": message["id"]})
        client = socket.socket(fileno=fds[0])
        client.setblocking(True)
        thread = threading.Thread(target=serve, args=(control, client, message["id"], lock))
        thread.start()
        sessions.append(thread)
    for thread in sessions:
        thread.join()
    return status


if __name__ == "__main__":
    sys.exit(main())
