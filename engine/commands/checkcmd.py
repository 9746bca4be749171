"""`argus check`: lint rule files without a snapshot.

In: rule files or directories (default: rules/). Out: every diagnostic as `file:line:col: CODE: message` with
the source line and a caret, then a summary (files, rules, including those that could not be parsed, errors and
warnings), on stderr; exit 2 if any is an error (or any warning under --strict), else 0. `--format json|sarif`
(argus.reports.checkreport) writes the diagnostics for tools to stdout or `--output FILE`; the summary line stays on
stderr, and so does the text when the machine format goes to a file.
"""

from __future__ import annotations

import sys

from argus.reports import checkreport
from argus import exitcodes

from argus.diagnostics import has_errors
from argus.errors import atomic_write
from argus.commands.flags import add_config_argument
from argus.language.loader import load_rules
from argus.policy.policies import default_rule_paths
from argus.policy.settings import config_file
from argus.language.static import unparsed_rules


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories (default: the rule paths of the project's policies.yaml, "
                        "else the bundled rule pack)")
    add_config_argument(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--snapshot", action="append", metavar="FILE", help="also warn about field paths that never occur in this snapshot (W506)")
    p.add_argument("-f", "--format", choices=("text", "json", "sarif"), default="text",
                   help="text (file:line:col: CODE: message, on stderr; the default), json, or sarif (SARIF 2.1.0, "
                        "for code scanning)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the --format to FILE (- for stdout; default: "
                   "stdout for json and sarif, stderr for text)")


def run(args) -> int:
    program, diags = load_rules(args.paths or default_rule_paths(config_file(args.policies)))
    sources = program.sources
    if args.snapshot and not has_errors(diags):
        from argus.snapshots import snapshot
        from argus.snapshots.lint import lint
        diags = diags + lint(program, snapshot.load(args.snapshot))
    diags = sorted(diags, key=lambda d: (d.span.file, d.span.line, d.span.col) if d.span else ("", 0, 0))
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    files, broken = len(program.files), unparsed_rules(program.files)
    rules = len(program.rules) + broken  # a rule that does not parse is still one of the file's rules
    unread = f" ({broken} could not be parsed)" if broken else ""
    summary = (f"{files} file{'s' * (files != 1)}, {rules} rule{'s' * (rules != 1)}{unread}: "
               f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    counts = {"files": files, "rules": rules, "unparsed_rules": broken, "errors": errors, "warnings": warnings}
    _write(args, diags, sources, summary, counts)
    return exitcodes.USAGE if has_errors(diags) or (args.strict and warnings) else exitcodes.OK


def _write(args, diags, sources, summary: str, counts: dict) -> None:
    """The chosen format where it was asked for; a person on the terminal still gets the summary line."""
    text = "".join(d.render(sources) + "\n" for d in diags) + summary + "\n"
    to_stdout = args.output in (None, "-")
    if args.format == "text":
        if args.output is None:
            sys.stderr.write(text)
        elif to_stdout:
            sys.stdout.write(text)
        else:
            atomic_write(args.output, text)
        return
    from argus.reports.locate import find_repo_root
    rendered = (checkreport.render_json(diags, counts) if args.format == "json"
                else checkreport.render_sarif(diags, counts, find_repo_root()))
    if to_stdout:
        sys.stdout.write(rendered)
        print(summary, file=sys.stderr)
    else:
        atomic_write(args.output, rendered)
        sys.stderr.write(text)
