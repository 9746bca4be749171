"""User-facing failure types and atomic file output.

In: messages from any stage. Out: UserError (printed without traceback, exit 2), write_target (which file a
write to a path replaces, or why it cannot be written) and atomic_write / atomic_write_all, which write
through temporary files and rename, so no half-written output is ever left behind, and of several files
either all are replaced or none. The file gets the permissions an ordinary write would give it: an
existing file keeps its mode, a new one gets 0666 less the umask. A symbolic link is written through: its
target is replaced and the link stays a link. A character device or a pipe (/dev/stdout, /dev/null, a
named pipe, a shell's `>(...)`) cannot be replaced: it is written in place, after every file.
"""

from __future__ import annotations

import os
import secrets
import stat


class UserError(Exception):
    """Bad input from the user (flags, files, policies): reported as one message, exit code 2."""


def is_stream(path: str) -> bool:
    """A character device or a pipe, following links (/dev/stdout is a link to one)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_target(path: str) -> str:
    """What writing ``path`` replaces: a symbolic link's final target, else ``path`` itself, as an absolute
    path (``path`` unchanged for a stream, which is written in place). UserError when it could not be
    written, so a run can refuse before doing any work."""
    if is_stream(path):
        return path
    target = os.path.realpath(path)
    # the directory as the user sees it: theirs, unless a link sends the file somewhere else
    shown = os.path.dirname(target) if os.path.islink(path) else (os.path.dirname(path) or ".")
    if os.path.islink(target):  # realpath stops at a loop and hands back a link
        raise _refuse(path, "the symbolic link never ends in a file (a loop)")
    try:
        info = os.stat(target)
    except OSError:
        info = None  # absent, or its directory is the problem: said below
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise _refuse(path, "it is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):  # a socket or a block device
        raise _refuse(path, "not a regular file, a character device or a pipe")
    problem = _directory_problem(os.path.dirname(target), shown)
    if problem:
        raise _refuse(path, problem)
    return target


def _refuse(path: str, why: str) -> UserError:
    return UserError(f"{path}: cannot write: {why}")


def _directory_problem(directory: str, shown: str) -> str | None:
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        return f"directory {shown} does not exist"
    except NotADirectoryError:
        return f"{shown} is not a directory"
    except OSError as exc:
        return f"directory {shown}: {exc.strerror or exc}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{shown} is not a directory"
    effective = os.access in os.supports_effective_ids
    if not os.access(directory, os.W_OK | os.X_OK, effective_ids=effective):  # the temp file is made there
        return f"directory {shown} is not writable"
    return None


def atomic_write(path: str, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, then rename over it."""
    atomic_write_all([(path, data)])


def atomic_write_all(items: list[tuple[str, str | bytes]]) -> None:
    """Write every (path, data) or none: each file goes to a temporary file beside its target first, and
    only when all are written are they renamed into place, so a full disk on the third file leaves the
    first two as they were. Streams come last, once the files are in place."""
    streams = [(path, data) for path, data in items if is_stream(path)]
    files = [(path, data) for path, data in items if not is_stream(path)]
    staged: list[tuple[str, str, str]] = []  # (temporary file, target, path as given)
    try:
        for path, data in files:
            target = write_target(path)
            staged.append((_stage(path, target, data), target, path))
    except BaseException:
        _discard(tmp for tmp, _, _ in staged)
        raise
    _rename_all(staged)
    for path, data in streams:
        _write_stream(path, data)


def _rename_all(staged: list[tuple[str, str, str]]) -> None:
    # a rename in one directory fails only if something else changed it since the temp file was made
    for i, (tmp, target, path) in enumerate(staged):
        try:
            os.replace(tmp, target)
        except OSError as exc:
            _discard(tmp for tmp, _, _ in staged[i:])
            done = ", ".join(p for _, _, p in staged[:i])
            raise _refuse(path, f"{exc.strerror or exc}" + (f" (already replaced: {done})" if done else "")) from None


def _stage(path: str, target: str, data: str | bytes) -> str:
    """``data`` in a new temporary file in ``target``'s directory (a rename never crosses file systems)."""
    mode, options = _open_mode(data)
    try:
        fd, tmp = _create_temp(os.path.dirname(target))
    except OSError as exc:  # a missing or read-only directory is the user's to fix, not a crash
        raise _refuse(path, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, mode, **options) as fh:
            existing = _existing_mode(target)
            if existing is not None:  # replacing a file must not change who may read it
                os.chmod(tmp, existing)
            fh.write(data)
    except BaseException as exc:
        _discard([tmp])
        if isinstance(exc, OSError):
            raise _refuse(path, exc.strerror or str(exc)) from None
        raise
    return tmp


def _write_stream(path: str, data: str | bytes) -> None:
    mode, options = _open_mode(data)
    try:
        with open(path, mode, **options) as fh:
            fh.write(data)
    except OSError as exc:
        raise _refuse(path, exc.strerror or str(exc)) from None


def _open_mode(data: str | bytes) -> tuple[str, dict]:
    return ("wb", {}) if isinstance(data, bytes) else ("w", {"encoding": "utf-8", "newline": "\n"})


def _discard(paths) -> None:
    for tmp in paths:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


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
