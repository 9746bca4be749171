"""`argus history DB`: the trend of recorded scans, as text or JSON, optionally drawn into a chart.

In: argparse results. Out: the trend on stdout (argus.state.history reads it), the chart file (PNG or HTML, only
with the `chart` extra installed), exit 0; bad flags or an unreadable DB are a UserError (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from argus import exitcodes
from argus.state import history
from argus.state.baseline import TRACKED
from argus.errors import UserError
from argus.model import STATUSES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("db", metavar="DB", help="SQLite file written by `argus scan --history DB`")
    parser.add_argument("--last", type=int, default=10, metavar="N", help="show the last N scans (default 10)")
    parser.add_argument("--status", action="append", choices=STATUSES, metavar="STATUS",
                        help="count findings with this status (repeatable; default fail, warn, error, not_evaluated)")
    parser.add_argument("--rule", action="append", metavar="RULE_ID", help="only this rule (repeatable)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format (default text)")
    parser.add_argument("--chart", metavar="OUT", help="also draw the trend into OUT.png or OUT.html")


def run(args: argparse.Namespace) -> int:
    if args.last < 1:
        raise UserError("--last must be at least 1")
    if args.chart and Path(args.chart).suffix.lower() not in (".png", ".html", ".htm"):
        raise UserError(f"--chart {args.chart}: the file name must end in .png or .html")
    if args.chart:
        history.require_chart_extra(args.chart)  # before anything is read, drawn or written
    data = history.trend(args.db, last=args.last, statuses=tuple(args.status or TRACKED), rules=args.rule)
    if args.chart:
        history.write_chart(args.chart, data)
    sys.stdout.write(json.dumps(data, indent=2) + "\n" if args.format == "json" else history.render_text(data))
    return exitcodes.OK
