"""`argus explain RULE_ID`: why each finding of one rule came out, clause by clause.

In: a rule id, snapshot(s), optionally one subject id, the rule/policy/param flags that decide which rules load
and with what parameters (only the explained rule's parameters need values), and --now (argus.evaluation.clock). Out: per
subject a tree: the rule's verdict and message, then each clause it ran (for / let / when / require) with its
source location, its outcome, the values it read (JSON path -> value, with what was expected), the rows a `let`
joined, and the decisive clause(s) marked: the clause that failed, skipped, errored or was unknown; for a warn the
unmet warn-level require; for a pass every require clause (all had to hold). `--format json` gives the same tree
as JSON; `--output FILE` writes it atomically. Paths are relative to the current directory when under it, else
absolute. The clauses come from the evaluator itself (its trace hook), so explain can never disagree with scan.
"""

from __future__ import annotations

import sys


from argus import exitcodes, resources
from argus.diagnostics import did_you_mean
from argus.errors import UserError, atomic_write
from argus.evaluation.evaluator import RuleRun, evidence_records
from argus.commands.flags import add_config_argument, add_now_argument, add_snapshot_arguments, inputs
from argus.pipeline.scan_pipeline import load
from argus.language.values import EvalError, Missing, short
from argus.reports.formats import indented_json


def add_arguments(p) -> None:
    p.add_argument("rule_id", metavar="RULE_ID", help="the rule to explain")
    p.add_argument("--subject", metavar="ID", help="explain only this subject (ARM id or name, ignoring case)")
    p.add_argument("--rules", action="append", metavar="PATH", help="rule file or directory (repeatable); default: the policy's rules")
    add_config_argument(p)
    p.add_argument("--policy", metavar="NAME", help="policy set whose rules, parameters and severities apply")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="parameter value (repeatable); only the explained rule's parameters need values")
    add_snapshot_arguments(p)
    add_now_argument(p)
    p.add_argument("-f", "--format", "--as", dest="format", choices=("text", "json"), default="text",
                   help="text tree (default) or json; the clause marked decisive is the one that decided the verdict "
                        "(for a pass: every require clause, since all of them had to hold)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the explanation to FILE (atomically) instead of stdout")


def run(args) -> int:
    ready = load(inputs(args)[0], only=[args.rule_id])
    policy, session, snap = ready.policy, ready.session, ready.snapshot
    cr = next((r for r in session.rules if r.node.id.casefold() == args.rule_id.casefold()), None)
    if cr is None:
        loaded = [r.id for r in session.plan.program.rules]
        if args.rule_id.casefold() in {rid.casefold() for rid in loaded}:
            where = f" ({resources.display(policy.file)})" if policy and policy.file else ""
            raise UserError(f"rule {args.rule_id} is not selected by policy '{policy.name if policy else ''}'{where}; "
                            "pass --rules PATH to explain it without the policy")
        raise UserError(f"no rule '{args.rule_id}'{did_you_mean(args.rule_id, loaded)} in the loaded rules")
    tree = explain(session, cr, snap, args.subject)
    if args.format == "json":
        text = indented_json(tree, default=str)
    else:
        text = render_text(tree)
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
    return exitcodes.OK


def explain(session, cr, snap, subject_filter: str | None = None) -> dict:
    info = session.infos[cr.node.id]
    ctx = session.context(snap)
    frame = [None] * cr.nslots
    frame[0] = ctx
    rule = {"id": info.id, "title": info.title, "severity": info.severity, "location": f"{resources.display(info.file)}:{info.line}"}
    for_clause = {"kind": "for", "text": f"for {cr.var} in {cr.source_text}", "location": _loc(_for_span(cr))}
    try:
        subjects = cr.source.fn(frame)
    except EvalError as exc:
        subjects = exc
    if not isinstance(subjects, list):
        finding = RuleRun(ctx, cr, info).run()[0]
        for_clause["outcome"] = _outcome(subjects)
        return {"rule": rule, "subjects": [_entry(finding, [dict(for_clause, decisive=True)])]}
    for_clause["outcome"] = f"{len(subjects)} subject{'s' * (len(subjects) != 1)}"
    if not subjects:
        finding = RuleRun(ctx, cr, info).run()[0]
        return {"rule": rule, "subjects": [_entry(finding, [dict(for_clause, decisive=True)])]}
    chosen = [r for r in subjects if _matches(r, subject_filter)]
    if subject_filter and not chosen:
        names = [r.get("name", "") for r in subjects if isinstance(r, dict)]
        raise UserError(f"'{subject_filter}' is not a subject of {info.id}{did_you_mean(subject_filter, names)}; subjects: {', '.join(names[:10])}")
    out = []
    for row in chosen:
        trace: list = []
        run = RuleRun(ctx, cr, info, trace=trace)
        finding = run.subject(row)
        clauses = [dict(for_clause)] + [_clause(step, value, records, run.param_value) for step, value, records in trace]
        _mark_decisive(clauses, finding.status)
        out.append(_entry(finding, clauses))
    return {"rule": rule, "subjects": out}


def _for_span(cr):
    from argus.language import ast as A
    return next(s.span for s in cr.node.body if isinstance(s, A.For))


def _matches(row, wanted: str | None) -> bool:
    if not wanted:
        return True
    if not isinstance(row, dict):
        return str(row).casefold() == wanted.casefold()
    return wanted.casefold() in (str(row.get("id", "")).casefold(), str(row.get("name", "")).casefold())


def _loc(span) -> str:
    return f"{resources.display(span.file)}:{span.line}:{span.col}"


def _outcome(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Missing):
        return f"unknown: {value.describe()}"
    if isinstance(value, EvalError):
        return f"error: {value}"
    if isinstance(value, list):
        return f"{len(value)} item{'s' * (len(value) != 1)}"
    return short(value, 120)


def _clause(step, value, records, param_value=None) -> dict:
    text = f"let {step.node.name} = {step.text.split('=', 1)[-1].strip()}" if step.kind == "let" else f"{step.kind} {step.text}"
    clause = {"kind": step.kind, "text": text,
              "location": _loc(step.node.span), "outcome": _outcome(value),
              "reads": [e.to_dict() for e in evidence_records(records, param_value)]}
    if step.kind == "let":
        rows = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        clause["joined"] = [r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), str)][:25]
    elif step.kind == "require":
        clause["level"] = step.node.level
    clause["_value"] = value
    return clause


def _mark_decisive(clauses: list, status: str) -> None:
    """Mark the clause(s) that decided the verdict: the failing, skipping or erroring clause (the last one run),
    the first unknown one for not_evaluated, the first unmet warn-level require for warn, and for a pass every
    require clause, since the pass needed all of them."""
    ran = clauses[1:]
    picks: list = []
    if status in ("fail", "skip", "error"):
        picks = ran[-1:]
    elif status == "not_evaluated":
        picks = [next((c for c in ran if isinstance(c["_value"], Missing) and c["kind"] != "let"), ran[-1] if ran else None)]
    elif status == "warn":
        picks = [next((c for c in ran if c.get("level") == "warn" and c["_value"] is False), None)]
    elif status == "pass":
        picks = [c for c in ran if c["kind"] == "require"]
    for c in clauses:
        c.pop("_value", None)
        c["decisive"] = any(c is p for p in picks)


def _entry(finding, clauses) -> dict:
    return {"subject": finding.subject.to_dict(), "status": finding.status, "message": finding.message,
            "related": finding.related, "clauses": clauses}


def render_text(tree: dict) -> str:
    rule = tree["rule"]
    lines = [f"{rule['id']}  {rule['severity']}  {rule['title']}  ({rule['location']})"]
    for entry in tree["subjects"]:
        subj = entry["subject"]
        lines.append("")
        lines.append(f"subject  {subj['name'] or '(none)'}  {subj['id']}")
        lines.append(f"verdict  {entry['status'].upper()}: {entry['message']}")
        for c in entry["clauses"]:
            mark = "▶" if c["decisive"] else " "
            lines.append(f"  {mark} {c['text']}")
            lines.append(f"      at {c['location']}  →  {c['outcome']}")
            for r in c.get("reads", []):
                where = f"{r['resource']} " if r.get("resource") else ""
                lines.append(f"      read {where}{r['path']} = {short(r['actual'], 100)}   expected {r['expected']}")
            for rid in c.get("joined", []):
                lines.append(f"      joined {rid}")
        if entry["related"]:
            lines.append(f"  related: {', '.join(entry['related'])}")
    return "\n".join(lines) + "\n"
