"""Values a deployment preview could not predict, kept in rows so that reading them is `Missing`, never a guess.

In: the `after` body of a what-if change (argus.deployment.whatif), or a row what-if could not predict at all. Out: the same
data, with every container that holds an unpredicted value replaced by a `Marked` dict (or, for a list, a
`Partial` of the elements that are known). Path reading (argus.language.paths) turns a marked key into a `Missing` whose
message names the path, the resource and the reason, and that `default()` never fills: an unpredicted value is
not an absent one, so a platform default must not stand in for it.

A `Marked` dict keeps the raw value (the template expression text) so JSON outputs and evidence still show what
the what-if said; only path reading, which every rule goes through, treats it as unknown. Rows stay plain dicts
otherwise: the fast paths of argus.language.paths test `type(v) is dict`, which a `Marked` fails, so only marked
containers take the slow path where the reason is looked up.
"""

from __future__ import annotations

import re

from argus.language.values import Missing, partial, short

# The columns that say which resource a row is: known from the change's resource id even when nothing else is.
IDENTITY = frozenset(("id", "name", "type", "subscriptionId", "resourceGroup", "tenantId"))
_EXPRESSION = re.compile(r"^\s*\[(?!\[).*\]\s*$", re.DOTALL)  # ARM: "[...]" is an expression, "[[" a literal
_FUNCTION = re.compile(r"\b(reference|list[A-Za-z]*|pickZones|environment|deployment|newGuid|utcNow)\s*\(")


class Marked(dict):
    """A dict some of whose keys (`reasons`), or all but the identity columns of a row (`whole`), hold values
    the what-if could not predict. `resource`: the id of the row it belongs to, for messages."""

    __slots__ = ("reasons", "whole", "resource")

    def reason(self, key) -> str | None:
        if self.whole is not None and key not in IDENTITY:
            return self.whole
        return self.reasons.get(key)


def marked(data: dict, resource: str | None, reasons: dict | None = None, whole: str | None = None) -> Marked:
    out = Marked(data)
    out.reasons, out.whole, out.resource = reasons or {}, whole, resource
    return out


def missing(holder: Marked, key, text: str):
    """The Missing for reading `key` of a marked container through the path `text`, or None when it is known."""
    reason = holder.reason(key)
    if reason is None:
        return None
    return Missing(f"{reason}: {text}", holder.resource)  # describe() adds " on <resource>" after the path


def get(holder, key, text: str):
    """`holder.get(key)` for code that reads rows without a path (built-in functions): a Missing when a what-if
    could not predict the value."""
    if type(holder) is Marked:
        found = missing(holder, key, text)
        if found is not None:
            return found
    return holder.get(key)


def is_expression(value) -> bool:
    return isinstance(value, str) and _EXPRESSION.match(value) is not None


def expression_reason(expression: str, where: str) -> str:
    """Why a value is unknown: the expression what-if left in place, where it is, and what cannot be resolved."""
    found = _FUNCTION.search(expression)
    why = (f"what-if cannot resolve {found.group(1)}() before the deployment runs" if found
           else "what-if left a template expression unresolved")
    return f"{why} ({where} holds {short(expression, 100)!r})"


def mark_body(value, resource: str, where: str, found: list):
    """A copy of `value` with unresolved template expressions marked; `where` is the location prefix (file and
    JSON pointer) of `value`, `found` collects (pointer, expression) of every one met."""
    if isinstance(value, dict):
        out, reasons = {}, {}
        for key, item in value.items():
            at = f"{where}/{_escape(key)}"
            if is_expression(item):
                reasons[key] = expression_reason(item, at)
                found.append((at, item))
                out[key] = item
            else:
                out[key] = mark_body(item, resource, at, found)
        return marked(out, resource, reasons) if reasons else out
    if isinstance(value, list):
        known, lost, extra = [], None, 0
        for i, item in enumerate(value):
            at = f"{where}/{i}"
            if is_expression(item):  # the element is unknown, not absent: the list is incomplete
                found.append((at, item))
                lost = lost or Missing(f"{expression_reason(item, at)}: an element of the list", resource)
                extra += 1
            else:
                known.append(mark_body(item, resource, at, found))
        return partial(known, lost, extra) if lost is not None else known
    return value


def without_element(items, element_id: str, reason: str, resource: str):
    """A list of child objects (a parent's embedded children) with one child's state unknown: the others stay
    certain, the list is Partial so that "no child does X" is not decided on the ones that happen to be known."""
    folded = element_id.casefold()
    known = [x for x in (items or []) if not (isinstance(x, dict) and str(x.get("id", "")).casefold() == folded)]
    return partial(known, Missing(f"{reason}: {element_id}", resource), 1)


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")  # RFC 6901
