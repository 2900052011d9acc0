"""ipckit: Linux interprocess communication for Python.

The channel (a lossless, crash-safe shared-memory queue shared with C++ programs and the
`ipckit` command), the shared state, and the machine's IPC objects. See docs/python.md.
"""

from ._errors import InvalidArgumentError
from ._ipckit import (
    Channel,
    Draft,
    PeekedMessage,
    Receiver,
    Sender,
    SharedState,
    SharedStateReader,
    SharedStateWriter,
    Snapshot,
    __version__,
    ls,
    stale,
)
from ._types import ChannelInfo, Participant, SharedStateInfo

__all__ = [
    "Channel",
    "ChannelInfo",
    "Draft",
    "InvalidArgumentError",
    "Participant",
    "PeekedMessage",
    "Receiver",
    "Sender",
    "SharedState",
    "SharedStateInfo",
    "SharedStateReader",
    "SharedStateWriter",
    "Snapshot",
    "__version__",
    "ls",
    "stale",
]
