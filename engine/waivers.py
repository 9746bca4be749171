"""Waivers: accepted exceptions that mark matching findings as waived until they expire.

In: the raw `waivers` list of policies.yaml or of a separate waivers file (schemas/waivers.schema.json),
then a report document. Out: Waiver records (load, from_policy, load_file) and, in apply, the document annotated in
place: each waived finding gets a `waiver` object and the document a top-level `waivers` list saying,
for every waiver, whether it is active, expired or unused and how many findings it matched.

A waiver applies to fail and warn findings of its rule whose subject id matches its `subject` (an id
or a glob, case-insensitive). A waived finding keeps its status; it just no longer counts for
--fail-on. Errors and not-evaluated findings are never waived: they mean missing data, not accepted
risk. A waiver is valid through its `expires` day and expired from the day after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from .validation import validator


from . import yamlpos
from .diagnostics import closest
from .errors import UserError
from .regex import RegexError
from .waivermatch import FindingIndex

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

    @property
    def where(self) -> str:
        """File, line and entry number, for messages."""
        return _where(self.source, self.entry, self.line)

    def to_dict(self) -> dict:
        origin = f"{self.source}:{self.line}" if self.line else f"{self.source} (waiver {self.entry})"
        return {"rule": self.rule, "subject": self.subject, "justification": self.justification,
                "owner": self.owner, "ticket": self.ticket, "expires": self.expires.isoformat(), "source": origin}


def load(raw: list, *, source: str, lines: list[int] | None = None) -> list[Waiver]:
    """Validate raw waiver entries (parsed YAML/JSON) and turn them into Waivers.

    ``source`` names the file in messages; ``lines`` optionally gives each entry's line in it.
    """
    if not isinstance(raw, list):
        raise UserError(f"{source}: waivers must be a list of entries, got {type(raw).__name__}")
    from jsonschema.exceptions import best_match  # jsonschema only when something is validated
    validator = _validator()
    waivers = []
    for number, entry in enumerate(raw, start=1):
        line = lines[number - 1] if lines and len(lines) >= number else None
        entry = _dates_as_text(entry)
        error = best_match(validator.iter_errors(entry))
        if error is not None:
            field = ".".join(str(p) for p in error.absolute_path)
            raise UserError(f"{_where(source, number, line)}{_label(entry)}: {field + ': ' if field else ''}"
                            f"{_explain(error)}")
        waivers.append(Waiver(rule=entry["rule"], subject=entry["subject"], justification=entry["justification"],
                              owner=entry["owner"], expires=dt.date.fromisoformat(entry["expires"]),
                              ticket=entry.get("ticket"), source=source, entry=number, line=line))
    return waivers


def from_policy(policy) -> list[Waiver]:
    """The top-level `waivers:` of a loaded policies file (argus.policies.Policy), with their lines."""
    if policy is None or not policy.waivers:
        return []
    located = policy.located
    lines = [located.locate(("waivers", i))[0] for i in range(len(policy.waivers))] if located else None
    return load(policy.waivers, source=policy.file, lines=lines)


def load_file(path: str) -> list[Waiver]:
    """Read a waivers file: YAML or JSON, either a list of waivers or a mapping with a `waivers` list."""
    try:
        located = yamlpos.load(path)
    except yamlpos.InputError as exc:
        raise UserError(exc.text("E405")) from None
    data, at = located.data, ()
    if isinstance(data, dict):
        if "waivers" not in data:
            raise UserError(f"{path}: expected a list of waivers or a mapping with a 'waivers' key")
        data, at = data["waivers"], ("waivers",)
    if data is None:
        return []
    lines = [located.locate((*at, i))[0] for i in range(len(data))] if isinstance(data, list) else None
    return load(data, source=path, lines=lines)


def apply(doc: dict, waivers: list[Waiver], *, today: dt.date, known_rule_ids: set[str]) -> None:
    """Mark waived findings in ``doc`` and add the top-level `waivers` section (mutates ``doc``)."""
    for waiver in waivers:
        if waiver.rule not in known_rule_ids:
            guess = closest(waiver.rule, sorted(known_rule_ids))
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise UserError(f"{waiver.where}: unknown rule {waiver.rule!r}{hint}")
    index = FindingIndex([f for f in doc["findings"] if f["status"] in WAIVABLE])  # linear, not waivers x findings
    section = []
    for waiver in waivers:
        expired = today > waiver.expires
        try:
            matched = index.matching(waiver.rule, waiver.subject)
        except RegexError as exc:
            raise UserError(f"{waiver.where}: subject {waiver.subject[:80]!r}: {exc}") from None
        if not expired:
            for finding in matched:
                finding.setdefault("waiver", waiver.to_dict())  # the first waiver listed wins
        state = "expired" if expired else "active" if matched else "unused"
        section.append({**waiver.to_dict(), "state": state, "matched": len(matched)})
    doc["waivers"] = section


def is_waived(finding: dict) -> bool:
    """True when an active waiver covers the finding: it then does not count for --fail-on."""
    return bool(finding.get("waiver"))


def _validator() -> jsonschema.protocols.Validator:
    return validator("waivers.schema.json", "waiver")


def _dates_as_text(entry: object) -> object:
    """YAML reads `expires: 2026-12-31` as a date; the schema speaks JSON, where it is a string."""
    if isinstance(entry, dict) and isinstance(entry.get("expires"), dt.date):
        return {**entry, "expires": entry["expires"].isoformat()}
    return entry


def _where(source: str, entry: int, line: int | None) -> str:
    return f"{source}:{line}: waiver {entry}" if line else f"{source}: waiver {entry}"


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
