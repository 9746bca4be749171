"""`argus explain RULE_ID`: why each finding of one rule came out, clause by clause.

In: a rule id, snapshot(s), optionally one subject id (plus the scan's rule/policy/param flags). Out: per subject
a tree: the rule's verdict and message, then each clause it ran (for / let / when / require) with its source
location, its outcome, the values it read (JSON path -> value, with what was expected), the rows a `let`
joined, and the decisive clause marked. `--format json` gives the same tree as JSON. The clauses come from
the evaluator itself (its trace hook), so explain can never disagree with scan.
"""

from __future__ import annotations

import sys

import orjson

from .diagnostics import DiagnosticError, did_you_mean
from .errors import UserError
from .evaluator import Context, RuleRun, evidence_records
from .scan import add_arguments as add_scan_arguments, load_inputs
from .values import EvalError, Missing, short


def add_arguments(p) -> None:
    p.add_argument("rule_id", metavar="RULE_ID", help="the rule to explain")
    p.add_argument("--subject", metavar="ID", help="explain only this subject (ARM id or name, ignoring case)")
    p.add_argument("--explain-format", "--as", dest="explain_format", choices=("text", "json"), default="text",
                   help="text tree (default) or json")
    add_scan_arguments(p)


def run(args) -> int:
    if args.format:
        if args.format[-1] not in ("text", "json"):
            raise UserError("explain renders text or json")
        args.explain_format = args.format[-1]
    try:
        _policy, session, snap = load_inputs(args)
    except DiagnosticError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    ids = {r.node.id.casefold(): r for r in session.rules}
    cr = ids.get(args.rule_id.casefold())
    if cr is None:
        raise UserError(f"no rule '{args.rule_id}'{did_you_mean(args.rule_id, [r.node.id for r in session.rules])} in the selected rules")
    tree = explain(session, cr, snap, args.subject)
    if args.explain_format == "json":
        sys.stdout.write(orjson.dumps(tree, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    else:
        sys.stdout.write(render_text(tree))
    return 0


def explain(session, cr, snap, subject_filter: str | None = None) -> dict:
    info = session.infos[cr.node.id]
    ctx = Context(session.plan, snap, session.params)
    frame = [None] * cr.nslots
    frame[0] = ctx
    rule = {"id": info.id, "title": info.title, "severity": info.severity, "location": f"{info.file}:{info.line}"}
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
        finding = RuleRun(ctx, cr, info, trace=trace).subject(row)
        clauses = [dict(for_clause)] + [_clause(step, value, records) for step, value, records in trace]
        _mark_decisive(clauses, finding.status)
        out.append(_entry(finding, clauses))
    return {"rule": rule, "subjects": out}


def _for_span(cr):
    from . import ast as A
    return next(s.span for s in cr.node.body if isinstance(s, A.For))


def _matches(row, wanted: str | None) -> bool:
    if not wanted:
        return True
    if not isinstance(row, dict):
        return str(row).casefold() == wanted.casefold()
    return wanted.casefold() in (str(row.get("id", "")).casefold(), str(row.get("name", "")).casefold())


def _loc(span) -> str:
    return f"{span.file}:{span.line}:{span.col}"


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


def _clause(step, value, records) -> dict:
    text = f"let {step.node.name} = {step.text.split('=', 1)[-1].strip()}" if step.kind == "let" else f"{step.kind} {step.text}"
    clause = {"kind": step.kind, "text": text,
              "location": _loc(step.node.span), "outcome": _outcome(value),
              "reads": [e.to_dict() for e in evidence_records(records)]}
    if step.kind == "let":
        rows = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        clause["joined"] = [r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), str)][:25]
    elif step.kind == "require":
        clause["level"] = step.node.level
    clause["_value"] = value
    return clause


def _mark_decisive(clauses: list, status: str) -> None:
    ran = [c for c in clauses[1:]]
    pick = None
    if status in ("fail", "skip", "error"):
        pick = ran[-1] if ran else None
    elif status == "not_evaluated":
        pick = next((c for c in ran if isinstance(c["_value"], Missing) and c["kind"] != "let"), ran[-1] if ran else None)
    elif status == "warn":
        pick = next((c for c in ran if c.get("level") == "warn" and c["_value"] is False), None)
    for c in clauses:
        c.pop("_value", None)
        c["decisive"] = c is pick


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
