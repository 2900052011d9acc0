"""ipckit.Channel, Sender, Receiver: every method, its errors, and the delivery contract."""

import errno
import os
import random
import threading
import time

import pytest

import ipckit


def test_create_open_inspect_unlink(name):
    with ipckit.Channel.create(name, capacity=1 << 15, max_message=1000, producers="multi") as ch:
        assert ch.name == name
        assert ch.capacity == 1 << 15
        assert ch.max_message == 1000
        info = ipckit.Channel.inspect(name)
        assert isinstance(info, ipckit.ChannelInfo)
        assert (info.capacity, info.max_message, info.producers, info.consumers) == (
            1 << 15, 1000, "multi", "single")
        assert info.creator_pid == os.getpid() and info.creator_alive and not info.stale
        assert info.used == 0 and info.corrupted == []
        with ipckit.Channel.open(name) as again:
            assert again.capacity == 1 << 15
    ipckit.Channel.unlink(name)
    with pytest.raises(FileNotFoundError) as e:
        ipckit.Channel.open(name)
    assert e.value.errno == errno.ENOENT
    assert e.value.operation and name in e.value.object


def test_sysv_key_channel():
    key = random.randrange(0x10000000, 0x7FFFFFFF)
    try:
        with ipckit.Channel.create(key=key, capacity=1 << 14) as ch:
            with ch.sender() as s, ch.receiver() as r:
                s.send(b"over System V")
                assert r.recv() == b"over System V"
        assert ipckit.Channel.inspect(key=key).capacity == 1 << 14
        with ipckit.Channel.open(key=key) as ch:
            assert ch.capacity == 1 << 14
    finally:
        try:
            ipckit.Channel.unlink(key=key)
        except OSError:
            pass
    with pytest.raises(FileNotFoundError):
        ipckit.Channel.open(key=key)


def test_every_buffer_kind_is_sent(channel):
    np = pytest.importorskip("numpy")
    with channel.sender() as s, channel.receiver() as r:
        s.send(b"bytes")
        s.send(bytearray(b"bytearray"))
        s.send(memoryview(b"xxmemoryviewxx")[2:-2])
        s.send(np.arange(4, dtype=np.uint32))
        s.send(b"")
        assert r.recv() == b"bytes"
        assert r.recv() == b"bytearray"
        assert r.recv() == b"memoryview"
        assert r.recv() == np.arange(4, dtype=np.uint32).tobytes()
        assert r.recv() == b""
        with pytest.raises(TypeError):
            s.send("text is not bytes")
        with pytest.raises((BufferError, ValueError)):  # numpy says ValueError
            s.send(np.arange(8, dtype=np.uint8)[::2])  # not contiguous


def test_try_send_try_recv_and_recv_into(name):
    with ipckit.Channel.create(name, capacity=4096, max_message=512) as ch:
        with ch.sender() as s, ch.receiver() as r:
            assert r.try_recv() is None
            sent = 0
            while s.try_send(bytes([sent % 256]) * 500):
                sent += 1
            assert 0 < sent < 10  # 4 KiB holds a few 500-byte messages, then try_send says no
            small = bytearray(100)
            with pytest.raises(ipckit.InvalidArgumentError) as e:
                r.recv_into(small)
            assert e.value.errno == errno.EMSGSIZE and isinstance(e.value, ValueError)
            big = bytearray(512)
            for i in range(sent):  # the oversized message stayed in the ring
                assert r.recv_into(big) == 500
                assert big[:500] == bytes([i % 256]) * 500
            assert r.try_recv() is None


def test_oversized_send_raises_and_sends_nothing(name):
    with ipckit.Channel.create(name, capacity=4096, max_message=100) as ch:
        with ch.sender() as s, ch.receiver() as r:
            with pytest.raises(ValueError) as e:
                s.send(b"x" * 101)
            assert e.value.errno == errno.EMSGSIZE
            assert s.max_message == 100 and r.max_message == 100
            assert r.try_recv() is None


def test_timeouts(channel):
    with channel.sender() as s, channel.receiver() as r:
        with pytest.raises(TimeoutError):
            r.recv(timeout=0.05)
        with pytest.raises(TimeoutError):
            r.recv(timeout=0)
        with pytest.raises(TimeoutError):
            r.peek(timeout=0.01)
        while s.try_send(b"y" * 1000):
            pass
        with pytest.raises(TimeoutError):
            s.send(b"y" * 1000, timeout=0.05)
        with pytest.raises(ValueError):
            s.send(b"z", timeout=-1)
        with pytest.raises(ValueError):
            r.recv(timeout=float("nan"))


def test_iteration_ends_with_the_stream(channel):
    with channel.receiver() as r:
        with channel.sender() as s:
            for i in range(100):
                s.send(str(i).encode())
        assert [int(m) for m in r] == list(range(100))
        with pytest.raises(BrokenPipeError) as e:
            r.recv()
        assert e.value.errno == errno.EPIPE


def test_dead_consumer_gives_broken_pipe_to_a_full_sender(name):
    with ipckit.Channel.create(name, capacity=4096) as ch:
        s = ch.sender()
        r = ch.receiver()
        while s.try_send(b"f" * 900):
            pass
        r.close()
        with pytest.raises(BrokenPipeError):
            s.send(b"f" * 900, timeout=10)


def test_errors_map_like_os(name):
    with pytest.raises(ipckit.InvalidArgumentError) as e:
        ipckit.Channel.create(name, capacity=5000)  # not a power of two
    assert isinstance(e.value, ValueError) and isinstance(e.value, OSError)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(ValueError) as e:
        ipckit.Channel.create("x" * 201)
    assert e.value.errno == errno.ENAMETOOLONG
    with pytest.raises(ValueError):
        ipckit.Channel.create(name, producers="several")
    with pytest.raises(ValueError):
        ipckit.Channel.create()  # neither name nor key
    with pytest.raises(ValueError):
        ipckit.Channel.open(name, key=1)  # both
    with ipckit.Channel.create(name, capacity=4096) as ch:
        with pytest.raises(FileExistsError) as e:
            ipckit.Channel.create(name)
        assert e.value.errno == errno.EEXIST and e.value.operation
        s = ch.sender()
        with pytest.raises(OSError) as e:
            ch.sender()  # single producer: the side is taken
        assert e.value.errno == errno.EBUSY
        s.close()
        with pytest.raises(ValueError) as e:
            s.send(b"closed")
        assert e.value.errno == errno.EBADF
        with pytest.raises(ValueError):
            ch.receiver(wait="sometimes")
    with pytest.raises(ValueError):
        ch.info()  # the Channel handle itself is closed
    with open(f"/dev/shm/{name}", "wb") as f:
        f.write(b"not a channel" * 1000)
    with pytest.raises(OSError) as e:
        ipckit.Channel.open(name)
    assert e.value.errno == errno.EPROTO
    with pytest.raises(OSError):
        ipckit.Channel.unlink(name)  # not a channel: left alone
    os.unlink(f"/dev/shm/{name}")


def test_permission_error_for_another_user(name):
    with ipckit.Channel.create(name, capacity=4096, mode=0o600):
        pid = os.fork()
        if pid == 0:  # as nobody: root bypasses the permission check
            code = 1
            try:
                os.setgid(65534)
                os.setuid(65534)
                ipckit.Channel.open(name)
            except PermissionError as e:
                code = 0 if e.errno == errno.EACCES else 2
            except BaseException:
                code = 3
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


def test_forked_child_cannot_use_the_parents_handles(channel):
    with channel.sender() as s, channel.receiver() as r:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                s.send(b"from the child")
            except OSError as e:
                code = 0 if e.errno == errno.EBUSY else 2
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        s.send(b"from the parent")
        assert r.recv() == b"from the parent"
        assert r.try_recv() is None


def test_one_handle_two_threads_is_refused(channel):
    with channel.sender() as s, channel.receiver() as r:
        got = []
        waiter = threading.Thread(target=lambda: got.append(r.recv(timeout=60)))
        waiter.start()
        refused = False
        deadline = time.monotonic() + 30
        while not refused and time.monotonic() < deadline:
            try:
                r.try_recv()
                time.sleep(0.001)
            except RuntimeError:
                refused = True
        s.send(b"for the waiting thread")
        waiter.join(60)
        assert refused
        assert got == [b"for the waiting thread"]


def test_multi_producer_keeps_each_producers_order(name):
    with ipckit.Channel.create(name, capacity=1 << 16, producers="multi") as ch:
        with ch.receiver() as r:
            # Both attach before either sends: the receiver's stream is theirs until both leave.
            senders = {tag: ch.sender() for tag in "ab"}

            def produce(tag):
                with senders[tag] as s:
                    for i in range(2000):
                        s.send(f"{tag}:{i}".encode())

            threads = [threading.Thread(target=produce, args=(t,)) for t in "ab"]
            for t in threads:
                t.start()
            last = {"a": -1, "b": -1}
            for _ in range(4000):
                tag, i = r.recv(timeout=60).decode().split(":")
                assert int(i) == last[tag] + 1
                last[tag] = int(i)
            for t in threads:
                t.join()
            assert last == {"a": 1999, "b": 1999}
