"""`argus check`: lint rule files without a snapshot.

In: rule files or directories (default: rules/). Out: every diagnostic as `file:line:col: CODE: message` with
the source line and a caret, then a summary (files, rules, including those that could not be parsed, errors and
warnings), on stderr; exit 2 if any is an error (or any warning under --strict), else 0.
"""

from __future__ import annotations

import sys

from .diagnostics import has_errors
from .scan import add_config_argument
from .loader import load_rules
from .policies import default_rule_paths
from .static import unparsed_rules


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories (default: the rule paths of the project's policies.yaml, "
                        "else the bundled rule pack)")
    add_config_argument(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--snapshot", action="append", metavar="FILE", help="also warn about field paths that never occur in this snapshot (W506)")


def run(args) -> int:
    program, diags = load_rules(args.paths or default_rule_paths(getattr(args, "policies", None)))
    sources = program.sources
    if args.snapshot and not has_errors(diags):
        from . import snapshot
        from .lint import lint
        diags = diags + lint(program, snapshot.load(args.snapshot))
    for d in sorted(diags, key=lambda d: (d.span.file, d.span.line, d.span.col) if d.span else ("", 0, 0)):
        print(d.render(sources), file=sys.stderr)
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    files, broken = len(program.files), unparsed_rules(program.files)
    rules = len(program.rules) + broken  # a rule that does not parse is still one of the file's rules
    unread = f" ({broken} could not be parsed)" if broken else ""
    print(f"{files} file{'s' * (files != 1)}, {rules} rule{'s' * (rules != 1)}{unread}: "
          f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}", file=sys.stderr)
    return 2 if has_errors(diags) or (args.strict and warnings) else 0
