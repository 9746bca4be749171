"""The stages are packages, and imports only point the allowed way (issue: the house). A newcomer reads the
pipeline in engine/'s folders; this test keeps it honest by parsing every module's imports:

- language (syntax, AST, checker, functions, runtime values) imports nothing of argus beyond itself and the
  top-level utilities: never snapshots, reports or commands;
- planning builds on language; evaluation on language, planning, snapshots and policy;
- the formats under reports never import each other: they share what they need through the report document
  (reports.report, reports.present) and the registry (reports.formats);
- commands are the only importers of argparse, and nothing but commands imports commands.
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "engine"
TOP = {"errors", "exitcodes", "gcpause", "resources", "validation", "model", "__init__", "__main__", "diagnostics",
       "yamlpos", "lazyimport"}
ALLOWED = {  # stage -> the stages it may import (besides itself and the top-level utilities)
    "language": set(),
    "planning": {"language", "collection"},
    "snapshots": {"language", "collection"},
    "evaluation": {"language", "planning", "snapshots", "policy"},
    "collection": set(),
    "facts": {"language"},
    "policy": {"language"},
    "reports": {"language", "snapshots"},
    "state": {"reports"},
    "testing": {"language", "planning", "snapshots", "policy", "evaluation"},
    "deployment": {"language", "snapshots", "state", "reports", "policy"},
    "pipeline": {"language", "planning", "snapshots", "evaluation", "collection", "policy", "reports", "state",
                 "deployment"},
    "commands": {"language", "planning", "snapshots", "evaluation", "collection", "facts", "policy", "reports",
                 "state", "testing", "deployment", "pipeline"},
}
DISPATCH = {"cli", "completion"}  # they read every command's flags
SHARED_FLAGS = "flags"  # the flags several commands share: any command may import it
DOCUMENT = {"report", "present", "locate", "prose", "formats", "whatif_report"}  # what formats may share


def _modules():
    for path in sorted(ENGINE.rglob("*.py")):
        parts = path.relative_to(ENGINE).with_suffix("").parts
        if "_data" not in parts:
            yield (parts[0] if len(parts) == 2 else None), parts[-1], path


def _imports(text: str, package: str):
    """(stage or None, module) for every argus module `text` imports (at the top or inside a function; relative
    imports resolved against `package`, e.g. "argus.language"), and ("argparse", "argparse") for argparse."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]  # a name may be a module or an attribute
        else:
            continue
        for target in targets:
            parts = target.split(".")
            if parts[0] == "argparse":
                yield "argparse", "argparse"
            elif parts[0] == "argus" and len(parts) > 1:
                if parts[1] in ALLOWED:
                    yield parts[1], parts[2] if len(parts) > 2 else parts[1]
                elif (ENGINE / f"{parts[1]}.py").exists():
                    yield None, parts[1]


def _module_imports(path: Path):
    package = "argus" if path.parent == ENGINE else f"argus.{path.parent.name}"
    return _imports(path.read_text(encoding="utf-8"), package)


def test_the_import_reader_sees_every_form():
    """The checks below can only fail if imports are read: every way to write one is seen, with its stage."""
    text = ("import argparse\nfrom argparse import Namespace\nimport argus.snapshots.snapshot\n"
            "from argus.reports import sarif\nfrom argus.reports.textout import render\nfrom ..commands import scan\n"
            "from .parser import parse_file\nfrom argus import errors\ndef f():\n    from argus.state import history\n")
    assert set(_imports(text, "argus.language")) == {
        ("argparse", "argparse"), ("snapshots", "snapshot"), ("reports", "sarif"), ("reports", "textout"),
        ("commands", "scan"), ("language", "parser"), (None, "errors"), ("state", "history")}


def test_every_module_is_placed_in_a_stage_or_is_a_top_level_utility():
    loose = [name for stage, name, _ in _modules() if stage is None and name not in TOP]
    assert loose == []


def test_imports_point_the_allowed_way():
    wrong = []
    for stage, name, path in _modules():
        for target_stage, target in _module_imports(path):
            if target_stage == "argparse":
                if stage != "commands":
                    wrong.append(f"{stage}.{name} imports argparse (only commands parse flags)")
                continue
            if target_stage is None or target_stage == stage or stage is None:
                continue
            if target_stage not in ALLOWED.get(stage, set()):
                wrong.append(f"{stage}.{name} -> {target_stage}.{target}")
    assert wrong == []


def test_formats_share_only_the_report_document():
    wrong = []
    for stage, name, path in _modules():
        if stage != "reports" or name in DOCUMENT:
            continue
        for target_stage, target in _module_imports(path):
            if target_stage == "reports" and target not in DOCUMENT and target != name:
                wrong.append(f"reports.{name} -> reports.{target}")
    assert wrong == []


def test_top_level_utilities_import_no_stage():
    """Errors, diagnostics, exit codes, resources, YAML positions...: every stage uses them, so they use no stage
    (`python -m argus` is the command line's entry point, not a utility)."""
    wrong = [f"{name} -> {target_stage}.{target}" for stage, name, path in _modules()
             if stage is None and name != "__main__"
             for target_stage, target in _module_imports(path) if target_stage in ALLOWED]
    assert wrong == []


def test_commands_do_not_import_each_other():
    """A command owns its flags and calls the library; only the dispatcher (cli) and the completion script, which
    read every command's flags, import commands, and the flags several commands share are one module."""
    wrong = []
    for stage, name, path in _modules():
        if stage != "commands" or name in DISPATCH:
            continue
        for target_stage, target in _module_imports(path):
            if target_stage == "commands" and target not in (name, SHARED_FLAGS):
                wrong.append(f"commands.{name} -> commands.{target}")
    assert wrong == []
