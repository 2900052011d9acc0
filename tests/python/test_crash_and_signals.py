"""A Python peer killed mid-stream, and Ctrl-C during a blocking call."""

import errno
import os
import signal
import struct
import time
import zlib

import pytest

from conftest import child_python
import ipckit

SENDER = """
import os, struct, sys, zlib
import ipckit
ch = ipckit.Channel.open({name!r})
s = ch.sender()
print('running', flush=True)
i = 0
while True:
    body = os.urandom(16 + i % 4000)
    s.send(struct.pack('<QI', i, zlib.crc32(body)) + body)
    i += 1
"""


def test_receiver_sees_no_torn_message_when_the_sender_is_killed(name):
    import subprocess
    with ipckit.Channel.create(name, capacity=1 << 16) as ch, ch.receiver() as r:
        proc = child_python(SENDER.format(name=name), stdout=subprocess.PIPE)
        assert proc.stdout.readline() == b"running\n"
        expected = 0
        killed = False
        with pytest.raises(ConnectionResetError) as e:
            while True:
                msg = r.recv(timeout=120)
                seq, crc = struct.unpack_from("<QI", msg)
                assert seq == expected, "lost, duplicated or reordered"
                assert zlib.crc32(msg[12:]) == crc, f"message {seq} is torn"
                expected += 1
                if expected == 5000 and not killed:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(60)  # reaped: a zombie would still count as alive
                    killed = True
        proc.wait(60)
        proc.stdout.close()
        assert killed and expected >= 5000
        assert e.value.errno == errno.ECONNRESET


INTERRUPTED = """
import sys, time
import ipckit
ch = ipckit.Channel.open({name!r})
r = ch.receiver()
print('waiting', flush=True)
start = time.monotonic()
try:
    r.recv()
    print('no interrupt', flush=True)
except KeyboardInterrupt:
    print('interrupted %.3f' % (time.monotonic() - start), flush=True)
print('after', r.recv(timeout=60).decode(), flush=True)
"""


@pytest.mark.parametrize("wait", ["spin", "block"])
def test_ctrl_c_interrupts_a_blocking_recv_and_loses_nothing(name, wait):
    import subprocess
    code = INTERRUPTED.format(name=name).replace("ch.receiver()", f"ch.receiver(wait={wait!r})")
    with ipckit.Channel.create(name, capacity=1 << 16) as ch, ch.sender() as s:
        proc = child_python(code, stdout=subprocess.PIPE)
        assert proc.stdout.readline() == b"waiting\n"
        time.sleep(0.2)  # let it block; the assertion does not depend on how long this takes
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        line = proc.stdout.readline().decode()
        latency = time.monotonic() - sent
        assert line.startswith("interrupted"), line
        print(f"KeyboardInterrupt {latency * 1000:.1f} ms after SIGINT")
        s.send(b"the message after Ctrl-C")
        assert proc.stdout.readline() == b"after the message after Ctrl-C\n"
        assert proc.wait(60) == 0
        proc.stdout.close()
