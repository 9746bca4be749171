"""Commands own their flags: only command modules import argparse, define flags or read an argparse Namespace;
every other module of engine/ takes typed values (a ScanRequest, a collect.Source, a settings.Resolved, ...).

In: the source of every engine module, parsed with `ast` (nothing is imported). Out: the library modules that
import argparse, add arguments to a parser, name argparse's Namespace, or read a parameter named `args` as a
Namespace (`args.x`, `getattr(args, ...)`, `setattr(args, ...)`, `hasattr(args, ...)`).
"""

from __future__ import annotations

import ast
from pathlib import Path

from argus.commands.cli import COMMANDS

ENGINE = Path(__file__).resolve().parents[1] / "engine"

# the command modules: engine/commands/ (each turns its Namespace into typed values for the library; the flags
# several share are in flags; cli parses argv and dispatches), and `python -m argus`
COMMANDS_DIR = ENGINE / "commands"
COMMAND_FILES = {*COMMANDS_DIR.glob("*.py"), ENGINE / "__main__.py"}
FLAG_METHODS = {"add_argument", "add_argument_group", "add_mutually_exclusive_group", "add_subparsers",
                "add_parser"}
NAMESPACE_READERS = {"getattr", "setattr", "hasattr", "vars"}


def flag_uses(source: str) -> list[str]:
    """Every place ``source`` imports argparse, defines flags or reads a Namespace, as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "argparse" for a in node.names):
            found.append(f"{node.lineno}: imports argparse")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "argparse":
            found.append(f"{node.lineno}: imports from argparse")
        elif isinstance(node, ast.Attribute) and node.attr in FLAG_METHODS:
            found.append(f"{node.lineno}: defines flags (.{node.attr})")
        elif isinstance(node, (ast.Name, ast.Attribute)) and getattr(node, "id", getattr(node, "attr", "")) == "Namespace":
            found.append(f"{node.lineno}: names argparse's Namespace")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            found += _reads_args(node)
    return sorted(found, key=lambda use: int(use.partition(":")[0]))


def _reads_args(fn) -> list[str]:
    """Reads of a parameter named `args` (not `*args`, a tuple) as a Namespace, inside ``fn``."""
    params = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
    if not any(p.arg == "args" for p in params):
        return []
    out = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "args":
            out.append(f"{node.lineno}: reads args.{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMESPACE_READERS
              and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "args"):
            out.append(f"{node.lineno}: {node.func.id}(args, ...)")
    return out


def test_library_modules_never_see_flags():
    offenders = {}
    for path in sorted(ENGINE.rglob("*.py")):
        if path in COMMAND_FILES or "_data" in path.parts:
            continue
        uses = flag_uses(path.read_text(encoding="utf-8"))
        if uses:
            offenders[path.relative_to(ENGINE).as_posix()] = uses
    assert offenders == {}


def test_every_command_of_the_cli_is_a_command_module():
    assert sorted(module for module, _ in COMMANDS.values() if not module.startswith("argus.commands.")) == []
    assert sorted(module.rpartition(".")[2] for module, _ in COMMANDS.values()
                  if not (COMMANDS_DIR / f"{module.rpartition('.')[2]}.py").exists()) == []


def test_the_check_finds_each_way_of_reading_flags():
    source = '''
import argparse
from argparse import Namespace


def add_arguments(p):
    p.add_argument("--x")


def collect(args, other):
    return args.subscription, getattr(args, "tenant", None)


def mark(args):
    setattr(args, "done", True)


def fine(*args):
    return args[0]


def also_fine(request):
    return request.subscription
'''
    assert flag_uses(source) == ["2: imports argparse", "3: imports from argparse", "7: defines flags (.add_argument)",
                                 "11: reads args.subscription", "11: getattr(args, ...)", "15: setattr(args, ...)"]
