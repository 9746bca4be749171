"""The scan clock: the one instant `now()`, `days_since()` and the run header read during a scan.

In: the value of `--now TIMESTAMP` (scan, explain, test; the commands own the flag, HELP is its help), the
environment variable ARGUS_NOW, or a fixture file's `now:`; each an ISO 8601 timestamp with a zone. Out: an aware
datetime, read once per command so every rule and subject of a scan sees the same instant (a scan that runs across
midnight must not judge half its keys by one date and half by the next), or a UserError naming the flag, variable
or fixture key whose value is bad (exit 2). Without either, the instant is the system clock's when the command
starts. A fixed instant makes a run reproducible: the same snapshot and rules give the same findings next year.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from argus.errors import UserError
from argus.language.fn_time import iso, parse_instant

ENV = "ARGUS_NOW"
HELP = ("the scan's clock for now() and days_since(): an ISO 8601 timestamp with a zone, e.g. 2026-03-01T00:00:00Z "
        f"(env {ENV}; default: the system clock), for reproducible runs")

__all__ = ["ENV", "HELP", "iso", "parse", "resolve"]


def parse(text, source: str) -> datetime:
    """The instant `text` names; UserError prefixed with `source` (--now, ARGUS_NOW=..., FILE:LINE:COL now)."""
    if not isinstance(text, str):
        raise UserError(f"{source}: expected an ISO 8601 timestamp with a zone, got {text!r}")
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise UserError(f"{source}: {exc}") from None


def resolve(flag: str | None, environ=None) -> tuple[datetime, str | None]:
    """The command's instant and where it came from: ``flag`` (the --now value, or None) as "flag", else
    ARGUS_NOW (its name), else the system clock (None: nothing to record; scan shows the origin in
    run.settings)."""
    env = os.environ if environ is None else environ
    if flag is not None:
        return parse(flag, "--now"), "flag"
    if env.get(ENV):
        return parse(env[ENV], f"{ENV}={env[ENV]}"), ENV
    return datetime.now(timezone.utc), None
