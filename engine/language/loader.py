"""Rule loading: paths -> parsed, checked Program.

In: files and directories (directories are searched recursively for `*.argus`), or rule texts held in memory
with the file names they go by. Out: the checked Program and every diagnostic from parsing and checking,
collected across all files before anyone fails. The loader does the reading (rule files, and the YAML files
their `data` declarations name); parser and checker only see text and values.
"""

from __future__ import annotations

import os

from argus.language.checker import check
from argus.language.program import Program
from argus.diagnostics import Diagnostic
from argus.errors import UserError

RULE_SUFFIX = ".argus"


def find_rule_files(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(RULE_SUFFIX))
        elif os.path.isfile(p):
            out.append(p)
        else:
            raise UserError(f"{p}: no such rule file or directory")
    if not out:
        raise UserError(f"no rule files ({RULE_SUFFIX}) found in {', '.join(paths)}")
    return out


def load_rules(paths: list[str]) -> tuple[Program, list[Diagnostic]]:
    named = []
    for path in find_rule_files(paths):
        try:
            # newline="": lines end at \n as the parser and diagnostics count them (a lone \r is no line break)
            with open(path, encoding="utf-8", newline="") as fh:
                text = fh.read()
        except UnicodeDecodeError as exc:
            raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        named.append((os.path.relpath(path) if not os.path.isabs(path) else path, text))
    return load_texts(named)


def load_texts(named: list[tuple[str, str]]) -> tuple[Program, list[Diagnostic]]:
    """(file name as diagnostics show it, rule text) pairs -> the checked Program and every diagnostic."""
    from argus.language.parser import parse_file
    files, diags = [], []
    for name, text in named:
        rule_file, syntax = parse_file(name, text)
        files.append(rule_file)
        diags.extend(syntax)
    program, semantic = check(files, _read_data)
    return program, diags + semantic


def _read_data(rule_file: str, name: str):
    """A `data` declaration's YAML file, relative to the rule file that declares it."""
    from argus import yamlpos
    return yamlpos.data_file(os.path.dirname(rule_file), name)
