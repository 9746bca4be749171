"""`scan --rule`, `--skip-rule` and `--severity`: which of the policy's rules run and are reported.

In: a `Selection` (the scan command turns the flags into it: rule ids or globs, matched ignoring case like a
policy's include list; severities by name; each flag repeatable and taking several values, also
comma-separated; an unknown severity is refused while parsing) and, from session.prepare, the ids of every
loaded rule and the rules the policy selected with their effective severities. Out: the rules to run (so rules
left out need no parameter values and cost nothing), and `header(selection, session)`, the run header's
`selection` (what was asked, how many rules of how many ran). A --rule or --skip-rule naming no loaded rule, or
a --rule naming only rules the policy does not run, is a usage error (exit 2).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from argus.diagnostics import did_you_mean
from argus.errors import UserError
from argus.model import SEVERITY_RANK
from argus.policy.policies import matching_ids


@dataclass(frozen=True)
class Selection:
    """What --rule, --skip-rule and --severity asked for, flattened, without repeats (severities folded)."""
    rules: tuple[str, ...] = ()
    skip_rules: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()


def narrower(selection: Selection, fail_on: str | None = None):
    """None without selection flags; else the function session.prepare calls to keep the selected rules.
    ``fail_on``: the run's --fail-on, for the note that no selected rule can fail the run."""
    wanted, skipped, severities = selection.rules, selection.skip_rules, selection.severities
    if not (wanted or skipped or severities):
        return None

    def narrow(all_ids: list[str], rules: list) -> list:
        """``rules``: (compiled rule, RuleInfo) pairs the policy selected. Returns the compiled rules kept."""
        policy_ids = [info.id for _, info in rules]
        kept_ids = set(policy_ids)
        if wanted:
            kept_ids = _expand("--rule", wanted, all_ids, policy_ids)
        kept_ids -= _expand("--skip-rule", skipped, all_ids, None)
        kept = [(cr, info) for cr, info in rules if info.id in kept_ids
                and (not severities or info.severity in severities)]
        _note_fail_on(fail_on, severities)
        return [cr for cr, _ in kept]

    return narrow


def _expand(flag: str, patterns: list[str], all_ids: list[str], policy_ids: list[str] | None) -> set[str]:
    """The rule ids the patterns match (ignoring case); one that matches no loaded rule is refused, and so is
    a --rule matching only rules the policy does not run (``policy_ids``)."""
    out: set[str] = set()
    for pattern in patterns:
        hits = matching_ids(pattern, all_ids)
        if not hits:
            raise UserError(f"{flag} {pattern}: no rule has this id{did_you_mean(pattern, all_ids)} "
                            "(`argus rules` lists them)")
        if policy_ids is not None:
            running = hits & set(policy_ids)
            if not running:
                shown = ", ".join(sorted(hits)[:3]) + (" ..." if len(hits) > 3 else "")
                raise UserError(f"{flag} {pattern}: {shown} {'is' if len(hits) == 1 else 'are'} not in the policy "
                                "being run; choose the policy that has it (--policy NAME) or its rule file (--rules)")
            hits = running
        out |= hits
    return out


def _note_fail_on(fail_on: str | None, severities) -> None:
    """--severity selects what runs, --fail-on what fails the run: say so when no selected rule can fail it."""
    if not severities or fail_on in (None, "never"):
        return
    if max(SEVERITY_RANK[s] for s in severities) < SEVERITY_RANK[fail_on]:
        print(f"argus scan: note: --severity {', '.join(severities)} selects only rules below --fail-on {fail_on}: "
              "their failures are reported but cannot fail the run", file=sys.stderr)


def header(selection: Selection, session) -> dict:
    """The run header's `selection`: the flags as given and how many rules ran of how many the policy has."""
    available = len(session.rules) if session.available is None else session.available
    return {"rules": list(selection.rules), "skip_rules": list(selection.skip_rules),
            "severities": list(selection.severities), "selected": len(session.rules), "available": available}
