"""What-if files: a deployment preview read, checked and located, before anything is scanned.

In: the path of a what-if result in either form Azure writes it: the REST body (`POST .../whatIf`:
`{"status", "properties": {"changes", "potentialChanges", "diagnostics"}, "error"}`) or the flattened form the
Azure CLI prints with `az deployment group what-if --no-pretty-print` (the same keys with `properties` lifted to
the top). Out: a `WhatIf` with every change as a `Change` (change type, resource id, `after` body, unsupported
reason, its JSON pointer and line in the file), the potential changes apart, the diagnostics, and the reason the
preview stopped expanding nested templates when its diagnostics say it did. Anything that is not a succeeded
what-if result is refused: malformed JSON, an unknown change type, a change without a resource id or with a body
that is not an object are E413 diagnostics at their place in the file; an unreadable file, a failed operation
(status or error code) or a document of the wrong shape a UserError naming the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import orjson

from argus.language.ast import Span
from argus.diagnostics import at, json_error, located
from argus.errors import UserError
from argus.language.values import json_text
from argus.snapshots.argpages import json_type

CHANGE_TYPES = ("Create", "Delete", "Deploy", "Ignore", "Modify", "NoChange", "Unsupported")
_CANONICAL = {t.casefold(): t for t in CHANGE_TYPES}
# What-if stops expanding nested templates at its limits (500 templates, 800 resource groups, 5 minutes) or when a
# nested template's parameters depend on values only a deployment produces; the resources left over are reported
# as Ignore and a diagnostic says so. These codes, or any diagnostic about a limit, mean Ignore is not "untouched".
_STOPPED_CODES = ("nesteddeploymentshortcircuited", "nesteddeploymentskippedfrominternalexpansion")
MAX_DEPTH = 100
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')


@dataclass(slots=True)
class Change:
    index: int
    pointer: str
    line: int | None
    change_type: str
    resource_id: str | None
    after: dict | None
    unsupported_reason: str | None
    potential: bool = False
    extension: str | None = None  # a Bicep extension resource (no ARM id): reported, never applied


@dataclass
class WhatIf:
    path: str
    sha256: str
    form: str                      # "rest" or "cli"
    status: str
    changes: list[Change]
    potential: list[Change]
    diagnostics: list[dict] = field(default_factory=list)
    stopped: str | None = None     # why Ignore may hide changes (nested template limits), from the diagnostics

    def where(self, change: Change) -> str:
        line = f", line {change.line}" if change.line else ""
        return f"{self.path} {change.pointer}{line}"


def load(path: str) -> WhatIf:
    raw = _read(path)
    text = raw.decode("utf-8", errors="replace")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise json_error("E413", path, exc, "what-if is not valid JSON", text) from None
    if not isinstance(doc, dict):
        raise UserError(f"{path}: not a what-if result: expected a JSON object, got {json_type(doc)}")
    _check_depth(path, doc)
    if isinstance(doc.get("parameters"), dict) and isinstance(doc.get("responses"), dict):
        raise UserError(f"{path}: an Azure REST API spec example, not a what-if result: the result is its "
                        "responses.200.body; save that body, or the output of `az deployment group what-if "
                        "--no-pretty-print`")
    form, body = _body(path, doc)
    status = _check_status(path, doc)
    places = _element_places(text, {("properties", "changes"), ("properties", "potentialChanges"),
                                    ("changes",), ("potentialChanges",)})
    prefix = "/properties" if form == "rest" else ""
    try:
        changes = _changes(path, body, "changes", prefix, places, potential=False)
        potential = _changes(path, body, "potentialChanges", prefix, places, potential=True)
    except _BadChange as bad:
        raise located("E413", bad.span, bad.message, text) if bad.span else UserError(f"{path}: {bad.message}") from None
    diagnostics = _diagnostics(path, body, prefix)
    return WhatIf(path, hashlib.sha256(raw).hexdigest(), form, status, changes, potential, diagnostics,
                  _stopped(diagnostics))


def _check_depth(path: str, doc) -> None:
    """Nesting beyond MAX_DEPTH is refused here, iteratively: the overlay walks bodies recursively, and no
    resource body nests anywhere near that deep."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UserError(f"{path}: the what-if nests more than {MAX_DEPTH} levels deep; not a deployment preview")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise UserError(f"{path}: no such what-if file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: a directory, not a what-if file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read what-if file: {exc.strerror or exc}") from None
    return raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw  # PowerShell's Out-File writes a BOM


def _body(path: str, doc: dict) -> tuple[str, dict]:
    """("rest", doc["properties"]) or ("cli", doc): where changes, potentialChanges and diagnostics sit."""
    props = doc.get("properties")
    flat = [k for k in ("changes", "potentialChanges", "diagnostics") if k in doc]
    if isinstance(props, dict) and ("changes" in props or "potentialChanges" in props):
        if flat:
            raise UserError(f"{path}: both 'properties.changes' (REST form) and top-level '{flat[0]}' (CLI form): "
                            "which one is the preview?")
        return "rest", props
    if "changes" in doc:
        return "cli", doc
    if "status" in doc or "error" in doc:  # a failed operation has no changes: its status says why
        return "cli", doc
    raise UserError(f"{path}: not a what-if result: no 'changes' (REST: 'properties.changes'); produce it with "
                    "`az deployment group what-if --no-pretty-print` (see docs/what-if.md)")


def _check_status(path: str, doc: dict) -> str:
    """A preview that did not succeed predicts nothing: scanning it as if it did would be a silent pass."""
    status, error = doc.get("status"), doc.get("error")
    if error not in (None, {}):
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        detail = f" {code}" if code else ""
        detail += f": {message}" if message else ""
        raise UserError(f"{path}: the what-if failed (status {status or 'not given'}, error{detail or ' ' + json_type(error)}); "
                        "fix the deployment and run what-if again")
    if not isinstance(status, str):
        raise UserError(f"{path}: the what-if has no 'status' ({'absent' if status is None else json_type(status)}), "
                        "so it cannot be told from a failed one")
    if status.casefold() != "succeeded":
        raise UserError(f"{path}: the what-if did not succeed (status {status}); only a Succeeded preview can be scanned")
    return status


class _BadChange(Exception):
    """A change the scan cannot use, at the place its element starts (None: not found in the text)."""

    def __init__(self, span: Span | None, message: str):
        super().__init__(message)
        self.span, self.message = span, message


def _changes(path: str, body: dict, key: str, prefix: str, places: dict, potential: bool) -> list[Change]:
    items = body.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise UserError(f"{path}: {prefix}/{key} must be a list of changes, got {json_type(items)}")
    found = places.get(("properties", key) if prefix else (key,), [])
    return [_change(item, i, f"{prefix}/{key}/{i}", at(path, *found[i]) if i < len(found) else None, potential)
            for i, item in enumerate(items)]


def _change(item, index: int, pointer: str, where: Span | None, potential: bool) -> Change:
    if not isinstance(item, dict):
        raise _BadChange(where, f"{pointer}: a change must be an object, got {json_type(item)}")
    raw_type = item.get("changeType")
    change_type = _CANONICAL.get(raw_type.casefold()) if isinstance(raw_type, str) else None
    if change_type is None:
        raise _BadChange(where, f"{pointer}/changeType: unknown change type {json_text(raw_type, compact=True)[:60]}; "
                                f"expected one of {', '.join(CHANGE_TYPES)}")
    rid, extension = item.get("resourceId"), item.get("extension")
    if not (isinstance(rid, str) and rid.startswith("/")):
        if rid is None and (extension is not None or item.get("identifiers") is not None):
            extension = _extension_name(extension)
        else:
            raise _BadChange(where, f"{pointer}/resourceId: expected an Azure resource id, got "
                                    f"{json_text(rid, compact=True)[:80]}")
    after = item.get("after")
    if after is not None and not isinstance(after, dict):
        raise _BadChange(where, f"{pointer}/after: the predicted resource must be an object, got {json_type(after)}")
    reason = item.get("unsupportedReason")
    line = where.line if where else None
    return Change(index, pointer, line, change_type, rid if isinstance(rid, str) else None, after,
                  reason if isinstance(reason, str) and reason.strip() else None, potential,
                  extension if rid is None else None)


def _extension_name(extension) -> str:
    if isinstance(extension, dict):
        return str(extension.get("name") or extension.get("alias") or "extension")
    return str(extension or "extension")


def _diagnostics(path: str, body: dict, prefix: str) -> list[dict]:
    items = body.get("diagnostics")
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(d, dict) for d in items):
        raise UserError(f"{path}: {prefix}/diagnostics must be a list of objects")
    return [{key: str(d.get(key) or "") for key in ("level", "code", "message", "target")} for d in items]


def _stopped(diagnostics: list[dict]) -> str | None:
    for d in diagnostics:
        code = d["code"].casefold()
        if code in _STOPPED_CODES or (d["level"].casefold() in ("warning", "error") and
                                      "limit" in f"{code} {d['message'].casefold()}"):
            return f"{d['code'] or d['level']}: {d['message']}".strip(": ")
    return None


def _element_places(text: str, wanted: set[tuple]) -> dict[tuple, list[tuple[int, int]]]:
    """The line and column where each element of the arrays at the `wanted` key paths begins: one pass over the
    tokens of (already parsed, so valid) JSON text, keeping the key path of every open container."""
    out: dict[tuple, list[tuple[int, int]]] = {w: [] for w in wanted}
    stack: list[list] = []  # [path, is_array, current key or element index, expecting a key]
    line, last = 1, 0
    for match in _TOKEN.finditer(text):
        tok, pos = match.group(), match.start()
        line += text.count("\n", last, pos)
        last = pos
        top = stack[-1] if stack else None
        if tok in "{[":
            path = () if top is None else top[0] + (top[2],)
            if top is not None and top[1] and top[0] in out:
                out[top[0]].append((line, pos - text.rfind("\n", 0, pos)))
            stack.append([path, tok == "[", 0 if tok == "[" else None, tok == "{"])
        elif tok in "}]":
            stack.pop()
        elif tok == ",":
            if top[1]:
                top[2] += 1
            else:
                top[3] = True
        elif tok == ":":
            top[3] = False
        elif top is not None and not top[1] and top[3]:
            top[2] = orjson.loads(tok)  # a key
    return out
