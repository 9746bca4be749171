"""`argus rules`: the rule catalogue — what each rule checks, how severe it is, and which policies run it.

In: the project's policies.yaml (discovered, or --config), optionally one --policy, or --rules PATH for rule
files outside any policy; the output format. Out: one entry per rule (id, severity, title, tags, the policy sets
that select it, help link, location) as text, JSON or Markdown on stdout. With --policy, only the rules that
policy runs, with its severity overrides applied. Bad input (an unknown policy, rules that do not parse) is a
usage error, exit 2.
"""

from __future__ import annotations

import json
import sys

from argus import exitcodes
from argus import resources
from argus.diagnostics import DiagnosticError, has_errors
from argus.evaluation.evaluator import rule_info
from argus.language.loader import load_rules
from argus.model import SEVERITY_RANK
from argus.policy.policies import all_rule_paths, load_file, load_policy, select_rules
from argus.commands.flags import add_config_argument
from argus.policy.settings import config_file

FORMATS = ("text", "json", "markdown")


def add_arguments(p) -> None:
    add_config_argument(p)
    p.add_argument("--policy", metavar="NAME", help="only the rules this policy set runs (with its severities)")
    p.add_argument("--rules", action="append", metavar="PATH", help="list these rule files instead of the policies' rules")
    p.add_argument("-f", "--format", choices=FORMATS, default="text", help="text (default), json or markdown")


def run(args) -> int:
    config = config_file(args.policies) or resources.display(resources.policies_file())
    paths = args.rules or all_rule_paths(config)
    program, diags = load_rules(paths)
    if has_errors(diags):
        raise DiagnosticError(diags, program.sources)
    policies = _policies(config)
    chosen = None
    if args.policy:
        if args.policy not in policies:
            load_policy(config, args.policy)  # raises the usual "no policy named ..." with did-you-mean
        chosen = args.policy
    entries = []
    for rule in program.rules:
        sev = policies[chosen][1].get(rule.id.casefold()) if chosen else None
        info = rule_info(rule, {rule.id: sev} if sev else None)
        using = [name for name, (selected, _) in policies.items() if rule.id in selected]
        if chosen and chosen not in using:
            continue
        entries.append({"id": info.id, "severity": info.severity, "title": info.title, "tags": list(info.tags),
                        "policies": using, "help": info.help, "description": info.description,
                        "location": {"file": info.file, "line": info.line}})
    entries.sort(key=lambda e: (-SEVERITY_RANK[e["severity"]], e["id"]))
    sys.stdout.write(RENDER[args.format](entries, chosen, config))
    return exitcodes.OK


def _policies(config: str) -> dict[str, tuple[set, dict]]:
    """Every policy set of the file -> (the rule ids it runs: those under its own rule paths that its include
    and exclude select, as `argus scan --policy` would; its severity overrides by folded id)."""
    out, loaded = {}, {}
    for name in load_file(config).data["policies"]:
        policy = load_policy(config, name)
        key = tuple(policy.rules)
        if key not in loaded:
            program, _ = load_rules(policy.rules)
            loaded[key] = [r.id for r in program.rules]
        selected, _ = select_rules(policy, loaded[key])
        out[name] = (selected, {rid.casefold(): sev for rid, sev in policy.severity.items()})
    return out


def _text(entries: list[dict], policy: str | None, config: str) -> str:
    lines = [f"{len(entries)} rule{'s' * (len(entries) != 1)}" + (f" in policy {policy}" if policy else "")
             + f" ({config})", ""]
    width = max((len(e["id"]) for e in entries), default=0)
    for e in entries:
        lines.append(f"{e['id']:<{width}}  {e['severity']:<8}  {e['title']}")
        extra = [f"tags: {', '.join(e['tags'])}" if e["tags"] else "",
                 f"policies: {', '.join(e['policies'])}" if e["policies"] else "policies: (none)"]
        lines.append(" " * (width + 2) + " · ".join(x for x in extra if x))
        if e["help"]:
            lines.append(" " * (width + 2) + e["help"])
    return "\n".join(lines) + "\n"


def _json(entries: list[dict], policy: str | None, config: str) -> str:
    return json.dumps({"config": config, "policy": policy, "rules": entries}, indent=2, ensure_ascii=False) + "\n"


def _markdown(entries: list[dict], policy: str | None, config: str) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")
    lines = [f"# Rules{' in policy ' + policy if policy else ''}", "",
             "| id | severity | title | tags | policies |", "|---|---|---|---|---|"]
    for e in entries:
        rid = f"[{e['id']}]({e['help']})" if e["help"] else e["id"]
        lines.append(f"| {rid} | {e['severity']} | {cell(e['title'])} | {cell(', '.join(e['tags']))} | "
                     f"{cell(', '.join(e['policies']))} |")
    return "\n".join(lines) + "\n"


RENDER = {"text": _text, "json": _json, "markdown": _markdown}
