"""User-facing failure types and atomic file output.

In: messages from any stage. Out: UserError (printed without traceback, exit 2) and atomic_write,
which writes through a temporary file and renames so no half-written output is ever left behind.
"""

from __future__ import annotations

import os
import tempfile


class UserError(Exception):
    """Bad input from the user (flags, files, policies): reported as one message, exit code 2."""


def atomic_write(path: str, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, then rename over it."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, tmp = tempfile.mkstemp(prefix=".argus-", suffix=".tmp", dir=directory)
    except OSError as exc:  # a missing or read-only directory is the user's to fix, not a crash
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
