"""Appliance facts: build the `appliance` facts row for one on-premises appliance (the command,
`argus appliance-facts`, is argus.commands.appliancecmd; it hands this module an ApplianceInput).

In: appliance.json (as the installer writes it: UTF-8 with BOM, values mostly the strings
"true"/"false"), the proxy address, bypass lists as Windows and the appliance UI store them, and the
host names to resolve (live, or answers from a file). Out: a snapshot file ``{"appliance": [row]}``
(or the row merged into an existing snapshot file with ``--append``), the row shaped as
docs/architecture.md fixes it and checked against schemas/appliance-facts.schema.json before writing.
Everything a run could not establish is an error or a warning on stderr, never a silent default: an
appliance.json that is not a JSON object is an E410 diagnostic at its place (a DNS answers file E407, an
--append target that is not JSON E412), a wrong flag a UserError.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from argus.language import bypass
from argus.facts import dnsfacts
from argus.language.ast import Span
from argus.diagnostics import at, json_error, located
from argus.errors import UserError

KINDS = ("vmware-agentless", "agent-based")
ROW_TYPE = "argus/appliance"
SCHEMA_NAME = "appliance-facts.schema.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ORIGINS = ("appliance", "wininet", "winhttp")


@dataclass(frozen=True)
class ApplianceInput:
    """What `argus appliance-facts` was told (argus.commands.appliancecmd builds it from the flags)."""
    name: str
    kind: str
    appliance_json: str | None = None
    proxy_address: str | None = None            # None: the appliance connects directly (--no-proxy)
    bypass: tuple[tuple[str, str], ...] = ()      # (origin, list text as stored), in flag order
    resolve: tuple[str, ...] = ()
    dns_answers: str | None = None
    nameservers: tuple[str, ...] = ()
    dns_timeout: float = 5.0
    collected_at: str | None = None
    output: str = "-"
    append: bool = False


def facts_document(inp: ApplianceInput, warnings: list[str]) -> tuple[dict, dict]:
    """(the facts document to write, the row): {"appliance": [row]}, or the --append target's tables with the
    row merged in."""
    row = build_row(inp, warnings)
    _check_against_schema({"appliance": [row]})
    return (_merged(inp.output, row, warnings) if inp.append else {"appliance": [row]}), row


def build_row(inp: ApplianceInput, warnings: list[str]) -> dict:
    """The appliance row; ``warnings`` collects what the caller should print."""
    name = _name(inp.name)
    if inp.append and inp.output == "-":
        raise UserError("--append needs --output FILE (the snapshot file to merge into)")
    if inp.appliance_json is None and inp.kind == "vmware-agentless":
        raise UserError("--appliance-json is required for a vmware-agentless appliance "
                        "(its proxy bypass switch lives there)")
    config = read_appliance_json(inp.appliance_json) if inp.appliance_json else None
    entries = _bypass_entries(inp.bypass, warnings)
    switch = (config or {}).get("EnableProxyBypassList")
    switched_on = isinstance(switch, str) and switch.lower() == "true"
    if switch is not None and not isinstance(switch, str):
        warnings.append(f"appliance.json sets EnableProxyBypassList to the JSON value {json.dumps(switch)}; the "
                        "appliance expects the string \"true\" (AMX-MP-07 fails on anything else)")
    if any(e["origin"] == "appliance" for e in entries) and not switched_on:
        warnings.append("appliance bypass entries given, but appliance.json does not set EnableProxyBypassList "
                        "to \"true\": the appliance UI does not offer its bypass list then")
    address = None if inp.proxy_address is None else _proxy_address(inp.proxy_address)
    return {
        "id": f"appliance/{name}",
        "type": ROW_TYPE,
        "name": name,
        "kind": inp.kind,
        "collected_at": _collected_at(inp.collected_at),
        "config": config,
        "proxy": {"enabled": address is not None, "address": address, "bypass": entries},
        "dns": _dns(inp, warnings),
    }


def read_appliance_json(path: str) -> dict:
    """Parse appliance.json: BOM (UTF-8 or UTF-16, as Notepad may save it) tolerated, must be an object."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read appliance.json {path}: {exc.strerror}") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding, skip = "utf-16", 0  # the codec reads the BOM itself
    else:
        encoding, skip = "utf-8", 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not {encoding.upper()} text (byte {skip + exc.start}): {exc.reason}") from None
    config = _parse_json(path, text, "E410")
    if not isinstance(config, dict):
        raise located("E410", _start(path, text), f"appliance.json must be a JSON object, found "
                                                  f"{type(config).__name__}", text)
    return config


def _parse_json(path: str, text: str, code: str):
    """The JSON value of `text`; not JSON is the diagnostic `code` (E410 appliance.json, E412 a snapshot)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise json_error(code, path, exc, "not valid JSON", text) from None
    except (RecursionError, ValueError):
        # nested deeper than Python's parser recurses, or an integer longer than Python converts (4,300
        # digits): orjson reads it without recursing and says where
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise json_error(code, path, exc, "not valid JSON", text) from None
        raise UserError(f"{path}: not valid JSON: nested too deeply to read") from None


def _start(path: str, text: str) -> Span:
    """Where the document's value begins (after any blank lines and spaces)."""
    before = text[:len(text) - len(text.lstrip())]
    return at(path, before.count("\n") + 1, len(before) - before.rfind("\n"))


def _name(text: str) -> str:
    name = text.strip()
    if not _NAME.match(name):
        raise UserError(f"--name {text!r}: use letters, digits, '-', '_' or '.', starting with a letter or digit")
    return name


def _bypass_entries(lists: tuple[tuple[str, str], ...], warnings: list[str]) -> list[dict]:
    entries = []
    for origin in ORIGINS:  # the appliance UI list first, then WinINet, then WinHTTP
        for text in (text for o, text in lists if o == origin):
            for entry in bypass.split_list(text, origin):
                try:
                    bypass.check_entry(entry, origin)
                except ValueError as exc:
                    raise UserError(f"--bypass-{origin}: {exc}") from None
                warnings.extend(f"--bypass-{origin}: {w}" for w in bypass.entry_warnings(entry, origin))
                entries.append({"entry": entry, "origin": origin})
    return entries


def _proxy_address(text: str) -> str:
    address = text.strip()
    parts = urlsplit(address)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise UserError(f"--proxy-address {text!r}: the port is not a number from 0 to 65535") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UserError(f"--proxy-address {text!r}: write it as the appliance UI takes it, http://HOST[:PORT]")
    return address


def _collected_at(text: str | None) -> str:
    if text is None:
        moment = _now()
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise UserError(f"--collected-at {text!r}: not an ISO 8601 time such as 2026-11-20T09:12:00Z") from None
        if moment.tzinfo is None:
            raise UserError(f"--collected-at {text!r}: give the time zone (e.g. a trailing Z for UTC)")
    moment = moment.astimezone(timezone.utc)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _dns(inp: ApplianceInput, warnings: list[str]) -> dict:
    if inp.dns_answers:
        if inp.nameservers:
            raise UserError("--nameserver is for live lookups; it cannot be combined with --dns-answers")
        facts = dnsfacts.load_answers(inp.dns_answers, inp.resolve)
    elif inp.resolve:
        if inp.dns_timeout <= 0:
            raise UserError("--dns-timeout must be more than 0 seconds")
        servers = [dnsfacts.parse_nameserver(text) for text in inp.nameservers]
        facts = dnsfacts.resolve_live(inp.resolve, servers, inp.dns_timeout)
    else:
        warnings.append("no --resolve or --dns-answers: the row carries no DNS answers "
                        "(rules that need them cannot run)")
        return {}
    warnings.extend(facts.notes)
    return facts.answers


def _merged(path: str, row: dict, warnings: list[str]) -> dict:
    """The snapshot at ``path`` with ``row`` added to (or replacing its id in) the appliance table."""
    if not os.path.exists(path):
        return {"appliance": [row]}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    document = _parse_json(path, text, "E412")
    if not isinstance(document, dict) or any(not isinstance(v, list) for k, v in document.items() if k != "header"):
        raise UserError(f"{path}: --append needs a snapshot of tables ({{\"table\": [rows], ...}}); "
                        "write a separate file instead")
    table = document.setdefault("appliance", [])
    key = row["id"].casefold()
    same = [i for i, old in enumerate(table) if isinstance(old, dict) and str(old.get("id", "")).casefold() == key]
    if same:
        warnings.append(f"{path}: replaced the earlier row {row['id']}")
        table[same[0]] = row
        for index in reversed(same[1:]):
            del table[index]
    else:
        table.append(row)
    return document


def _validator():
    from argus.validation import validator
    return validator(SCHEMA_NAME)


def _check_against_schema(document: dict) -> None:
    from jsonschema.exceptions import best_match  # jsonschema only when something is validated
    error = best_match(_validator().iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise UserError(f"the appliance row does not fit {SCHEMA_NAME} at {where or '(root)'}: {error.message}")
