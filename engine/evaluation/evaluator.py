"""Evaluator: compiled rules x snapshot -> findings.

In: a Plan (argus.planning.compiler), a Snapshot, parameter values. Out: Findings (argus.model), one per subject, or
one per rule when its subject set is empty (skip, or the rule's `otherwise` outcome) or cannot be computed
(not_evaluated when data is absent, error on a type error). Per subject the clauses run in order: `let` binds,
`when` false -> skip, `require` false -> fail (or warn); the outcome is the worst of fail > not_evaluated >
warn > pass, so absent data never passes and never fails. An error in one subject or rule stops nothing else;
its message names the expression that failed (a condition, or an expression of a message template) and where.
Evidence `expected` shows a parameter's value beside its name (`== min_tls ("TLS1_2")`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from argus import gcpause
from argus.language import ast as A
from argus.planning.frame import CTX, FIRST_VAR
from argus.planning.lookup import TYPE_NAME, type_partition
from argus.planning.compiler import CompiledRule, Plan, span_text
from argus.model import Evidence, Finding, RuleInfo, Subject
from argus.language.functions import type_of_id
from argus.language.values import EvalError, Missing, Partial, short, type_name

_UNSET = object()
_RELATED_CAP = 25


class Context:
    """Per-snapshot state shared by all rules: tables, parameter values, memoized globals and join indexes, and
    the scan's instant (`now`, an aware datetime: now() and days_since() read it, so one scan has one clock)."""

    def __init__(self, plan: Plan, snapshot, params: dict, now: datetime | None = None):
        self.plan = plan
        self.snapshot = snapshot
        self.params = params
        self.now = now if now is not None else datetime.now(timezone.utc)
        self.memo: dict = {}
        for table, types in getattr(snapshot, "by_type", {}).items():
            # `T where type ==|=~ ...` is a lookup in the snapshot's type partition, made into the very index
            # the join planner would otherwise build on first use (argus.planning.lookup.type_partition)
            for fold in (False, True):
                index = type_partition(snapshot.tables[table], types, fold)
                if index is not None:
                    self.memo[("index", ("global", table), TYPE_NAME, fold)] = index
        self.values: dict = {}
        self._busy: set[str] = set()
        self.coverage = getattr(snapshot, "coverage", None)  # types a pushdown collection left out

    def table(self, name: str):
        """A whole table: missing when absent, or when pushdown collected only some of its types."""
        read = getattr(self.snapshot, "read", None)
        return read(name) if read is not None else self.snapshot.table(name)

    def value(self, name: str):
        v = self.values.get(name, _UNSET)
        if v is _UNSET:
            if name in self._busy:
                raise EvalError(f"'{name}' is defined in terms of itself")
            self._busy.add(name)
            try:
                v = self.values[name] = self._compute(name)
            finally:
                self._busy.discard(name)
        return v

    def _compute(self, name: str):
        prog = self.plan.program
        if name in prog.params and name in self.params:
            return self.params[name]
        unit = self.plan.globals.get(name)
        if unit is None:
            return Missing(f"parameter '{name}' has no value (set it in policies.yaml or with --param {name}=...)", static=True)
        v = unit.fn(_frame(self, unit.nslots))
        if name in prog.params and v.__class__ is Missing:
            if v.what.startswith("parameter '"):
                return v  # defaults to another parameter without a value: that one is what to set
            return Missing(f"parameter '{name}' has no value: {v.what} (set it in policies.yaml or with --param {name}=...)", static=True)
        return v


def _frame(ctx: Context, nslots: int) -> list:
    frame = [None] * max(nslots, FIRST_VAR)
    frame[CTX] = ctx
    return frame


def rule_info(rule: A.Rule, overrides: dict | None = None) -> RuleInfo:
    meta = {m.key: m.value for m in rule.body if isinstance(m, A.Meta)}
    severity = (overrides or {}).get(rule.id, meta.get("severity", "medium"))
    return RuleInfo(rule.id, rule.title, severity, meta.get("description", ""), meta.get("remediation", ""),
                    meta.get("help", ""), tuple(meta.get("tags", ())), rule.span.file, rule.span.line)


def evaluate(plan: Plan, rules: list[CompiledRule], snapshot, params: dict, infos: dict[str, RuleInfo],
             trace: list | None = None, now: datetime | None = None) -> list[Finding]:
    """Run every rule, at the instant `now` (default: the system clock, read once). The garbage collector is
    paused meanwhile: evaluation allocates a frame and a finding per subject and creates no reference cycles
    worth collecting, while the collector's passes over a big snapshot's millions of containers would dominate
    the run time."""
    ctx = Context(plan, snapshot, params, now)
    findings: list[Finding] = []
    with gcpause.paused():
        for cr in rules:
            findings.extend(RuleRun(ctx, cr, infos[cr.node.id], trace).run())
    return findings


class TemplateError(EvalError):
    """An error in an expression of a message template; its text already names that expression."""


class RuleRun:
    def __init__(self, ctx: Context, cr: CompiledRule, info: RuleInfo, trace: list | None = None):
        self.ctx, self.cr, self.info = ctx, cr, info
        self.trace = trace  # explain: receives (step, value or EvalError, evidence records) per clause run
        self.pass_message = f"{info.title}: satisfied"
        self.let_slots = [step.slot for step in cr.steps if step.slot is not None]
        self._local_names: set | None = None

    def param_value(self, name: str):
        """The value of parameter `name` as this rule sees it (evidence shows it beside the name), else _UNSET."""
        if name not in self.ctx.plan.program.params:
            return _UNSET
        if self._local_names is None:  # names the rule binds itself (for, let, quantifier variables) shadow it
            self._local_names = A.bound_names(self.cr.node)
        if name in self._local_names:
            return _UNSET
        try:
            v = self.ctx.value(name)
        except EvalError:
            return _UNSET
        return _UNSET if v.__class__ is Missing else v

    def finding(self, status: str, subject, message: str, frame=None) -> Finding:
        snapshot, let_slots = self.ctx.snapshot, self.let_slots

        def details():
            origin = snapshot.origin(subject) if isinstance(subject, dict) else None
            if frame is None:
                return _subject(subject), [], [], origin
            related: list = []
            for slot in let_slots:
                _collect_related(related, frame[slot])
            return (_subject(subject), evidence_records(frame[1], self.param_value), _related(related, subject),
                    origin)
        return Finding(self.info, status, None, message, details=details)

    def run(self) -> list[Finding]:
        cr = self.cr
        frame = _frame(self.ctx, cr.nslots)
        try:
            subjects = cr.source.fn(frame)
        except EvalError as exc:
            return [self.finding("error", None, f"error in `{cr.source_text}`: {exc}")]
        if subjects.__class__ is Missing:
            return [self.finding("not_evaluated", None, f"not evaluated: {subjects.describe()}")]
        if subjects.__class__ is Partial:
            return self.partial(subjects)
        if subjects.__class__ is not list:
            return [self.finding("error", None, f"error: `{cr.source_text}` is a {type_name(subjects)}, not a set")]
        if not subjects:
            return [self.empty(frame)]
        return [self.subject(row) for row in subjects]

    def partial(self, subjects) -> list[Finding]:
        """Every decided subject, then each row the `for` could not decide (named, with what was missing),
        then, when the set lost rows no one can name (an incomplete source), one finding saying so."""
        out = [self.subject(row) for row in subjects]
        for row, missing in subjects.pending or ():
            out.append(self.finding("not_evaluated", row, f"not evaluated: {missing.describe()} (needed to decide "
                                                          f"whether it is a subject of `{self.cr.source_text}`)"))
        if not subjects.pending or subjects.extra is None:
            out.append(self.finding("not_evaluated", None, f"not evaluated: {subjects.missing.describe()} (some "
                                                           f"elements of `{self.cr.source_text}` could not be read)"))
        return out

    def empty(self, frame) -> Finding:
        other = next((s.otherwise for s in self.cr.node.body if isinstance(s, A.For)), None)
        if other is None:
            return self.finding("skip", None, f"no subjects: `{self.cr.source_text}` is empty")
        subject, source = None, self.cr.otherwise_subject
        try:
            if source is not None:
                subject = source.fn(frame)
            message = self.render(other.message, self.cr.otherwise_message, frame)
        except TemplateError as exc:
            return self.finding("error", subject, str(exc))
        except EvalError as exc:  # the template's own errors are TemplateErrors: this is the `on` subject's
            span = other.subject.span if other.subject is not None else other.span
            text = source.text if source is not None else "otherwise"
            return self.finding("error", subject, f"error in `{text}` ({span.file}:{span.line}): {exc}")
        if subject.__class__ is Missing:
            return self.finding("not_evaluated", None, f"not evaluated: {subject.describe()}")
        return self.finding(other.level if other.level != "skip" else "skip", subject, message)

    def subject(self, row) -> Finding:
        cr = self.cr
        frame = [None] * cr.nslots
        frame[0], frame[1] = self.ctx, []
        frame[cr.var_slot] = row
        warn = missing = None
        trace = self.trace
        for step in cr.steps:
            try:
                if trace is not None:
                    mark = len(frame[1])
                    v = step.fn(frame)
                    trace.append((step, v, frame[1][mark:]))
                else:
                    v = step.fn(frame)
                slot = step.slot
                if slot is not None:           # let: bind; its rows join the related ids when details are read
                    frame[slot] = v
                    continue
                if v is True:
                    continue
                if v is False:
                    if step.kind == "when":
                        return self.finding("skip", row, f"not applicable: `{step.text}` is false", frame)
                    if step.node.level == "warn":
                        warn = warn or self.message(step, frame)
                        continue
                    return self.finding("fail", row, self.message(step, frame), frame)
                if v.__class__ is Missing:
                    if v.static or step.kind == "when":
                        return self.finding("not_evaluated", row, f"not evaluated: {v.describe()}", frame)
                    missing = missing or (v, step)
                    continue
                raise EvalError(f"`{step.text}` is a {type_name(v)}, not true/false")
            except EvalError as exc:
                if trace is not None:
                    trace.append((step, exc, frame[1][mark:]))
                if isinstance(exc, TemplateError):  # the message failed, not the condition: name its expression
                    return self.finding("error", row, str(exc), frame)
                loc = f"{step.node.span.file}:{step.node.span.line}"
                return self.finding("error", row, f"error in `{step.text}` ({loc}): {exc}", frame)
        if missing is not None:
            v, step = missing
            return self.finding("not_evaluated", row, f"not evaluated: {v.describe()} (needed by `{step.text}`)", frame)
        if warn is not None:
            return self.finding("warn", row, warn, frame)
        return self.finding("pass", row, self.pass_message, frame)

    def message(self, step, frame) -> str:
        if step.node.message is None:
            return f"requirement not met: `{step.text}`"
        return self.render(step.node.message, step.message, frame)

    def render(self, template: A.Template, parts: list, frame) -> str:
        out = []
        for node, part in zip(template.parts, parts):
            if isinstance(part, str):
                out.append(part)
                continue
            try:
                v = part(frame)
            except EvalError as exc:
                text, span = span_text(self.ctx.plan.program.sources, node.span), node.span
                raise TemplateError(f"error in `{text}` in the message ({span.file}:{span.line}): {exc}") from None
            if isinstance(v, list):
                # ARM ids run past 150 characters; a message cut mid-name would name the wrong resource
                out.append(", ".join(short(x, 400) for x in v) if v else "(none)")
            else:
                out.append(short(v, 400) if v is not None else "null")
        return "".join(out)


def _subject(value) -> Subject:
    if isinstance(value, dict):  # a row, also one a what-if could not fully predict (argus.language.unresolved.Marked)
        rid, name, rtype = value.get("id"), value.get("name"), value.get("type")
        return Subject(rid if rid.__class__ is str else str(rid or ""), name if name.__class__ is str else str(name or ""),
                       rtype if rtype.__class__ is str else str(rtype or ""))
    if value is None:
        return Subject("", "", "")
    if isinstance(value, str):
        name = value.rstrip("/").rsplit("/", 1)[-1] if value.startswith("/") else value
        return Subject(value, name, type_of_id(value) if value.startswith("/") else "")
    return Subject(short(value), short(value), "")


def _collect_related(related: list, value) -> None:
    if len(related) >= _RELATED_CAP:
        return
    if isinstance(value, dict):
        rid = value.get("id")
        if isinstance(rid, str):
            related.append(rid)
    elif isinstance(value, list):
        for item in value[:_RELATED_CAP]:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                related.append(item["id"])


def _related(ids: list, subject) -> list[str]:
    own = subject.get("id", "").casefold() if isinstance(subject, dict) and isinstance(subject.get("id"), str) else None
    seen, out = set(), []
    for rid in ids:
        key = rid.casefold()
        if key != own and key not in seen:
            seen.add(key)
            out.append(rid)
    return out[:_RELATED_CAP]


_OPERAND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def evidence_records(records: list, param_value=None) -> list[Evidence]:
    """Evidence of what the clauses read. `param_value(name)` (RuleRun.param_value) gives the value of a parameter
    compared against, so `expected` says `== min_tls ("TLS1_2")` rather than just the name."""
    out, seen = [], set()
    for site, actual, root, result in records:
        resource = root.get("id") if isinstance(root, dict) and isinstance(root.get("id"), str) else None
        path = site.rel if site.rel else site.text
        missing = actual.__class__ is Missing
        value = None if missing else _jsonable(actual)
        key = (resource, path, repr(value), site.expected)
        if key in seen:
            continue
        seen.add(key)
        expected = _with_param(site, param_value) if param_value is not None else site.expected
        out.append(Evidence(path, value, expected + (" (value missing)" if missing else ""), resource))
    return out


def _with_param(site, param_value) -> str:
    """`<op> <name>` where the name is a parameter: add its value."""
    head = f"{site.op} " if site.op else None
    if head is None or not site.expected.startswith(head) or not _OPERAND.fullmatch(site.expected[len(head):]):
        return site.expected
    v = param_value(site.expected[len(head):])
    if v is _UNSET:
        return site.expected
    return f"{site.expected} ({short(json.dumps(v, ensure_ascii=False, default=str), 200)})"


def _jsonable(v):
    if isinstance(v, dict) and isinstance(v.get("id"), str) and "properties" in v:
        return v["id"]  # a whole row as evidence is noise; its id says which
    if isinstance(v, list) and len(v) > 20:
        return [_jsonable(x) for x in v[:20]] + [f"... {len(v) - 20} more"]
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None or isinstance(v, dict):
        return v
    return short(v)
