"""Waivers: accepted exceptions that mark matching findings as waived until they expire.

In: the raw `waivers` list of policies.yaml or of a separate waivers file (schemas/waivers.schema.json),
then a report document. Out: Waiver records (load, from_policy, load_file) and, in apply, the document annotated in
place: each waived finding gets a `waiver` object and the document a top-level `waivers` list saying,
for every waiver, whether it is active, expired or unused and how many findings it matched.

Problems are diagnostics located in the file the waiver came from: E405 in a waivers file (E403 in
policies.yaml, whose schema checks its waivers first), E404 for a waiver naming no loaded rule.

A waiver applies to fail and warn findings of its rule whose subject id matches its `subject` (an id
or a glob, case-insensitive). A waived finding keeps its status; it just no longer counts for
--fail-on. Errors and not-evaluated findings are never waived: they mean missing data, not accepted
risk. A waiver is valid through its `expires` day and expired from the day after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from argus.validation import validator


from argus import yamlpos
from argus.language.ast import Span
from argus.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from argus.language.regex import RegexError
from argus.policy.waivermatch import FindingIndex

WAIVABLE = ("fail", "warn")


@dataclass(frozen=True, slots=True)
class Waiver:
    rule: str
    subject: str
    justification: str
    owner: str
    expires: dt.date
    ticket: str | None = None
    source: str = ""
    entry: int = 0
    line: int | None = None
    code: str = "E405"                 # the diagnostic code of the file it came from (E403: policies.yaml)
    rule_at: Span | None = None        # where its `rule` and `subject` are written, for diagnostics
    subject_at: Span | None = None
    text: str | None = None            # that file's text, for the caret

    def to_dict(self) -> dict:
        origin = f"{self.source}:{self.line}" if self.line else f"{self.source} (waiver {self.entry})"
        return {"rule": self.rule, "subject": self.subject, "justification": self.justification,
                "owner": self.owner, "ticket": self.ticket, "expires": self.expires.isoformat(), "source": origin}


def load(raw: list, *, source: str, located: yamlpos.Located | None = None, at: tuple = (),
         code: str = "E405") -> list[Waiver]:
    """Validate raw waiver entries (parsed YAML/JSON) and turn them into Waivers.

    ``source`` names the file; ``located`` (the file read by argus.yamlpos, the entries at path ``at`` in it)
    places each problem, reported as the diagnostic ``code``. Without it (entries built in memory) a problem
    has no position.
    """
    def span(*path) -> Span | None:
        return located.span((*at, *path)) if located is not None else None

    def fail(where: Span | None, message: str) -> DiagnosticError:
        text = {source: located.text} if located is not None else {}
        return DiagnosticError([Diagnostic(code, where, message if where else f"{source}: {message}")], text)

    if not isinstance(raw, list):
        raise fail(span(), f"waivers must be a list of entries, got {type(raw).__name__}")
    entries = [_dates_as_text(entry) for entry in raw]
    checked = _certainly_valid(entries)  # else jsonschema, the schema's own judge, finds and words the problem
    waivers = []
    for number, entry in enumerate(entries, start=1):
        error = None if checked else _schema_error(entry)
        if error is not None:
            field = ".".join(str(p) for p in error.absolute_path)
            raise fail(span(number - 1, *error.absolute_path),
                       f"waiver {number}{_label(entry)}: {field + ': ' if field else ''}{_explain(error)}")
        waivers.append(Waiver(rule=entry["rule"], subject=entry["subject"], justification=entry["justification"],
                              owner=entry["owner"], expires=dt.date.fromisoformat(entry["expires"]),
                              ticket=entry.get("ticket"), source=source, entry=number,
                              line=span(number - 1).line if located is not None else None, code=code,
                              rule_at=span(number - 1, "rule"), subject_at=span(number - 1, "subject"),
                              text=located.text if located is not None else None))
    return waivers


def from_policy(policy) -> list[Waiver]:
    """The top-level `waivers:` of a loaded policies file (argus.policy.policies.Policy), with their places."""
    if policy is None or not policy.waivers:
        return []
    return load(policy.waivers, source=policy.file, located=policy.located, at=("waivers",), code="E403")


def load_file(path: str) -> list[Waiver]:
    """Read a waivers file: YAML or JSON, either a list of waivers or a mapping with a `waivers` list."""
    try:
        located = yamlpos.load(path)
    except yamlpos.InputError as exc:
        raise exc.error("E405") from None
    data, at = located.data, ()
    if isinstance(data, dict):
        if "waivers" not in data:
            raise DiagnosticError([Diagnostic("E405", located.span(()), "expected a list of waivers or a mapping "
                                              "with a 'waivers' key")], {path: located.text})
        data, at = data["waivers"], ("waivers",)
    if data is None:
        return []
    return load(data, source=path, located=located, at=at)


def apply(doc: dict, waivers: list[Waiver], *, today: dt.date, known_rule_ids: set[str]) -> None:
    """Mark waived findings in ``doc`` and add the top-level `waivers` section (mutates ``doc``)."""
    for waiver in waivers:
        if waiver.rule not in known_rule_ids:
            raise _error(waiver, "E404", waiver.rule_at, f"unknown rule {waiver.rule!r}"
                                                         f"{did_you_mean(waiver.rule, sorted(known_rule_ids))}")
    index = FindingIndex([f for f in doc["findings"] if f["status"] in WAIVABLE])  # linear, not waivers x findings
    section = []
    for waiver in waivers:
        expired = today > waiver.expires
        try:
            matched = index.matching(waiver.rule, waiver.subject)
        except RegexError as exc:
            raise _error(waiver, waiver.code, waiver.subject_at, f"subject {waiver.subject[:80]!r}: {exc}") from None
        entry = waiver.to_dict()
        if not expired:
            for finding in matched:
                finding.setdefault("waiver", entry)  # the first waiver listed wins (findings share the record)
        state = "expired" if expired else "active" if matched else "unused"
        section.append({**entry, "state": state, "matched": len(matched)})
    doc["waivers"] = section


def is_waived(finding: dict) -> bool:
    """True when an active waiver covers the finding: it then does not count for --fail-on."""
    return bool(finding.get("waiver"))


def _schema_error(entry: object):
    """The most relevant way ``entry`` breaks schemas/waivers.schema.json (a jsonschema error), else None."""
    from jsonschema.exceptions import best_match  # jsonschema only when something is validated
    return best_match(validator("waivers.schema.json", "waiver").iter_errors(entry))


def _certainly_valid(entries: list) -> bool:
    """True when every entry fits the waiver schema for certain: msgspec checks the constraints the schema states
    (the same types, lengths, patterns, required and no other fields; a real calendar date) at a few
    microseconds an entry, where jsonschema takes about 45. False decides nothing: the entries are then judged
    by jsonschema one by one. tests/test_waivers.py checks that it never accepts what the schema refuses."""
    import msgspec
    try:
        msgspec.convert(entries, list[_entry_type()])
        for entry in entries:
            dt.date.fromisoformat(entry["expires"])
    except (msgspec.ValidationError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def _entry_type():
    """schemas/waivers.schema.json's `waiver`, as a msgspec Struct (built when first needed)."""
    import msgspec
    from typing import Annotated

    text = Annotated[str, msgspec.Meta(min_length=1)]
    said = Annotated[str, msgspec.Meta(min_length=1, pattern=r"\S")]
    day = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    return msgspec.defstruct("WaiverEntry", [("rule", text), ("subject", text), ("justification", said),
                                             ("owner", said), ("expires", day), ("ticket", str, msgspec.UNSET)],
                             forbid_unknown_fields=True)


def _dates_as_text(entry: object) -> object:
    """YAML reads `expires: 2026-12-31` as a date; the schema speaks JSON, where it is a string."""
    if isinstance(entry, dict) and isinstance(entry.get("expires"), dt.date):
        return {**entry, "expires": entry["expires"].isoformat()}
    return entry


def _error(waiver: Waiver, code: str, where: Span | None, message: str) -> DiagnosticError:
    """A problem of a loaded waiver, at its place in its file (or naming the file, for one built in memory)."""
    lead = f"waiver {waiver.entry}: " if where else f"{waiver.source}: waiver {waiver.entry}: "
    return DiagnosticError([Diagnostic(code, where, lead + message)],
                           {waiver.source: waiver.text} if waiver.text is not None else {})


def _explain(error: jsonschema.ValidationError) -> str:
    """The schema's message, said plainly where its wording would puzzle (regular expressions, lengths)."""
    field = error.absolute_path[-1] if error.absolute_path else None
    if field == "expires" and error.validator in ("format", "pattern"):
        return f"{error.instance!r} is not a valid date written YYYY-MM-DD"
    if field in ("justification", "owner") and error.validator in ("minLength", "pattern"):
        return "must not be blank"
    return error.message


def _label(entry: object) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
        return f" (rule {entry['rule']})"
    return ""
