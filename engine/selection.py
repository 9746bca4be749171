"""`scan --rule`, `--skip-rule` and `--severity`: which of the policy's rules run and are reported.

In: the parsed flags (rule ids or globs, matched ignoring case like a policy's include list; severities by
name, any case; each flag repeatable and taking several values, also comma-separated) and, from
session.prepare, the ids of every loaded rule and the rules the policy selected with their effective
severities. Out: the rules to run (so rules left out need no parameter values and cost nothing), and
`header(args, session)`, the run header's `selection` (what was asked, how many rules of how many ran).
A --rule or --skip-rule naming no loaded rule, or a --rule naming only rules the policy does not run, is a
usage error (exit 2), as is an unknown severity (refused while parsing).
"""

from __future__ import annotations

import argparse
import fnmatch
import sys

from .diagnostics import did_you_mean
from .errors import UserError
from .model import SEVERITIES, SEVERITY_RANK


def add_arguments(p) -> None:
    group = p.add_argument_group("selection (default: every rule of the policy)")
    group.add_argument("--rule", action="extend", nargs="+", type=_ids, metavar="ID",
                       help="run only these rules: ids or globs (AMX-PP-*), any case; repeatable")
    group.add_argument("--skip-rule", action="extend", nargs="+", type=_ids, metavar="ID",
                       help="do not run these rules: ids or globs, any case; repeatable")
    group.add_argument("--severity", action="extend", nargs="+", type=_severities, metavar="LEVEL",
                       help=f"run only rules of these severities ({', '.join(SEVERITIES)}; after the policy's "
                            "severity overrides); repeatable. --fail-on still decides which failures fail the run")


def _ids(value: str) -> list[str]:
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"expected a rule id or glob, got {value!r}")
    return ids


def _severities(value: str) -> list[str]:
    levels = [v.strip().casefold() for v in value.split(",") if v.strip()]
    for level in levels or [value]:
        if level not in SEVERITIES:
            raise argparse.ArgumentTypeError(f"unknown severity {level!r}: expected one of {', '.join(SEVERITIES)}")
    return levels


def _flat(values) -> list[str]:
    return list(dict.fromkeys(v for group in values or [] for v in group))


def asked(args) -> tuple[list[str], list[str], list[str]]:
    """The --rule, --skip-rule and --severity values, flattened, without repeats."""
    return (_flat(getattr(args, "rule", None)), _flat(getattr(args, "skip_rule", None)),
            _flat(getattr(args, "severity", None)))


def narrower(args):
    """None without selection flags; else the function session.prepare calls to keep the selected rules."""
    wanted, skipped, severities = asked(args)
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
        args.selection_counts = (len(kept), len(rules))
        _note_fail_on(args, severities)
        return [cr for cr, _ in kept]

    return narrow


def _expand(flag: str, patterns: list[str], all_ids: list[str], policy_ids: list[str] | None) -> set[str]:
    """The rule ids the patterns match (ignoring case); one that matches no loaded rule is refused, and so is
    a --rule matching only rules the policy does not run (``policy_ids``)."""
    out: set[str] = set()
    for pattern in patterns:
        hits = {r for r in all_ids if fnmatch.fnmatchcase(r.casefold(), pattern.casefold())}
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


def _note_fail_on(args, severities: list[str]) -> None:
    """--severity selects what runs, --fail-on what fails the run: say so when no selected rule can fail it."""
    fail_on = getattr(args, "fail_on", None)
    if not severities or fail_on in (None, "never"):
        return
    if max(SEVERITY_RANK[s] for s in severities) < SEVERITY_RANK[fail_on]:
        print(f"argus scan: note: --severity {', '.join(severities)} selects only rules below --fail-on {fail_on}: "
              "their failures are reported but cannot fail the run", file=sys.stderr)


def header(args, session) -> dict:
    """The run header's `selection`: the flags as given and how many rules ran of how many the policy has."""
    wanted, skipped, severities = asked(args)
    selected, available = getattr(args, "selection_counts", (len(session.rules), len(session.rules)))
    return {"rules": wanted, "skip_rules": skipped, "severities": severities, "selected": selected,
            "available": available}
