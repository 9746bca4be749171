"""Policy sets: policies.yaml -> a selected Policy (rule paths, rule ids, parameter values, severity overrides).

In: a policies.yaml path and a policy name. Out: `Policy`, or a UserError naming file:line:col for an unknown
key, a wrong type (JSON Schema, schemas/policies.schema.json) or a policy that does not exist. Rule ids and
parameter names are checked against the loaded rules by `select_rules` / `resolve_params`, which return
Diagnostics located in policies.yaml.
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, field
from importlib import resources

import jsonschema
import yaml

from . import yamlpos
from .ast import Span
from .diagnostics import Diagnostic, did_you_mean
from .errors import UserError


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
        line, col = self.located.locate(("policies", self.name) + path)
        return Span(self.file, line, col, line, col + 1)


def _schema() -> dict:
    return json.loads(resources.files("engine").joinpath("schemas/policies.schema.json").read_text(encoding="utf-8"))


def load_file(path: str) -> yamlpos.Located:
    doc = yamlpos.load(path)
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(doc.data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors:
            where = list(e.absolute_path)
            if e.validator == "additionalProperties":
                extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
                known = list(e.schema.get("properties", {}))
                for key in extra:
                    line, col = doc.key_position(where + [key])
                    lines.append(f"{path}:{line}:{col}: E403: unknown key '{key}'{did_you_mean(key, known)}")
                continue
            line, col = doc.locate(where)
            at = "/".join(str(p) for p in where) or "(top level)"
            lines.append(f"{path}:{line}:{col}: E403: {at}: {e.message}")
        raise UserError("invalid policy file\n" + "\n".join(lines))
    return doc


def load_policy(path: str, name: str | None) -> Policy:
    doc = load_file(path)
    data = doc.data
    name = name or data.get("default_policy")
    policies = data["policies"]
    if name is None:
        if len(policies) != 1:
            raise UserError(f"{path}: several policies and no default_policy; choose one with --policy ({', '.join(policies)})")
        name = next(iter(policies))
    if name not in policies:
        raise UserError(f"{path}: no policy named '{name}'{did_you_mean(name, policies)}; known: {', '.join(policies)}")
    p = policies[name]
    base = os.path.dirname(os.path.abspath(path))
    rel = os.path.relpath(base)
    rules = [os.path.normpath(os.path.join(rel, r)) for r in p["rules"]]
    return Policy(name, path, rules, p.get("include"), p.get("exclude", []), dict(p.get("parameters", {})),
                  dict(p.get("severity", {})), list(data.get("waivers", [])), doc, dict(data.get("settings", {})))


def select_rules(policy: Policy, rule_ids: list[str]) -> tuple[set[str], list[Diagnostic]]:
    """The rule ids the policy runs, and E404 diagnostics for include/exclude/severity entries naming no rule."""
    diags: list[Diagnostic] = []
    folded = {r.casefold(): r for r in rule_ids}

    def expand(patterns, key) -> set[str]:
        out: set[str] = set()
        for i, pat in enumerate(patterns):
            hits = {r for r in rule_ids if fnmatch.fnmatchcase(r.casefold(), pat.casefold())}
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
            parsed = yaml.safe_load(value) if value.strip().startswith("[") else [v.strip() for v in value.split(",") if v.strip()]
            if isinstance(parsed, list):
                return parsed
        raise ValueError(f"expected a list, got {value!r}")
    raise ValueError(f"unknown type {type_name}")
