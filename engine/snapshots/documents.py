"""A snapshot file's bytes -> its tables: every shape ARG exports come in, and the checks that rows are ARG rows.

In: a file's path and bytes (or its parsed document). Out: (tables of (name, rows, positions in the file), the
argus header, a shape note): an object of tables (optionally with a `header`), `az graph query -o json` output,
bare row arrays, ARG REST/SDK responses (argus.snapshots.argpages), JSON Lines, and ARM resource bodies
(argus.snapshots.armbodies; the shape note says so). Rows without a table are routed by `type`; `type` is
lower-cased (copy-on-write) and nothing else is touched. Azure CLI or PowerShell output, malformed tables and
rows that are not objects are refused with a UserError naming the file and row; a file that is not JSON is an
E412 diagnostic at the place.
"""

from __future__ import annotations

import orjson

from argus.diagnostics import DiagnosticError, at, json_error, located
from argus.errors import UserError
from argus.language.tables import KNOWN_TABLES
from argus.snapshots import argpages
from argus.snapshots import armbodies

_CONTAINER_TYPES = ("microsoft.resources/subscriptions", "microsoft.resources/subscriptions/resourcegroups",
                    "microsoft.management/managementgroups")


_DNS_PREFIXES = ("microsoft.network/privatednszones/", "microsoft.network/dnszones/")


_DNS_EXCLUDE = ("microsoft.network/privatednszones/virtualnetworklinks",)


# Keys that sit inside `properties` in ARG rows; at top level they betray CLI output with properties flattened.
APPLIANCE_TYPE = "argus/appliance"  # the type of an appliance facts row (argus appliance-facts)
FLATTENED_HINTS = ("provisioningState", "primaryEndpoints", "networkRuleSet", "privateLinkServiceConnections",
                    "addressSpace", "subnets", "peerings", "serviceProviderProvisioningState", "gatewayType",
                    "ipConfigurations", "createdTime", "changedTime")


def parse(path: str, raw: bytes) -> tuple[list[tuple[str, list, list | None]], dict | None, str | None]:
    if path.endswith((".jsonl", ".ndjson")):
        return bare(path, _jsonl(path, raw))
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if raw.lstrip().startswith(b"{") and b"\n{" in raw:
            try:
                return bare(path, _jsonl(path, raw))
            except (UserError, DiagnosticError):
                pass  # not JSON Lines either: the whole document's error is the one to show
        raise json_error("E412", path, exc, "invalid JSON") from None
    return dispatch(path, doc)


def _jsonl(path: str, raw: bytes) -> list:
    rows = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:  # the decoder saw one line: the caret is under the whole file's
            raise located("E412", at(path, n, exc.colno), f"invalid JSON line: {exc.msg}",
                          raw.decode("utf-8", "replace")) from None
    return rows


def dispatch(path: str, doc) -> tuple[list[tuple[str, list, list | None]], dict | None, str | None]:
    """(tables of (name, rows, positions), the argus header, the shape note) of a parsed document."""
    if isinstance(doc, list):
        if doc and argpages.is_page(doc[0]):
            return _route(path, argpages.rows_of(path, doc)), None, None
        return bare(path, doc)
    if not isinstance(doc, dict):
        raise UserError(f"{path}: expected a JSON object or array of ARG rows, got {argpages.json_type(doc)}")
    if "data" in doc:
        return _route(path, argpages.rows_of(path, [doc])), None, None
    armbodies.spec_example(path, doc)
    if "value" in doc and isinstance(doc["value"], list):
        raise UserError(f"{path}: this is an ARM list response ('value'), not ARG rows; export with "
                        "`az graph query -q ... -o json` or `argus collect`")
    header = doc.get("header") if isinstance(doc.get("header"), dict) else None
    tables = []
    for name, rows in doc.items():
        if name == "header":
            continue
        if not isinstance(rows, list):
            if name.lower() not in KNOWN_TABLES and ("id" in doc or "type" in doc or "properties" in doc):
                raise UserError(f"{path}: a single resource object is not a snapshot; wrap rows in a list or "
                                "an object of tables")
            raise UserError(f"{path}: table '{name}' must be a list of rows, got {argpages.json_type(rows)}")
        lower = _check_rows(path, rows, name)
        tables.append((name.lower(), rows if lower else _lower_types(rows), None))
    return tables, header, None


def bare(path: str, rows: list) -> tuple[list[tuple[str, list, list]], None, str | None]:
    """A bare array or JSON Lines: ARG rows, or ARM resource bodies given the ARG columns their ids imply."""
    shape = armbodies.SHAPE if armbodies.derive(path, rows) else None  # first: it may retype resource groups
    return _route(path, rows), None, shape


def _route(path: str, rows: list) -> list[tuple[str, list, list]]:
    """Rows without a table go where ARG keeps their type; each keeps its position in the file."""
    lower = _check_rows(path, rows, None)
    buckets: dict[str, tuple[list, list]] = {}
    for i, row in enumerate(rows if lower else _lower_types(rows)):
        rows_at = buckets.setdefault(table_for_type(row.get("type", "")), ([], []))
        rows_at[0].append(row)
        rows_at[1].append(i)
    return [(table, rs, at) for table, (rs, at) in buckets.items()]


def table_for_type(rtype: str) -> str:
    if rtype in _CONTAINER_TYPES:
        return "resourcecontainers"
    if rtype.startswith(_DNS_PREFIXES) and rtype not in _DNS_EXCLUDE:
        return "dnsresources"
    if rtype == APPLIANCE_TYPE:
        return "appliance"
    return "resources"


def _lower_types(rows: list) -> list:
    for i, row in enumerate(rows):
        t = row.get("type")
        if t.__class__ is str and t.islower():
            continue
        if isinstance(t, str):
            row = dict(row)  # copy-on-write: the caller's parsed object stays as it was read
            row["type"] = t.lower()
            rows[i] = row
    return rows


def _check_rows(path: str, rows: list, table: str | None) -> bool:
    """Refuse rows that are not ARG rows; True when every row's type is a lower-case string already (then
    _lower_types has nothing to do)."""
    where = f" table '{table}'" if table else ""
    cli_shapes = table in (None, "resources", "resourcecontainers", "dnsresources")
    lower = True
    for n, row in enumerate(rows):
        if row.__class__ is dict and "Properties" not in row and "ResourceId" not in row:
            rtype = row.get("type")
            if rtype.__class__ is str and (not cli_shapes or row.get("properties") is not None):
                lower = lower and rtype.islower()
                continue  # an ARG row: the common case, answered with the fewest lookups
        lower = False
        if not isinstance(row, dict):
            raise UserError(f"{path}:{where} row {n}: expected an object, got {argpages.json_type(row)}")
        if "Properties" in row or "ResourceId" in row:
            raise UserError(f"{path}:{where} row {n}: PowerShell Get-AzResource shape (PascalCase 'Properties'); "
                            "export ARG rows with Search-AzGraph or `az graph query` instead")
        if row.get("properties") is None and cli_shapes:
            _refuse_cli_shape(path, where, n, row)
        rtype = row.get("type")
        if table is None and not isinstance(rtype, str):
            if rtype is None:
                raise UserError(f"{path}: row {n}: no 'type', so it cannot be routed to an ARG table")
            raise UserError(f"{path}: row {n}: 'type' is {argpages.json_type(rtype)}, not a resource type string")
        if isinstance(rtype, (list, dict)):
            # ARG types are strings; a list or object here is not an export (and cannot be partitioned by type)
            raise UserError(f"{path}:{where} row {n}: 'type' is {argpages.json_type(rtype)}, not a resource type string")
    return lower


def _refuse_cli_shape(path: str, where: str, n: int, row: dict) -> None:
    """A row without properties (or with `"properties": null`, as `az resource list` writes) that carries keys
    ARG keeps inside `properties` is Azure CLI output, whose rules would all read absent properties."""
    flat = [k for k in FLATTENED_HINTS if k in row]
    if not flat:
        return
    shown = ", ".join(flat[:3])
    what = (f"'properties' is null and {shown} sit at the top level — this is `az resource list` output"
            if "properties" in row else
            f"properties are flattened to the top level ({shown}) — this is `az resource list`/`az ... show` output")
    raise UserError(f"{path}:{where} row {n} ({row.get('id', '?')}): {what}, not ARG rows; export with "
                    "`az graph query -q ... -o json` or `argus collect`")
