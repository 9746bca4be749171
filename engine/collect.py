"""`argus collect`: read a complete snapshot from Azure Resource Graph, or fail loudly.

In: scopes (--subscription / --management-group), cloud or ARM endpoint, credential choice (see
engine.argclient), optional pushdown types. Runs the KQL in queries/ (one file per concern, each
ordered by id so paging is stable), reads private endpoint DNS zone groups from ARM (ARG does not
hold them), and writes one snapshot file atomically: {"header": ..., "resources": [...],
"resourcecontainers": [...], "dnsresources": [...]}. Out: the header dict; any read that is not
complete (failed, truncated, partial scope, paging gap) raises UserError naming query and scope, and
no file is written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from . import __version__, argclient
from .argclient import FetchError, Scope
from .errors import UserError, atomic_write

SNAPSHOT_FORMAT = "argus-snapshot/1"
QUERY_DIR = Path(__file__).resolve().parent.parent / "queries"
SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"
PE_TYPE = "microsoft.network/privateendpoints"
ZONE_GROUP_TYPE = "microsoft.network/privateendpoints/privatednszonegroups"
ZONE_GROUP_API = "2024-05-01"
SUBSCRIPTION_BATCH = 1000
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MANAGEMENT_GROUP = re.compile(r"[A-Za-z0-9_().-]{1,90}")
_DNS_RECORD_KINDS = ("a", "aaaa", "cname", "mx", "ptr", "soa", "srv", "txt")


@dataclass(frozen=True)
class QuerySpec:
    name: str
    table: str  # the ARG table the query runs on
    types: tuple[str, ...]  # what its `where type in~ (...)` selects

    @property
    def file(self) -> str:
        return f"queries/{self.name}.kql"


# resource_containers runs first: it proves every requested scope is readable before quota is spent.
QUERIES: tuple[QuerySpec, ...] = (
    QuerySpec("resource_containers", "resourcecontainers",
              (SUBSCRIPTION_TYPE, "microsoft.resources/subscriptions/resourcegroups")),
    QuerySpec("storage_accounts", "resources", ("microsoft.storage/storageaccounts",)),
    QuerySpec("private_endpoints", "resources", (PE_TYPE, "microsoft.network/networkinterfaces")),
    QuerySpec("private_dns_zones", "resources",
              ("microsoft.network/privatednszones", "microsoft.network/privatednszones/virtualnetworklinks")),
    QuerySpec("dns_records", "dnsresources",
              tuple(f"microsoft.network/privatednszones/{kind}" for kind in _DNS_RECORD_KINDS)),
    QuerySpec("networks", "resources", ("microsoft.network/virtualnetworks",
                                        "microsoft.network/virtualnetworkgateways", "microsoft.network/connections")),
    QuerySpec("expressroute", "resources",
              ("microsoft.network/expressroutecircuits", "microsoft.network/routefilters")),
    QuerySpec("migrate_projects", "resources", ("microsoft.migrate/migrateprojects",)),
)
TABLES = ("resources", "resourcecontainers", "dnsresources")
COLLECTABLE = frozenset(t for spec in QUERIES for t in spec.types) | {ZONE_GROUP_TYPE}


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by `argus collect` and `argus scan --live`."""
    group = parser.add_argument_group("Azure source")
    scope = group.add_mutually_exclusive_group()
    scope.add_argument("--subscription", action="append", metavar="ID",
                       help="subscription to collect (repeatable, or comma-separated)")
    scope.add_argument("--management-group", action="append", metavar="ID",
                       help="management group to collect (repeatable, or comma-separated)")
    group.add_argument("--tenant", metavar="ID", help="tenant to request tokens for (DefaultAzureCredential)")
    group.add_argument("--cloud", choices=sorted(argclient.CLOUDS), help="Azure cloud (default: public)")
    group.add_argument("--arm-endpoint", metavar="URL",
                       help="ARM endpoint URL overriding the cloud's (http only for a loopback address)")
    group.add_argument("--quiet", action="store_true", help="no progress output")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="report every query, retry and throttling wait on stderr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--output", required=True, metavar="SNAPSHOT", help="snapshot file to write")
    parser.add_argument("--types", action="append", metavar="TYPE[,TYPE...]",
                        help="collect only these resource types (pushdown; repeatable)")


def run(args: argparse.Namespace) -> int:
    collect_snapshot(args, args.output, parse_types(args.types))
    return 0


def parse_types(values: Iterable[str] | None) -> set[str] | None:
    if values is None:
        return None
    return {t.strip().casefold() for value in values for t in value.split(",") if t.strip()}


def collect_snapshot(args: argparse.Namespace, output_path: str, types: set[str] | None = None) -> dict:
    """Collect every query over the scopes, write the snapshot atomically, return its header."""
    subscriptions, management_groups = _scope_ids(args)
    endpoint = argclient.resolve_endpoint(getattr(args, "cloud", None), getattr(args, "arm_endpoint", None))
    wanted = _wanted_types(types)
    plan = [(spec, text) for spec in QUERIES if (text := pushdown(spec, load_query(spec), wanted)) is not None]
    zone_groups = wanted is None or ZONE_GROUP_TYPE in wanted
    _check_output(output_path)
    credential = argclient.build_credential(endpoint, getattr(args, "tenant", None))
    progress = Progress(getattr(args, "quiet", False), getattr(args, "verbose", False), len(plan) + zone_groups)
    started = datetime.now(timezone.utc)
    try:
        with argclient.ArgSession(endpoint, credential, progress.note) as session:
            tables, queries, arm_reads = _collect(session, plan, _batches(subscriptions, management_groups),
                                                  zone_groups, progress)
        header = {
            "format": SNAPSHOT_FORMAT,
            "collected_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cloud": endpoint.cloud,
            "arm_endpoint": endpoint.url,
            "scopes": {"subscriptions": subscriptions, "management_groups": management_groups},
            "pushdown": sorted(wanted) if wanted is not None else None,
            "queries": queries,
            "arm_reads": arm_reads,
            "tool": {"name": "argus", "version": __version__},
        }
        _write(output_path, {"header": header, **tables})
    finally:
        progress.close()
    total = _count(sum(len(rows) for rows in tables.values()), "row")
    progress.finish(f"wrote {output_path}: {total} from {_count(len(queries), 'query', 'queries')}"
                    + (f" and {_count(arm_reads[0]['parents'], 'private endpoint')}" if arm_reads else ""))
    return header


def _collect(session: argclient.ArgSession, plan: list[tuple[QuerySpec, str]], scopes: list[Scope],
             zone_groups: bool, progress: "Progress") -> tuple[dict[str, list[dict]], list[dict], list[dict]]:
    """Run the plan; return the tables and the header's query and ARM read records."""
    tables: dict[str, list[dict]] = {table: [] for table in TABLES}
    queries, arm_reads = [], []
    for spec, text in plan:
        rows = _run_query(session, spec, text, scopes, progress)
        if spec.name == "resource_containers":
            _check_readable(rows, scopes)
        tables[spec.table].extend(rows)
        queries.append({"name": spec.name, "table": spec.table, "file": spec.file,
                        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "text": text, "rows": len(rows)})
    if zone_groups:
        parents = [row for row in tables["resources"] if str(row.get("type", "")).casefold() == PE_TYPE]
        rows = _zone_groups(session, parents, progress)
        tables["resources"].extend(rows)
        arm_reads.append({"name": "private_dns_zone_groups", "type": ZONE_GROUP_TYPE, "api_version": ZONE_GROUP_API,
                          "parents": len(parents), "rows": len(rows)})
    return tables, queries, arm_reads


def load_query(spec: QuerySpec) -> str:
    """The query text as sent: the file without its `//` comment lines and blank lines."""
    path = QUERY_DIR / f"{spec.name}.kql"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read query file {path}: {exc.strerror}") from None
    lines = [line.rstrip() for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("//")]
    if not lines or lines[0].strip().casefold() != spec.table:
        raise UserError(f"{path}:1: the query must start with its table '{spec.table}'")
    return "\n".join(lines)


def pushdown(spec: QuerySpec, text: str, wanted: set[str] | None) -> str | None:
    """Narrow a query to the wanted types (None: nothing of it is wanted, skip it)."""
    if wanted is None:
        return text
    keep = [t for t in spec.types if t in wanted]
    if not keep:
        return None
    if len(keep) == len(spec.types):
        return text
    table, rest = text.split("\n", 1)
    return f"{table}\n| where type in~ ({', '.join(repr(t) for t in keep)})\n{rest}"


def _wanted_types(types: set[str] | None) -> set[str] | None:
    if types is None:
        return None
    # argus/ types (appliance facts) come from files, not from Azure.
    wanted = {t.strip().casefold() for t in types if t.strip() and not t.strip().casefold().startswith("argus/")}
    unknown = sorted(wanted - COLLECTABLE)
    if unknown:
        raise UserError(f"no query collects {', '.join(unknown)}; collectable types: {', '.join(sorted(COLLECTABLE))}")
    wanted.add(SUBSCRIPTION_TYPE)  # the scope check reads the subscription rows
    if ZONE_GROUP_TYPE in wanted:
        wanted.add(PE_TYPE)  # zone groups are read per private endpoint
    return wanted


def _scope_ids(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    subscriptions = _unique(getattr(args, "subscription", None))
    management_groups = _unique(getattr(args, "management_group", None))
    if not subscriptions and not management_groups:
        raise UserError("nothing to collect: give --subscription ID or --management-group ID")
    if subscriptions and management_groups:
        raise UserError("give --subscription or --management-group, not both")
    for value in subscriptions:
        if not _GUID.fullmatch(value):
            raise UserError(f"--subscription {value!r}: not a subscription ID (a GUID)")
    for value in management_groups:
        if not _MANAGEMENT_GROUP.fullmatch(value):
            raise UserError(f"--management-group {value!r}: not a management group ID")
    return subscriptions, management_groups


def _unique(values: Iterable[str] | None) -> list[str]:
    seen: dict[str, str] = {}
    for value in values or ():
        for item in value.split(","):
            if item.strip():
                seen.setdefault(item.strip().casefold(), item.strip())
    return list(seen.values())


def _batches(subscriptions: list[str], management_groups: list[str]) -> list[Scope]:
    if management_groups:
        return [Scope(management_groups=tuple(management_groups))]
    return [Scope(subscriptions=tuple(subscriptions[i:i + SUBSCRIPTION_BATCH]))
            for i in range(0, len(subscriptions), SUBSCRIPTION_BATCH)]


def _check_output(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UserError(f"--output {path}: is a directory")
    if not os.path.isdir(directory):
        raise UserError(f"--output {path}: directory {directory} does not exist")


def _run_query(session: argclient.ArgSession, spec: QuerySpec, text: str, scopes: list[Scope],
               progress: "Progress") -> list[dict]:
    rows: list[dict] = []
    for scope in scopes:
        try:
            rows.extend(session.query(text, scope, progress.page))
        except FetchError as exc:
            raise UserError(f"query '{spec.name}' ({spec.table}) on {scope.describe()}: {exc}") from None
    progress.step(f"{spec.name}: {_count(len(rows), 'row')}")
    return rows


def _check_readable(rows: list[dict], scopes: list[Scope]) -> None:
    """ARG silently leaves out what the identity cannot read; a scope without its subscriptions is partial."""
    subscriptions = [row for row in rows if str(row.get("type", "")).casefold() == SUBSCRIPTION_TYPE]
    seen = {str(row.get("subscriptionId", "")).casefold() for row in subscriptions}
    ancestors = {str(entry.get("name", "")).casefold() for row in subscriptions
                 for entry in (row.get("properties") or {}).get("managementGroupAncestorsChain") or ()
                 if isinstance(entry, dict)}
    for scope in scopes:
        missing = [s for s in scope.subscriptions if s.casefold() not in seen]
        missing += [m for m in scope.management_groups if m.casefold() not in ancestors]
        if missing:
            what = "no subscription row for" if scope.subscriptions else "no readable subscription under"
            raise UserError(f"query 'resource_containers' (resourcecontainers) on {scope.describe()}: {what} "
                            f"{', '.join(missing)}: the scope is missing or only partly readable (the identity "
                            "needs Reader on it), so the snapshot would be partial")


def _zone_groups(session: argclient.ArgSession, endpoints: list[dict], progress: "Progress") -> list[dict]:
    rows: list[dict] = []
    for done, endpoint in enumerate(endpoints, 1):
        endpoint_id = str(endpoint.get("id", ""))
        try:
            items = session.arm_list(f"{endpoint_id}/privateDnsZoneGroups", ZONE_GROUP_API)
            rows.extend(_zone_group_row(endpoint, item) for item in items)
        except FetchError as exc:
            raise UserError(f"ARM read 'private_dns_zone_groups' of private endpoint {endpoint_id} "
                            f"(subscription {endpoint.get('subscriptionId')}): {exc}") from None
        progress.page(len(items), f"private DNS zone groups: {done}/{len(endpoints)} private endpoints")
    parents = _count(len(endpoints), "private endpoint")
    progress.step(f"private_dns_zone_groups: {_count(len(rows), 'row')} from {parents}")
    return rows


def _zone_group_row(endpoint: dict, item: Any) -> dict:
    """An ARM zone group as an ARG-shaped row, so rules join it like any other resource."""
    item_id = item.get("id") if isinstance(item, dict) else None
    prefix = f"{endpoint['id']}/privatednszonegroups/".casefold()
    if not isinstance(item_id, str) or not item_id.casefold().startswith(prefix):
        raise FetchError(f"ARM returned a zone group with id {item_id!r}, not under the private endpoint")
    return {
        "id": item_id, "name": item.get("name"), "type": ZONE_GROUP_TYPE, "tenantId": endpoint.get("tenantId"),
        "kind": "", "location": "", "resourceGroup": endpoint.get("resourceGroup"),
        "subscriptionId": endpoint.get("subscriptionId"), "managedBy": "", "sku": None, "plan": None,
        "properties": item.get("properties") or {}, "tags": None, "identity": None, "zones": None,
        "extendedLocation": None,
    }


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def _write(path: str, snapshot: dict) -> None:
    try:
        atomic_write(path, json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        raise UserError(f"--output {path}: cannot write: {exc.strerror or exc}") from None


class Progress:
    """Progress on stderr: a live line on a terminal, one line per event with -v, nothing with --quiet."""

    def __init__(self, quiet: bool, verbose: bool, steps: int) -> None:
        isatty = getattr(sys.stderr, "isatty", None)
        self._live = not quiet and bool(isatty and isatty())
        self._verbose = bool(verbose) and not quiet
        self._summary = self._live or self._verbose
        self._steps, self._done, self._rows = steps, 0, 0

    def page(self, rows: int, status: str | None = None) -> None:
        self._rows += rows
        self._draw(status)

    def step(self, message: str) -> None:
        self._done += 1
        self.note(message)
        self._draw()

    def note(self, message: str) -> None:
        if self._verbose:
            self._clear()
            print(f"argus collect: {message}", file=sys.stderr, flush=True)
            self._draw()

    def close(self) -> None:
        """Take the live line down (also when the run fails), so messages start on a clean line."""
        self._clear()
        self._live = False

    def finish(self, message: str) -> None:
        if self._summary:
            print(f"argus collect: {message}", file=sys.stderr, flush=True)

    def _draw(self, status: str | None = None) -> None:
        if self._live:
            state = status or f"{self._done}/{self._steps} queries done"
            sys.stderr.write(f"\r\x1b[Kargus collect: {state}, {self._rows:,} rows so far")
            sys.stderr.flush()

    def _clear(self) -> None:
        if self._live:
            sys.stderr.write("\r\x1b[K")
