"""Zero-copy peek: a view never outlives the message it shows."""

import gc

import pytest

import ipckit


def test_peek_gives_the_message_in_place_and_releases_it(channel):
    with channel.sender() as s, channel.receiver() as r:
        s.send(b"first")
        s.send(b"second")
        with r.peek() as view:
            assert isinstance(view, memoryview) and view.readonly
            assert bytes(view) == b"first"
            kept = view
        with pytest.raises(ValueError):
            kept[0]  # released with the block
        assert r.recv() == b"second"


def test_peek_then_recv_without_release_is_refused(channel):
    with channel.sender() as s, channel.receiver() as r:
        s.send(b"one")
        m = r.peek()
        assert len(m) == 3 and m.tobytes() == b"one"
        with pytest.raises(BufferError):
            r.recv(timeout=0)
        m.release()
        with pytest.raises(ValueError):
            m.view
        with pytest.raises(TimeoutError):
            r.recv(timeout=0)  # "one" was taken by the release


def test_a_view_kept_past_the_block_keeps_the_message_in_the_ring(channel):
    with channel.sender() as s, channel.receiver() as r:
        s.send(b"kept message")
        s.send(b"next message")
        with pytest.raises(BufferError):
            with r.peek() as view:
                tail = view[5:]  # a second view of the same memory
        assert bytes(tail) == b"message"  # still readable: the ring space was not given back
        with pytest.raises(BufferError):
            r.recv(timeout=0)
        assert bytes(tail) == b"message"
        del tail
        gc.collect()
        assert r.recv() == b"next message"  # the peeked one left the ring once unseen


def test_numpy_array_over_a_peeked_message_pins_it(channel):
    np = pytest.importorskip("numpy")
    with channel.sender() as s, channel.receiver() as r:
        s.send(np.arange(16, dtype=np.uint8))
        s.send(b"after")
        msg = r.peek()
        arr = np.frombuffer(msg.view, dtype=np.uint8)
        with pytest.raises(BufferError):
            msg.release()
        assert arr.sum() == sum(range(16))
        del arr
        assert r.recv() == b"after"


def test_try_peek_and_a_dropped_peek(channel):
    with channel.sender() as s, channel.receiver() as r:
        assert r.try_peek() is None
        s.send(b"dropped")
        s.send(b"kept")
        m = r.try_peek()
        assert m.tobytes() == b"dropped"
        del m  # garbage-collected without release: the message is consumed
        gc.collect()
        assert r.recv() == b"kept"


def test_the_view_property_is_released_with_the_message(channel):
    with channel.sender() as s, channel.receiver() as r:
        s.send(b"abc")
        m = r.peek()
        v = m.view  # the message's own view, not a new one: released with it
        assert bytes(v) == b"abc"
        m.release()
        with pytest.raises(ValueError):
            v[0]
        with pytest.raises(ValueError):
            m.view
        with pytest.raises(TimeoutError):
            r.recv(timeout=0)
