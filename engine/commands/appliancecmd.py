"""`argus appliance-facts`: flags in, an argus.facts.appliance.ApplianceInput out, the facts file written.

In: argparse results. Out: the facts document on stdout or in --output (written atomically), warnings on
stderr, exit 0; bad input is a UserError (exit 2) and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys

from argus.facts.appliance import KINDS, ORIGINS, ApplianceInput, facts_document
from argus import exitcodes
from argus.errors import atomic_write


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="appliance name (the row id is appliance/NAME)")
    parser.add_argument("--kind", required=True, choices=KINDS, help="which appliance this is")
    parser.add_argument("--appliance-json", metavar="PATH",
                        help="C:/ProgramData/MicrosoftAzure/Config/appliance.json (required for vmware-agentless)")
    proxy = parser.add_mutually_exclusive_group(required=True)
    proxy.add_argument("--proxy-address", metavar="URL", help="the proxy the appliance uses, e.g. http://proxy:8080")
    proxy.add_argument("--no-proxy", action="store_true", help="the appliance connects directly (no proxy)")
    for origin in ORIGINS:
        dest = f"bypass_{origin}"
        separators = "';'" if origin == "appliance" else "';' or spaces"
        parser.add_argument(f"--bypass-{origin}", dest=dest, action="append", default=[], metavar="LIST",
                            help=f"{origin} bypass list as stored, {separators} between entries; repeatable")
    parser.add_argument("--resolve", action="append", default=[], metavar="HOST",
                        help="host name to resolve; repeatable")
    parser.add_argument("--dns-answers", metavar="FILE",
                        help="YAML/JSON map host -> {addresses, cname_chain} instead of live lookups")
    parser.add_argument("--nameserver", action="append", default=[], metavar="IP[:PORT]",
                        help="DNS server for live lookups (default: the system's); repeatable")
    parser.add_argument("--dns-timeout", type=float, default=5.0, metavar="SECONDS",
                        help="per-lookup time limit (default 5)")
    parser.add_argument("--collected-at", metavar="TIMESTAMP", help="ISO 8601 time with zone (default: now, UTC)")
    parser.add_argument("--output", "-o", default="-", metavar="FILE", help="facts file to write (default: stdout)")
    parser.add_argument("--append", action="store_true",
                        help="merge the row into the existing snapshot FILE's appliance table (same id is replaced)")


def request(args: argparse.Namespace) -> ApplianceInput:
    lists = tuple((origin, text) for origin in ORIGINS for text in getattr(args, f"bypass_{origin}"))
    return ApplianceInput(args.name, args.kind, args.appliance_json, None if args.no_proxy else args.proxy_address,
                          lists, tuple(args.resolve), args.dns_answers, tuple(args.nameserver), args.dns_timeout,
                          args.collected_at, args.output, args.append)


def run(args: argparse.Namespace) -> int:
    warnings: list[str] = []
    document, row = facts_document(request(args), warnings)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    for warning in warnings:
        print(f"argus appliance-facts: warning: {warning}", file=sys.stderr)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        atomic_write(args.output, text)
        print(f"argus appliance-facts: wrote {row['id']} ({len(row['proxy']['bypass'])} bypass entries, "
              f"{len(row['dns'])} DNS names) to {args.output}", file=sys.stderr)
    return exitcodes.OK
