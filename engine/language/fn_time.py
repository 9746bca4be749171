"""Built-in functions on time: now, days_between, days_since; and the timestamp parsing they (and --now) share.

In: ISO 8601 timestamps as text (`2026-03-01T08:00:00Z`, `2026-03-01T09:00:00.1234567+01:00`, as ARM writes
them), and the scan's instant (an aware datetime the evaluation context carries: argus.evaluation.clock). Out: text for
now(), fractional days for the others; a `Missing` for a null; an `EvalError` for text that is no timestamp or
one without a zone, since a naive time could be any of 26 hours and a rule about "older than 90 days" must not
guess. The declarations are in the one table, argus.language.functions.FUNCTIONS.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from argus.language.values import EvalError, Missing, short, type_name

SECONDS_PER_DAY = 86400


def parse_instant(text: str) -> datetime:
    """An aware datetime from ISO 8601 text with a zone (`Z` or `+01:00`); ValueError saying what is wrong.
    The standard library reads the forms ARM writes, including 7 fractional digits (cut to microseconds)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 timestamp (e.g. 2026-03-01T08:00:00Z)") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{text!r} has no time zone; add Z for UTC or an offset such as +01:00")
    return value


def iso(instant: datetime) -> str:
    """The instant as argus prints it: UTC, seconds (and milliseconds when there are any), `Z`."""
    utc = instant.astimezone(timezone.utc)
    spec = "milliseconds" if utc.microsecond else "seconds"
    return utc.isoformat(timespec=spec).replace("+00:00", "Z")


def _instant(name: str, which: str, v) -> datetime | Missing:
    if v is None:
        return Missing(f"{name}(): the {which} is null")
    if not isinstance(v, str):
        raise EvalError(f"{name}() needs a timestamp string, got {type_name(v)} ({short(v, 40)})")
    try:
        return parse_instant(v)
    except ValueError as exc:
        raise EvalError(f"{name}(): {exc}") from None


def _days(start: datetime, end: datetime):
    days = (end - start).total_seconds() / SECONDS_PER_DAY
    return int(days) if days.is_integer() else days  # whole days print as 90, not 90.0


@lru_cache(maxsize=4)  # called for every subject of a rule that reads now(), always with the scan's one instant
def now(instant: datetime) -> str:
    """The scan's instant: the same for every rule and subject of one scan."""
    return iso(instant)


def days_between(a, b):
    """Days from a to b (negative when b is earlier), with the fraction of a day."""
    start = _instant("days_between", "first timestamp", a)
    if start.__class__ is Missing:
        return start
    end = _instant("days_between", "second timestamp", b)
    if end.__class__ is Missing:
        return end
    return _days(start, end)


def days_since(instant: datetime, t):
    """Days from t to the scan's instant (negative for a time after it, such as an expiry date)."""
    start = _instant("days_since", "timestamp", t)
    if start.__class__ is Missing:
        return start
    return _days(start, instant)
