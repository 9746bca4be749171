"""sha256 of a snapshot file, read and hashed in a thread while the file is parsed.

In: a path. Out: `FileDigest(path).hexdigest()`, the file's sha256 (the report's `run.snapshots[].sha256`, SARIF
artifacts, the history's run header), or a UserError when the file could not be read. Why a thread: hashing a
2 GB file takes over a second, and hashlib lets go of the GIL, so on a second core it costs the scan nothing;
the thread reads the file itself, a few MB at a time, so no second copy of it is ever in memory.
"""

from __future__ import annotations

import hashlib
import threading

from argus.errors import UserError


class FileDigest:
    """sha256 of a file, computed in a thread while the caller goes on (a few MB read at a time)."""

    def __init__(self, path: str) -> None:
        self._hash, self._path, self._error = hashlib.sha256(), path, None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with open(self._path, "rb") as fh:
                for block in iter(lambda: fh.read(8 << 20), b""):
                    self._hash.update(block)
        except OSError as exc:  # said by hexdigest(), if anyone asks: a load that failed never does
            self._error = exc

    def hexdigest(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise UserError(f"{self._path}: cannot read: {self._error.strerror or self._error}")
        return self._hash.hexdigest()
