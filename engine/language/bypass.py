"""Proxy-bypass lists as the Azure Migrate appliance and Windows read them.

In: bypass entries (text plus the origin that stores them) and a target host. Out: whether an entry
covers the host. These are pure functions; the rule engine's function table calls ``entry_matches``,
``covering_entries`` and ``covers``; ``argus appliance-facts`` calls ``split_list``, ``check_entry``
and ``entry_warnings`` while building the facts.

Origins and their syntax (docs/appliance-facts.md has the sources):
- ``appliance``: the appliance configuration manager's bypass list. Each entry is a regular
  expression matched against the whole host name (the article's ``.*.blob.core.windows.net``).
- ``wininet`` (ProxyOverride) and ``winhttp`` (``netsh winhttp`` bypass list): wildcard patterns
  ``[scheme://]host-pattern[:port]`` where ``*`` matches any run of characters (also none), and the
  macro ``<local>`` matches host names without a dot. IP literals and patterns such as ``10.*`` are
  compared as text, not as address ranges. ``<-loopback>`` only withdraws Windows' implicit
  loopback bypass, so it covers nothing.
All comparisons are case-insensitive.

A target is ``host``, ``host:port`` or ``scheme://host[:port]``; without a scheme it is ``https``
(every endpoint on the migration path is HTTPS) and without a port it is the scheme's default.
An appliance entry that is not a valid regular expression raises ValueError naming the entry: the
engine reports that as an ``error`` finding rather than guessing whether the entry would cover.
Entries come from appliances other people administer, so every entry, regular expression or wildcard, is
matched by RE2 (``argus.language.regex``): in time linear in the host name, whatever the entry.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from argus.language import regex

ORIGINS = ("appliance", "wininet", "winhttp")
WILDCARD_ORIGINS = ("wininet", "winhttp")
LOCAL_MACRO = "<local>"
LOOPBACK_MACRO = "<-loopback>"
DEFAULT_PORTS = {"http": 80, "https": 443}

# Windows documents semicolons or whitespace between entries; the appliance UI list is one
# regular expression per `;`-separated item, so whitespace there is trimmed, not a separator.
_SEPARATORS = {"appliance": re.compile(r";"), "wininet": re.compile(r"[;\s]+"), "winhttp": re.compile(r"[;\s]+")}
_PORT_SUFFIX = re.compile(r"^(?P<host>.*?):(?P<port>\d+)$")


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int | None


def split_list(text: str, origin: str) -> list[str]:
    """Split a bypass list as its origin stores it into entries, in order, empty items dropped."""
    _check_origin(origin)
    return [item.strip() for item in _SEPARATORS[origin].split(text) if item.strip()]


def check_entry(entry: str, origin: str) -> None:
    """Raise ValueError if ``entry`` can never be read by ``origin`` (an invalid regular expression)."""
    _check_origin(origin)
    if origin == "appliance":
        _appliance_regex(entry)


def entry_warnings(entry: str, origin: str) -> list[str]:
    """Mistakes Windows would not report: a wildcard entry written in another tool's dialect."""
    if origin not in WILDCARD_ORIGINS:
        return []
    warnings = []
    if entry.startswith("."):
        warnings.append(f"{entry!r} matches no host: a leading '.' is not a domain suffix here; write '*{entry}'")
    if "," in entry:
        warnings.append(f"{entry!r} contains ',', which does not separate entries here; use ';'")
    return warnings


def entry_matches(entry: str, origin: str, host: str) -> bool:
    """True when the bypass ``entry`` stored by ``origin`` covers the target ``host``."""
    return _matches(entry, origin, parse_target(host))


def covering_entries(bypass: list[dict], host: str) -> list[dict]:
    """The bypass entries (dicts with ``entry`` and ``origin``), in order, that cover ``host``."""
    target = parse_target(host)
    found = []
    for item in bypass:
        if not isinstance(item, dict) or not isinstance(item.get("entry"), str):
            raise ValueError(f"bypass item {item!r} has no 'entry' text")
        if _matches(item["entry"], item.get("origin"), target):
            found.append(item)
    return found


def covers(bypass: list[dict], host: str) -> bool:
    """True when any entry of ``bypass`` covers ``host`` (every entry is still checked for validity)."""
    return bool(covering_entries(bypass, host))


def parse_target(host: str) -> Target:
    """Split ``[scheme://]host[:port]`` into its parts, folded to lower case."""
    if not isinstance(host, str) or not host.strip():
        raise ValueError(f"target host {host!r} is empty")
    text = host.strip()
    if _is_ip(text):  # a bare IPv6 literal would otherwise read as host:port
        return Target("https", text.lower(), 443)
    parts = urlsplit(text if "://" in text else f"https://{text}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"target {host!r} has an invalid port") from exc
    scheme = parts.scheme.lower()
    name = (parts.hostname or "").rstrip(".")
    if not name:
        raise ValueError(f"target {host!r} has no host name")
    return Target(scheme, name, port if port is not None else DEFAULT_PORTS.get(scheme))


def _matches(entry: str, origin: str, target: Target) -> bool:
    _check_origin(origin)
    if not isinstance(entry, str):
        raise ValueError(f"bypass entry {entry!r} is not text")
    if origin == "appliance":
        return _appliance_regex(entry.strip()).fullmatch(target.host)
    return _wildcard_matches(entry.strip(), target)


def _check_origin(origin: str) -> None:
    if origin not in ORIGINS:
        raise ValueError(f"bypass origin {origin!r} is not one of {', '.join(ORIGINS)}")


def _appliance_regex(entry: str) -> regex.Regex:
    try:
        return regex.compile(entry, ignore_case=True)
    except regex.RegexError as exc:
        raise ValueError(f"appliance bypass entry {entry!r} is not a valid regular expression: {exc}") from None


def _wildcard_matches(entry: str, target: Target) -> bool:
    folded = entry.lower()
    if folded == LOCAL_MACRO:
        return "." not in target.host and not _is_ip(target.host)
    if folded == LOOPBACK_MACRO:
        return False
    scheme_glob, host_glob, port = _split_wildcard_entry(folded)
    if scheme_glob is not None and not _glob(scheme_glob).fullmatch(target.scheme):
        return False
    if port is not None and port != target.port:
        return False
    return _glob(host_glob).fullmatch(target.host)


def _split_wildcard_entry(entry: str) -> tuple[str | None, str, int | None]:
    """``[scheme://]host-pattern[:port]`` -> (scheme pattern or None, host pattern, port or None)."""
    scheme, sep, rest = entry.partition("://")
    if not sep:
        scheme, rest = None, entry
    if rest.startswith("["):  # [v6]:port
        inside, _, after = rest[1:].partition("]")
        port = after[1:] if after.startswith(":") and after[1:].isdigit() else None
        return scheme, inside, int(port) if port else None
    match = _PORT_SUFFIX.match(rest)
    if match and ":" not in match["host"]:
        return scheme, match["host"], int(match["port"])
    return scheme, rest, None


def _glob(pattern: str) -> regex.Regex:
    # `*a*a*...*b` backtracked for minutes on a 40-character host under Python's re; RE2 does not backtrack
    try:
        return regex.compile_glob(pattern, ignore_case=True, classes=False)
    except regex.RegexError as exc:  # only a wildcard too large for RE2's budget
        raise ValueError(f"bypass wildcard {pattern!r} cannot be matched: {exc}") from None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
