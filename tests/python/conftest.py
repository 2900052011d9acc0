"""Shared fixtures of the Python binding tests (run by ctest as python.*, see CMakeLists.txt).

Every object a test makes has a name unique to this process and test, and is removed even when
the test fails. IPCKIT is the `ipckit` command of the same build.
"""

import os
import random
import subprocess
import sys

import pytest

import ipckit

IPCKIT = os.environ.get("IPCKIT", "ipckit")


def run_ipckit(*args, **kwargs):
    """Runs the ipckit command; returns the CompletedProcess (text mode unless input is bytes)."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run([IPCKIT, *args], check=False, **kwargs)


@pytest.fixture
def name(request):
    """A channel / shared-state name unique to this test; removed afterwards if it exists."""
    n = f"ipckit-py-{os.getpid()}-{request.node.name[:60]}-{random.randrange(1 << 30):x}"
    n = "".join(c if c.isalnum() or c in "-_." else "-" for c in n)
    yield n
    for unlink in (ipckit.Channel.unlink, ipckit.SharedState.unlink):
        try:
            unlink(n)
        except OSError:
            pass
    # A channel's interrupted create leaves NAME.creating-*: none of ours may remain.
    for leftover in os.listdir("/dev/shm"):
        if leftover.startswith(n + "."):
            os.unlink(os.path.join("/dev/shm", leftover))


@pytest.fixture
def channel(name):
    """A fresh 64 KiB single-producer, single-consumer channel."""
    with ipckit.Channel.create(name, capacity=1 << 16) as ch:
        yield ch


def child_python(code, **kwargs):
    """Starts `python3 -c code` with this test's import path; returns the Popen."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.Popen([sys.executable, "-c", code], env=env, **kwargs)
