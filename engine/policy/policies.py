"""Policy sets: policies.yaml -> a selected Policy (rule paths, rule ids, parameter values, severity overrides).

In: a policies.yaml path and a policy name. Out: `Policy`, or a DiagnosticError of E403 diagnostics located in
the file for an empty file, an unknown key, a wrong type or a bad waiver (JSON Schema, schemas/policies.schema.json,
whose waivers are those of schemas/waivers.schema.json), a default_policy naming no policy, or rule paths of the
chosen policy that do not exist (a --policy naming no policy is a UserError: the flag is wrong, not the file).
Rule ids and parameter names are checked against the loaded rules by `select_rules` / `resolve_params`, which
return Diagnostics located in policies.yaml.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from argus.validation import validator
from argus import resources as bundled

import yaml

from argus import yamlpos
from argus.language.ast import Span
from argus.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from argus.errors import UserError


@dataclass
class Policy:
    name: str | None
    file: str | None
    rules: list[str]
    include: list[str] | None = None
    exclude: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    severity: dict = field(default_factory=dict)
    waivers: list = field(default_factory=list)
    located: object = None
    settings: dict = field(default_factory=dict)

    def span(self, *path) -> Span | None:
        if self.located is None or self.file is None:
            return None
        return self.located.span(("policies", self.name) + path)


_EXPECTED = "expected a mapping with `version: 1` and `policies:`"


def _validator() -> jsonschema.protocols.Validator:
    """policies.schema.json, whose waivers are `$ref`s into waivers.schema.json (both read from the package,
    never fetched); dates are checked as dates (2026-02-30 is refused here, with its position)."""
    return validator("policies.schema.json")


def load_file(path: str) -> yamlpos.Located:
    try:
        doc = yamlpos.load(path)
    except yamlpos.InputError as exc:
        raise exc.error("E403") from None
    if not isinstance(doc.data, dict):
        message = f"the file is empty; {_EXPECTED}" if doc.data is None else f"{_EXPECTED}, got {_kind(doc.data)}"
        raise DiagnosticError([Diagnostic("E403", doc.span([]), message)], {path: doc.text})
    found: dict[Diagnostic, None] = {}  # a bad date breaks its pattern and its format: say it once
    for e in _validator().iter_errors(doc.data):
        where = list(e.absolute_path)
        if e.validator == "additionalProperties":
            # YAML reads some keys as booleans, numbers or null (`on:` is true): name them as strings
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})), key=str)
            known = list(e.schema.get("properties", {}))
            for key in extra:
                found[Diagnostic("E403", doc.key_span(where + [key]),
                                 f"unknown key '{key}'{did_you_mean(str(key), known)}")] = None
            continue
        found[Diagnostic("E403", doc.span(where), f"{'/'.join(str(p) for p in where) or '(top level)'}: {_explain(e)}")] = None
    if found:
        raise DiagnosticError(sorted(found, key=lambda d: (d.span.line, d.span.col)), {path: doc.text})
    return doc


def _kind(value) -> str:
    return {list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def _explain(error: jsonschema.ValidationError) -> str:
    """The schema's message, said plainly where its wording would puzzle (date patterns, blank text)."""
    if error.validator == "format" and error.validator_value == "date" or (
            error.validator == "pattern" and "[0-9]{4}" in str(error.validator_value)):
        return f"{error.instance!r} is not a valid date written YYYY-MM-DD"
    if isinstance(error.instance, str) and (error.validator == "minLength" or
                                            (error.validator == "pattern" and error.validator_value == "\\S")):
        return "must not be blank"
    return error.message


def load_policy(path: str, name: str | None) -> Policy:
    doc = load_file(path)
    data = doc.data
    chosen = name or data.get("default_policy")
    policies = data["policies"]
    if chosen is None:
        if len(policies) != 1:
            raise UserError(f"{path}: several policies and no default_policy; choose one with --policy ({', '.join(policies)})")
        chosen = next(iter(policies))
    if chosen not in policies:
        known = f"no policy named '{chosen}'{did_you_mean(chosen, policies)}; known: {', '.join(policies)}"
        if name is None:  # the file's own default_policy is wrong: say where
            raise DiagnosticError([Diagnostic("E403", doc.span(["default_policy"]), f"default_policy: {known}")],
                                  {path: doc.text})
        raise UserError(f"{path}: {known}")
    p = policies[chosen]
    rules = _relative_to(path, p["rules"])
    _check_rule_paths(path, doc, chosen, rules)
    return Policy(chosen, path, rules, p.get("include"), p.get("exclude", []), dict(p.get("parameters", {})),
                  dict(p.get("severity", {})), list(data.get("waivers", [])), doc, dict(data.get("settings", {})))


def _relative_to(path: str, rule_paths: list[str]) -> list[str]:
    """Rule paths written in the policies file at `path` are relative to that file."""
    base = bundled.display(os.path.dirname(os.path.abspath(path)))
    return [os.path.normpath(os.path.join(base, r)) for r in rule_paths]


def all_rule_paths(path: str) -> list[str]:
    """Every rule path of every policy set in the file, in order, once each: what `argus check` and
    `argus test` look at when no path is given."""
    policies = load_file(path).data["policies"]
    return list(dict.fromkeys(r for p in policies.values() for r in _relative_to(path, p["rules"])))


def default_rule_paths(config: str | None) -> list[str]:
    """Rule paths for `check` and `test` without a path: those of the policies file (argus.policy.settings.
    config_file), else the bundled rule pack."""
    return all_rule_paths(config) if config else [bundled.display(bundled.rules_dir())]


def _check_rule_paths(path: str, doc: yamlpos.Located, name: str, rules: list[str]) -> None:
    """Rule paths of the chosen policy that name nothing, located in the file (they are relative to it)."""
    diags = [Diagnostic("E403", doc.span(["policies", name, "rules", i]),
                        f"policies/{name}/rules/{i}: no such rule file or directory: {rule_path}")
             for i, rule_path in enumerate(rules) if not os.path.exists(rule_path)]
    if diags:
        raise DiagnosticError(diags, {path: doc.text})


def matching_ids(pattern: str, rule_ids) -> set[str]:
    """The rule ids a pattern (an id or a glob: *, ?, [..]) names, ignoring case: policies' include and exclude,
    --rule and --skip-rule, new-rule's check of an include list."""
    folded = pattern.casefold()
    return {r for r in rule_ids if fnmatch.fnmatchcase(r.casefold(), folded)}


def select_rules(policy: Policy, rule_ids: list[str]) -> tuple[set[str], list[Diagnostic]]:
    """The rule ids the policy runs, and E404 diagnostics for include/exclude/severity entries naming no rule."""
    diags: list[Diagnostic] = []
    folded = {r.casefold(): r for r in rule_ids}

    def expand(patterns, key) -> set[str]:
        out: set[str] = set()
        for i, pat in enumerate(patterns):
            hits = matching_ids(pat, rule_ids)
            if not hits:
                diags.append(Diagnostic("E404", policy.span(key, i), f"policy '{policy.name}': {key} names no loaded rule: '{pat}'{did_you_mean(pat, rule_ids)}"))
            out |= hits
        return out

    selected = set(rule_ids) if policy.include is None else expand(policy.include, "include")
    selected -= expand(policy.exclude, "exclude")
    for rid in policy.severity:
        if rid.casefold() not in folded:
            diags.append(Diagnostic("E404", policy.span("severity", rid), f"policy '{policy.name}': severity override for unknown rule '{rid}'{did_you_mean(rid, rule_ids)}"))
    return selected, diags


def convert(value, type_name: str):
    """Coerce a parameter value to its declared type; ValueError with a reason when it does not fit."""
    if type_name == "string":
        if isinstance(value, (dict, list)):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        return str(value)
    if type_name == "number":
        if isinstance(value, bool):
            raise ValueError("expected a number, got a boolean")
        try:
            return value if isinstance(value, (int, float)) else (int(value) if str(value).lstrip("-").isdigit() else float(value))
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise ValueError(f"expected true or false, got {value!r}")
    if type_name == "list":
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            try:
                parsed = (yamlpos.loads(value) if value.strip().startswith("[")
                          else [v.strip() for v in value.split(",") if v.strip()])
            except yaml.YAMLError as exc:
                shown = value if len(value) <= 60 else value[:60] + "..."
                raise ValueError(f"expected a list, got {shown!r} ({getattr(exc, 'problem', None) or exc})") from None
            if isinstance(parsed, list):
                return parsed
        raise ValueError(f"expected a list, got {value!r}")
    raise ValueError(f"unknown type {type_name}")
