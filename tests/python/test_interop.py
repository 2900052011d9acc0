"""The same channel between the `ipckit` command (C++) and Python, both ways, byte for byte."""

import hashlib
import os

from conftest import run_ipckit
import ipckit

SIZE = 64 << 20  # 64 MiB


def payload(seed):
    """SIZE deterministic, non-repeating bytes."""
    out = bytearray()
    block = hashlib.sha256(seed).digest()
    while len(out) < SIZE:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:SIZE])


def test_cli_sender_python_receiver(name, tmp_path):
    data = payload(b"cli to python")
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    with ipckit.Channel.create(name, capacity=1 << 20) as ch, ch.receiver() as r:
        # The command sends in chunks of at most --chunk bytes; the receiver joins them.
        import subprocess
        env = dict(os.environ)
        proc = subprocess.Popen([os.environ["IPCKIT"], "chan", "send", name, str(src)], env=env,
                                stderr=subprocess.PIPE)
        got = bytearray()
        for msg in r:
            got += msg
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(got) == SIZE
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_python_sender_cli_receiver(name, tmp_path):
    data = payload(b"python to cli")
    out = tmp_path / "out.bin"
    with ipckit.Channel.create(name, capacity=1 << 20) as ch:
        import subprocess
        proc = subprocess.Popen([os.environ["IPCKIT"], "chan", "recv", name, str(out)],
                                stderr=subprocess.PIPE)
        with ch.sender() as s:
            view = memoryview(data)
            for off in range(0, SIZE, 65536):
                s.send(view[off:off + 65536], timeout=120)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert out.stat().st_size == SIZE
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_cli_sees_what_python_made(name):
    with ipckit.Channel.create(name, capacity=1 << 16) as ch, ch.sender() as s:
        s.send(b"one line")
        stat = run_ipckit("chan", "stat", "--json", name, text=True)
        assert stat.returncode == 0, stat.stderr
        assert '"capacity": 65536' in stat.stdout
        got = run_ipckit("chan", "recv", "--count", "1", name)
        assert got.returncode == 0 and got.stdout == b"one line"
