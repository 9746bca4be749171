"""Which output goes where: `--format` and `--output` paired by their order on the command line.

In: every `--format` and `--output` in the order given, as ("format" | "output", value) pairs (the scan command
records them with an argparse action). Out: `pairs(order)`, the (format, file or None) list the scan writes: each
`--output FILE` belongs to the `--format` right before it, and a format with no `--output` (or with `--output -`)
goes to stdout. Usage errors (UserError, exit 2): an `--output` with no `--format` before it, a second `--output`
for one format, one file for two formats, more than one format on stdout. `check_destinations` then refuses,
before the scan runs, any file that could not be written (see errors.write_target), two outputs that are one file
(through a link or not), and a history DB that is an output too or not an argus history.
"""

from __future__ import annotations

import os

from argus.errors import UserError, write_target

DEFAULT_FORMAT = "text"
STDOUT = "-"  # --output - : standard output, as for most Unix tools


def pairs(order) -> list[tuple[str, str | None]]:
    """(format, output file or None for stdout) for every --format, in command-line order; ``order``: the
    ("format" | "output", value) pairs as given."""
    result: list[list] = []
    for kind, value in order or ():
        if kind == "format":
            result.append([value, None])
        elif not result:
            raise UserError(f"--output {value} comes before any --format; put it right after the format it "
                            f"is for (--format {_guess(value)} --output {value})")
        elif result[-1][1] is not None:
            raise UserError(f"--output {value}: --format {result[-1][0]} already writes to {result[-1][1]}; "
                            "give each --format its own --output right after it")
        else:
            result[-1][1] = None if value == STDOUT else value
    if not result:
        result = [[DEFAULT_FORMAT, None]]
    _check_targets(result)
    return [(fmt, out) for fmt, out in result]


_BY_SUFFIX = {".json": "json", ".sarif": "sarif", ".xml": "junit", ".md": "markdown", ".txt": "text"}


def _guess(path: str) -> str:
    """The format a file name suggests, for the example in a message only: formats are never guessed."""
    return _BY_SUFFIX.get(os.path.splitext(path)[1].lower(), "FORMAT")


def _check_targets(result: list[list]) -> None:
    if sum(1 for _, out in result if out is None) > 1:
        raise UserError("only one format can go to stdout; give --output FILE for the others")
    seen: dict[str, str] = {}
    for fmt, out in result:
        if out is None:
            continue
        key = os.path.normcase(os.path.abspath(out))
        if key in seen:
            raise UserError(f"--output {out} is given for both --format {seen[key]} and --format {fmt}; "
                            "one file holds one format")
        seen[key] = fmt


def check_destinations(pairs: list[tuple[str, str | None]], history_db: str | None = None,
                       history_label: str = "--history") -> None:
    """Refuse now, before any work, a run whose outputs or history could not all be written."""
    seen: dict[object, tuple[str, str]] = {}  # file identity -> (format, --output as given)
    for fmt, out in pairs:
        if out is None:
            continue
        key = _identity(write_target(out))
        if key in seen:
            first_fmt, first_out = seen[key]
            raise UserError(f"--output {out} (for --format {fmt}) is the same file as --output {first_out} "
                            f"(for --format {first_fmt}); one file holds one format")
        seen[key] = (fmt, out)
    if not history_db:
        return
    from argus.state import history
    history.check_destination(history_db)
    clash = seen.get(_identity(write_target(history_db)))
    if clash:
        raise UserError(f"{history_label} is also the --output of --format {clash[0]}; give the history "
                        "its own file")


def _identity(target: str) -> object:
    """One key per file: device and inode for a file that exists (hard links too), else the resolved path."""
    try:
        info = os.stat(target)
    except OSError:
        return os.path.normcase(target)
    return (info.st_dev, info.st_ino)
