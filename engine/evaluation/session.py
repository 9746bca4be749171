"""Session: the one way from rule text to findings (parse -> check -> compile -> evaluate), used by `scan`,
`test`, `explain`, the benchmark and the tests.

In: rule paths (`prepare`) or rule text held in memory (`from_text`), an optional Policy, parameter values and
the instant the command fixed for now() (argus.evaluation.clock). Out: a Session holding the compiled plan, the rules the
policy selects (with severity overrides applied), resolved parameter values and warnings, whose `evaluate(snapshot)`
gives the findings; `for_rules` the same plan running other rules with other parameters (a fixture case); or a
DiagnosticError carrying every error (syntax, semantics, unknown rule ids or parameters, missing values).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from argus.planning.compiler import CompiledRule, Plan, compile_program
from argus.diagnostics import Diagnostic, DiagnosticError, did_you_mean, has_errors
from argus.evaluation.evaluator import Context, evaluate, rule_info
from argus.language.loader import load_rules, load_texts
from argus.model import Finding, RuleInfo
from argus.policy.policies import Policy, convert, select_rules

@dataclass
class Session:
    plan: Plan
    rules: list[CompiledRule]
    infos: dict[str, RuleInfo]
    params: dict
    diagnostics: list[Diagnostic]
    rule_files: list[str] = field(default_factory=list)
    now: datetime | None = None  # the scan's instant (argus.evaluation.clock); None: the system clock at each evaluate()
    available: int | None = None  # rules the policy selected before scan's --rule/--skip-rule/--severity

    def evaluate(self, snapshot, trace: list | None = None) -> list[Finding]:
        return evaluate(self.plan, self.rules, snapshot, self.params, self.infos, trace, self.now)

    def context(self, snapshot) -> Context:
        """The evaluation context of one snapshot, for stepping through a rule's clauses (`explain`)."""
        return Context(self.plan, snapshot, self.params, self.now)

    def for_rules(self, rule_ids, params: dict, now: datetime | None = None) -> Session:
        """The same compiled plan running the rules ``rule_ids`` (exact ids, any rule of the plan, selected or
        not, without a policy's severities) with ``params`` (already validated), at ``now``: a fixture case."""
        wanted = set(rule_ids)
        rules = [cr for cr in self.plan.rules if cr.node.id in wanted]
        return Session(self.plan, rules, {cr.node.id: rule_info(cr.node) for cr in rules}, dict(params), [],
                       self.rule_files, now)

    @property
    def sources(self) -> dict[str, str]:
        return self.plan.program.sources


def parse_param_flags(flags: list[str]) -> dict[str, str]:
    out = {}
    for flag in flags or []:
        key, sep, value = flag.partition("=")
        if not sep or not key.strip():
            from argus.errors import UserError
            raise UserError(f"--param {flag!r}: expected NAME=VALUE")
        out[key.strip()] = value
    return out


def prepare(rule_paths: list[str], policy: Policy | None = None, cli_params: dict | None = None,
            only=None, param_origins: dict | None = None, narrow=None, now: datetime | None = None) -> Session:
    """`only` (rule ids, any case): keep just these of the selected rules, so only they need parameter values
    (`explain` and `test` evaluate one or a few rules); ids not selected are left for the caller to report.
    `param_origins`: for values of `cli_params` that came from elsewhere (an ARGUS_PARAM_* variable), where.
    `narrow(all rule ids, [(compiled rule, RuleInfo)])`: scan's --rule/--skip-rule/--severity (argus.policy.selection)."""
    program, diags = load_rules(rule_paths)
    return _build(program, diags, policy, cli_params, only, param_origins, narrow, now)


def from_text(text: str, path: str = "rules.argus", params: dict | None = None, only=None,
              now: datetime | None = None) -> Session:
    """The session of rule text held in memory as one file named ``path``, every rule selected (``only``: as
    for `prepare`), with ``params`` (name -> value, converted to the declared types)."""
    program, diags = load_texts([(path, text)])
    return _build(program, diags, None, params, only, None, None, now)


def _build(program, diags: list[Diagnostic], policy: Policy | None, cli_params: dict | None, only,
           param_origins: dict | None, narrow, now: datetime | None) -> Session:
    sources = program.sources
    if has_errors(diags):
        raise DiagnosticError(diags, sources)
    plan = compile_program(program)
    ids = [r.id for r in program.rules]
    selected = set(ids)
    if policy is not None:
        selected, policy_diags = select_rules(policy, ids)
        diags += policy_diags
    overrides = {rid.casefold(): sev for rid, sev in (policy.severity.items() if policy else ())}
    rules = [cr for cr in plan.rules if cr.node.id in selected]
    if only is not None:
        keep = {rid.casefold() for rid in only}
        rules = [cr for cr in rules if cr.node.id.casefold() in keep]
    infos = {}
    for cr in rules:
        sev = overrides.get(cr.node.id.casefold())
        infos[cr.node.id] = rule_info(cr.node, {cr.node.id: sev} if sev else None)
    available = len(rules)
    if narrow is not None and not has_errors(diags):  # before parameters: a rule left out needs no value
        rules = narrow(ids, [(cr, infos[cr.node.id]) for cr in rules])
        infos = {cr.node.id: infos[cr.node.id] for cr in rules}
    params, param_diags = _resolve_params(plan, rules, policy, cli_params or {}, param_origins or {})
    diags += param_diags
    if has_errors(diags):
        if policy is not None and policy.located is not None:  # its E404/E203/E205 show their line too
            sources = {**sources, policy.file: policy.located.text}
        raise DiagnosticError(diags, sources)
    files = [f.path for f in program.files]
    return Session(plan, rules, infos, params, [d for d in diags if d.severity == "warning"], files, now,
                   available)


def _resolve_params(plan: Plan, rules, policy: Policy | None, cli: dict, origins: dict) -> tuple[dict, list[Diagnostic]]:
    declared = plan.program.params
    diags: list[Diagnostic] = []
    values: dict = {}
    label = os.path.basename(policy.file) if policy and policy.file else "policies.yaml"
    given = [(k, v, policy.span("parameters", k) if policy else None, label) for k, v in (policy.parameters.items() if policy else ())]
    given += [(k, v, None, origins.get(k, "--param")) for k, v in cli.items()]
    for name, raw, span, origin in given:
        decl = declared.get(name)
        source = "" if span is not None else f"{origin}: "  # a located diagnostic already names its file
        if decl is None:
            diags.append(Diagnostic("E203", span, f"{source}unknown parameter '{name}'{did_you_mean(name, declared)}"))
            continue
        try:
            values[name] = convert(raw, decl.type_name)
        except ValueError as exc:
            diags.append(Diagnostic("E205", span, f"{source}parameter '{name}' ({decl.type_name}): {exc}"))
    for name in sorted(plan.params_used(rules)):
        decl = declared[name]
        if decl.default is None and name not in values:
            where = f"policies.{policy.name}.parameters in {os.path.basename(policy.file)}" if policy and policy.file else "policies.yaml"
            diags.append(Diagnostic("E204", decl.span, f"parameter '{name}' has no value and no default; set it in {where} or pass --param {name}=VALUE"))
    return values, diags
