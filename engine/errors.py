"""User-facing failure types and atomic file output.

In: messages from any stage. Out: UserError (printed without traceback, exit 2) and atomic_write,
which writes through a temporary file and renames so no half-written output is ever left behind. The
file gets the permissions an ordinary write would give it: an existing file keeps its mode, a new one
gets 0666 less the umask.
"""

from __future__ import annotations

import os
import secrets
import stat


class UserError(Exception):
    """Bad input from the user (flags, files, policies): reported as one message, exit code 2."""


def atomic_write(path: str, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, then rename over it."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, tmp = _create_temp(directory)
    except OSError as exc:  # a missing or read-only directory is the user's to fix, not a crash
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as fh:
            existing = _existing_mode(path)
            if existing is not None:  # replacing a file must not change who may read it
                os.chmod(tmp, existing)
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


def _create_temp(directory: str) -> tuple[int, str]:
    # tempfile.mkstemp would create the file 0600; created 0666 here, the kernel applies the umask as
    # for any other new file.
    for _ in range(100):
        tmp = os.path.join(directory, f".argus-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {directory}")


def _existing_mode(path: str) -> int | None:
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None
