"""ipckit.SharedStateWriter / SharedStateReader / Snapshot / Draft."""

import errno
import gc

import pytest

import ipckit


def test_publish_snapshot_read(name):
    with ipckit.SharedStateWriter.create(name, 64, buffers=3, max_readers=4) as w:
        assert (w.version, w.table_size, w.buffers, w.name) == (0, 64, 3, name)
        with ipckit.SharedStateReader.open(name) as r:
            assert r.version == 0 and r.writer_alive and r.table_size == 64
            assert w.publish(b"A" * 64) == 1
            assert w.publish(b"BB", 10) == 2  # the rest as published before
            version, table = r.read()
            assert version == 2 and table == b"A" * 10 + b"BB" + b"A" * 52
            with r.snapshot() as snap:
                assert snap.version == 2 and snap.table.readonly
                assert bytes(snap.table[8:14]) == b"AABBAA"
                kept = snap.table
            with pytest.raises(ValueError):
                kept[0]
            assert r.wait_newer(1) == 2
            with pytest.raises(TimeoutError):
                r.wait_newer(2, timeout=0.05)
        info = ipckit.SharedState.inspect(name)
        assert isinstance(info, ipckit.SharedStateInfo)
        assert (info.table_size, info.buffers, info.max_readers, info.version) == (64, 3, 4, 2)
    ipckit.SharedState.unlink(name)
    with pytest.raises(FileNotFoundError):
        ipckit.SharedStateReader.open(name)


def test_draft_commits_on_success_and_abandons_on_error(name):
    with ipckit.SharedStateWriter.create(name, 16) as w, ipckit.SharedStateReader.open(name) as r:
        with w.begin() as table:
            table[:5] = b"hello"
        assert r.read() == (1, b"hello" + bytes(11))
        with pytest.raises(KeyError):
            with w.begin() as table:
                table[:5] = b"WRONG"
                raise KeyError("the update fails halfway")
        assert r.read() == (1, b"hello" + bytes(11))  # nothing published
        d = w.begin(prefill="current")
        assert d.version == 2
        d.table[5:6] = b"!"
        assert d.commit() == 2
        assert r.read()[1].startswith(b"hello!")


def test_a_view_of_a_draft_blocks_its_commit(name):
    with ipckit.SharedStateWriter.create(name, 16) as w, ipckit.SharedStateReader.open(name) as r:
        with pytest.raises(BufferError):
            with w.begin() as table:
                kept = table[0:4]
                kept[:] = b"kept"
        assert r.version == 0  # nothing published while a writable view was alive
        with pytest.raises(BufferError):
            w.publish(b"x")
        del kept
        gc.collect()
        assert w.publish(b"next") == 1


def test_a_snapshot_stays_pinned_while_a_view_lives(name):
    with ipckit.SharedStateWriter.create(name, 8, buffers=2) as w, \
            ipckit.SharedStateReader.open(name) as r:
        w.publish(b"version1")
        with r.snapshot() as snap:
            slice_ = snap.table[:]
        w.publish(b"version2")  # the other buffer
        # Buffer 1 is pinned through `slice_`: a third publish must wait, and times out.
        with pytest.raises(TimeoutError):
            w.publish(b"version3", timeout=0.1)
        assert bytes(slice_) == b"version1"
        del slice_
        gc.collect()
        assert w.publish(b"version3", timeout=10) == 3


def test_errors(name):
    with pytest.raises(ValueError) as e:
        ipckit.SharedStateWriter.create(name, 0)
    assert e.value.errno == errno.EINVAL
    with ipckit.SharedStateWriter.create(name, 8) as w:
        with pytest.raises(FileExistsError):
            ipckit.SharedStateWriter.create(name, 8)
        with pytest.raises(OSError) as e:
            ipckit.SharedStateWriter.open(name)
        assert e.value.errno == errno.EBUSY
        with pytest.raises(ValueError):
            w.publish(b"123456789")  # larger than the table
        with pytest.raises(ValueError):
            w.begin(prefill="some")
    with pytest.raises(ValueError):
        w.publish(b"closed")
