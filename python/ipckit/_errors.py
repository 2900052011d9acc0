"""Python exceptions for ipckit errors (docs/python.md, "Errors").

The compiled module calls make() for every failed call. OSError(errno, ...) picks the subclass
the way the os module does (FileNotFoundError for ENOENT, TimeoutError for ETIMEDOUT, ...).
"""

import errno as _errno


class InvalidArgumentError(OSError, ValueError):
    """A bad argument: errno EINVAL, EMSGSIZE, ENAMETOOLONG, or EBADF (a closed handle).

    Both an OSError (errno, operation, object) and a ValueError, so either except clause works.
    """


_ARGUMENT_ERRNOS = frozenset({_errno.EINVAL, _errno.EMSGSIZE, _errno.ENAMETOOLONG, _errno.EBADF})


def make(code: int, operation: str, obj: str, message: str) -> OSError:
    """The exception for one ipckit error: errno `code` from `operation` on `obj`."""
    cls = InvalidArgumentError if code in _ARGUMENT_ERRNOS else OSError
    exc = cls(code, message)
    exc.operation = operation
    exc.object = obj
    return exc
