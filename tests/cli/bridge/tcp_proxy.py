#!/usr/bin/env python3
"""A TCP proxy for the bridge tests: listens on 127.0.0.1 (an ephemeral port, printed on stdout
as "port N"), forwards every connection to 127.0.0.1:TARGET, and on SIGUSR1 cuts every
connection it carries with a reset (SO_LINGER 0), as a failing network would. With --capture
FILE it also appends every byte it forwards, both ways, to FILE (the CURVE test looks for
plaintext in it). Standard library only."""
import argparse
import os
import selectors
import signal
import socket
import struct
import sys

parser = argparse.ArgumentParser()
parser.add_argument("target", type=int)
parser.add_argument("--capture")
args = parser.parse_args()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
listener.setblocking(False)
print(f"port {listener.getsockname()[1]}", flush=True)

capture = open(args.capture, "ab", buffering=0) if args.capture else None
sel = selectors.DefaultSelector()
sel.register(listener, selectors.EVENT_READ, None)
peer = {}  # socket -> the socket at the other end
cut_requested = False
cuts = 0


def on_usr1(signum, frame):
    global cut_requested
    cut_requested = True


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))


def drop(sock, reset):
    other = peer.pop(sock, None)
    for s in (sock, other):
        if s is None:
            continue
        peer.pop(s, None)
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


while True:
    if cut_requested:
        cut_requested = False
        cuts += 1
        for s in list(peer):
            if s in peer:
                drop(s, True)
    try:
        events = sel.select(timeout=0.05)
    except InterruptedError:
        continue
    for key, _ in events:
        sock = key.fileobj
        if sock is listener:
            try:
                client, _ = listener.accept()
            except BlockingIOError:
                continue
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                upstream.connect(("127.0.0.1", args.target))
            except OSError:
                client.close()
                upstream.close()
                continue
            for s in (client, upstream):
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(s, selectors.EVENT_READ, None)
            peer[client] = upstream
            peer[upstream] = client
            continue
        if sock not in peer:
            continue
        try:
            data = sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            data = b""
        if not data:
            drop(sock, False)
            continue
        if capture:
            capture.write(data)
        other = peer[sock]
        try:
            other.setblocking(True)
            other.sendall(data)
            other.setblocking(False)
        except OSError:
            drop(sock, False)
