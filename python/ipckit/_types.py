"""Plain records returned by ipckit (docs/python.md): what inspect() reads from a header."""

from dataclasses import dataclass, field
from typing import List


@dataclass(frozen=True)
class Participant:
    """A process registered in a channel's header."""

    pid: int
    producer: bool
    consumer: bool
    alive: bool


@dataclass(frozen=True)
class ChannelInfo:
    """A channel's header, as Channel.inspect() and Channel.info() read it."""

    name: str
    capacity: int
    max_message: int
    producers: str  # "single" or "multi"
    consumers: str  # "single" or "multi"
    creator_pid: int
    creator_uid: int
    creator_alive: bool
    created_unix_ns: int
    head: int  # bytes consumed since creation
    tail: int  # bytes published since creation
    used: int  # tail - head: bytes in the ring, record headers included
    stale: bool  # no live process registered and the creator gone
    participants: List[Participant] = field(default_factory=list)
    # Header fields that cannot be true (a damaged or hostile header); their values mean nothing.
    corrupted: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class SharedStateInfo:
    """A shared state's header, as SharedState.inspect() reads it."""

    name: str
    table_size: int
    buffers: int
    max_readers: int
    version: int
    writer_pid: int
    writer_alive: bool
    readers: int
    pinned: int
    creator_pid: int
    creator_uid: int
    created_unix_ns: int
