"""`argus collect`: flags in, a snapshot file out.

In: argparse results (the Azure source flags are argus.commands.flags', shared with `argus scan --live`). Out: the
exit code of `argus collect` (0, or a UserError naming what could not be read; no file written then).
"""

from __future__ import annotations

import argparse

from argus import exitcodes
from argus.commands.flags import add_source_arguments, source


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--output", required=True, metavar="SNAPSHOT", help="snapshot file to write")
    parser.add_argument("--types", action="append", metavar="TYPE[,TYPE...]",
                        help="collect only these resource types (pushdown; repeatable)")


def run(args: argparse.Namespace) -> int:
    from argus.collection.collect import collect_snapshot, parse_types
    collect_snapshot(source(args), args.output, parse_types(args.types))
    return exitcodes.OK
