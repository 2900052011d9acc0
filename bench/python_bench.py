#!/usr/bin/env python3
"""Two Python processes, lossless: ipckit's channel against multiprocessing.Queue and Pipe.

Usage: PYTHONPATH=build/default/python python3 bench/python_bench.py [--rounds 5] [--quick]

Throughput: one process sends N messages of SIZE bytes, the other receives them; every message
carries its sequence number, and the receiver checks each one (a lost, duplicated or reordered
message fails the run). Messages/s is N over the receiver's time from the start signal to the
last message. Latency: ping-pong, one-way = round trip / 2; p50 and p99.
Rounds interleave the mechanisms, so a slow phase of the machine hits all of them; the table
shows the median of the rounds and the min-max range, and the ratios of the medians.
Numbers: docs/BENCHMARKS.md ("Python").
"""

import argparse
import multiprocessing as mp
import os
import statistics
import struct
import sys
import time

import ipckit

CTX = mp.get_context("fork")
SEQ = struct.Struct("<Q")


def payload(size):
    return bytearray(os.urandom(size))


# --- the three mechanisms, each as (sender factory, receiver factory) in a child ---------------


class Ipckit:
    name = "ipckit channel"

    def __init__(self, size):
        self.names = [f"ipckit-pybench-{os.getpid()}-{i}" for i in range(2)]
        capacity = 1 << 20  # 1 MiB: 16 messages of 64 KiB, cache-resident
        for n in self.names:
            try:
                ipckit.Channel.unlink(n)
            except OSError:
                pass
            ipckit.Channel.create(n, capacity=capacity, max_message=max(size, 1024)).close()

    def end(self, i, sending):
        ch = ipckit.Channel.open(self.names[i])
        side = ch.sender() if sending else ch.receiver()
        ch.close()
        if sending:
            return side.send, side.close
        return side.recv, side.close

    def cleanup(self):
        for n in self.names:
            ipckit.Channel.unlink(n)


class Queue:
    name = "multiprocessing.Queue"

    def __init__(self, size):
        self.queues = [CTX.Queue(), CTX.Queue()]

    def end(self, i, sending):
        q = self.queues[i]
        if sending:
            # put() pickles on a feeder thread; bytes() so the caller may reuse its buffer.
            return (lambda b: q.put(bytes(b))), (lambda: (q.close(), q.join_thread()))
        return q.get, (lambda: None)

    def cleanup(self):
        pass


class Pipe:
    name = "multiprocessing.Pipe"

    def __init__(self, size):
        self.pipes = [CTX.Pipe(duplex=False), CTX.Pipe(duplex=False)]

    def end(self, i, sending):
        recv_end, send_end = self.pipes[i]
        if sending:
            return send_end.send_bytes, send_end.close
        return recv_end.recv_bytes, recv_end.close

    def cleanup(self):
        pass


MECHANISMS = [Ipckit, Queue, Pipe]


# --- throughput -----------------------------------------------------------------------------------


def throughput_sender(mech, size, count, go):
    send, close = mech.end(0, True)
    buf = payload(size)
    go.wait()
    for seq in range(count):
        SEQ.pack_into(buf, 0, seq)
        send(buf)
    close()


def throughput_receiver(mech, size, count, go, result):
    recv, close = mech.end(0, False)
    go.wait()
    start = time.perf_counter()
    for seq in range(count):
        m = recv()
        if len(m) != size or SEQ.unpack_from(m)[0] != seq:
            result.put(("error", f"message {seq}: wrong size or sequence"))
            return
    result.put(("ok", time.perf_counter() - start))
    close()


def run_throughput(cls, size, count):
    mech = cls(size)
    try:
        return measure_throughput(cls, mech, size, count)
    finally:
        mech.cleanup()


def measure_throughput(cls, mech, size, count):
    go = CTX.Barrier(3)
    result = CTX.Queue()
    procs = [CTX.Process(target=throughput_receiver, args=(mech, size, count, go, result)),
             CTX.Process(target=throughput_sender, args=(mech, size, count, go))]
    for p in procs:
        p.start()
    go.wait()
    status, value = result.get(timeout=600)
    for p in procs:
        p.join(600)
    if status != "ok":
        raise RuntimeError(f"{cls.name} {size} B: {value}")
    return count / value


# --- latency --------------------------------------------------------------------------------------


def echo(mech, size, count, go):
    recv, close_in = mech.end(0, False)
    send, close_out = mech.end(1, True)
    go.wait()
    for _ in range(count):
        send(recv())
    close_out()
    close_in()


def run_latency(cls, size, count):
    mech = cls(size)
    try:
        return measure_latency(cls, mech, size, count)
    finally:
        mech.cleanup()


def measure_latency(cls, mech, size, count):
    go = CTX.Barrier(2)
    peer = CTX.Process(target=echo, args=(mech, size, count, go))
    peer.start()
    send, close_out = mech.end(0, True)
    recv, close_in = mech.end(1, False)
    go.wait()
    buf = payload(size)
    samples = []
    for seq in range(count):
        SEQ.pack_into(buf, 0, seq)
        t0 = time.perf_counter_ns()
        send(buf)
        m = recv()
        samples.append((time.perf_counter_ns() - t0) / 2)
        if SEQ.unpack_from(m)[0] != seq:
            raise RuntimeError(f"{cls.name}: echo {seq} came back wrong")
    close_out()
    peer.join(600)
    close_in()
    samples.sort()
    return samples[len(samples) // 2], samples[len(samples) * 99 // 100]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer messages (a smoke test)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    sizes = {64: (200_000 // scale, 20_000 // scale), 65536: (10_000 // scale, 5_000 // scale)}
    tput = {(c.name, s): [] for c in MECHANISMS for s in sizes}
    lat = {(c.name, s): [] for c in MECHANISMS for s in sizes}
    for r in range(args.rounds):
        for size, (count, pings) in sizes.items():
            for cls in MECHANISMS:
                print(f"\rround {r + 1}/{args.rounds}: {cls.name} {size} B   ", end="",
                      file=sys.stderr, flush=True)
                tput[(cls.name, size)].append(run_throughput(cls, size, count))
                lat[(cls.name, size)].append(run_latency(cls, size, pings))
    print(file=sys.stderr)
    print(f"# python_bench: {args.rounds} interleaved rounds, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'MECHANISM':<24}{'SIZE':>7}{'MSGS/S':>12}{'RANGE':>22}{'P50 US':>9}{'P99 US':>9}")
    for size in sizes:
        for cls in MECHANISMS:
            t = tput[(cls.name, size)]
            p50 = statistics.median(x[0] for x in lat[(cls.name, size)]) / 1000
            p99 = statistics.median(x[1] for x in lat[(cls.name, size)]) / 1000
            rng = f"{min(t):,.0f}-{max(t):,.0f}"
            print(f"{cls.name:<24}{size:>7}{statistics.median(t):>12,.0f}{rng:>22}"
                  f"{p50:>9.1f}{p99:>9.1f}")
        base = statistics.median(tput[("ipckit channel", size)])
        for other in ("multiprocessing.Queue", "multiprocessing.Pipe"):
            ratios = [a / b for a, b in zip(tput[("ipckit channel", size)], tput[(other, size)])]
            print(f"  ipckit / {other} at {size} B: {base / statistics.median(tput[(other, size)]):.1f}x"
                  f" (per round {min(ratios):.1f}-{max(ratios):.1f}x)")


if __name__ == "__main__":
    main()
