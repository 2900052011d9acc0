"""100,000 send/recv cycles leave resident memory and open descriptors where they were."""

import os

import ipckit


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def cycles(ch, n):
    with ch.sender() as s, ch.receiver() as r:
        buf = bytearray(256)
        for i in range(n):
            s.send(b"m" * (i % 200))
            if i % 3 == 0:
                r.recv()
            elif i % 3 == 1:
                r.recv_into(buf)
            else:
                with r.peek() as v:
                    len(v)


def test_no_growth_in_memory_or_descriptors(name):
    with ipckit.Channel.create(name, capacity=1 << 16) as ch:
        cycles(ch, 10_000)  # warm up: allocator pools, caches
        rss, fds = rss_bytes(), open_fds()
        cycles(ch, 100_000)
        grown = rss_bytes() - rss
        assert open_fds() == fds
        # 100,000 leaked objects of even 32 bytes would be 3 MB.
        assert grown < 1 << 20, f"resident memory grew by {grown} bytes"


def test_handles_open_and_close_without_leaking(name):
    ipckit.Channel.create(name, capacity=4096).close()
    fds = open_fds()
    for _ in range(2000):
        with ipckit.Channel.open(name) as ch, ch.sender(), ch.receiver():
            pass
    assert open_fds() == fds
    assert ipckit.Channel.inspect(name).participants == [] or all(
        not p.alive for p in ipckit.Channel.inspect(name).participants)
