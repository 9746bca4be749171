"""ARM resource bodies -> ARG rows: the columns ARG adds to a resource, derived from its id.

In: the rows of a bare array or JSON Lines file. ARM GET bodies (`az resource show`, `az rest`, the REST API,
and tools that save those) carry `id`, `name`, `type`, `location`, `properties`... but none of the columns ARG
adds, so every rule reading `subscriptionId` or `resourceGroup` would be `not_evaluated`. Out: each body (a row
without subscriptionId, resourceGroup and tenantId, whose `id` is an ARM resource id) copied with
`subscriptionId` and `resourceGroup` as ARG has them: `resourceGroup` lower-cased, except on a resource group's
own row (the resourcecontainers table keeps its name as written), empty for subscription-level resources and
management groups; a resource group's ARM type `Microsoft.Resources/resourceGroups` becomes ARG's
`microsoft.resources/subscriptions/resourcegroups`. `tenantId` is not in an id, so it stays absent. In a file
holding ARM bodies, a row with neither ARG columns nor an ARM id is refused. `spec_example` refuses an Azure
REST API spec example file, naming what it is.
"""

from __future__ import annotations

from argus.snapshots.argpages import json_type
from argus.errors import UserError

SHAPE = "arm-bodies"
_COLUMNS = ("subscriptionId", "resourceGroup", "tenantId")  # ARG writes all three on every row; ARM none
_MANAGEMENT_GROUP = "/providers/microsoft.management/managementgroups/"
_ARM_GROUP_TYPE = "microsoft.resources/resourcegroups"
_ARG_GROUP_TYPE = "microsoft.resources/subscriptions/resourcegroups"
_FACTS = "argus/"


def derive(path: str, rows: list) -> bool:
    """Give the ARM bodies among `rows` their ARG columns (each such row is replaced by a copy, as the parsed
    document stays as it was read); True when there was one, and then every row must be an ARG row or a body."""
    found = False
    for i, row in enumerate(rows):
        if isinstance(row, dict) and not any(c in row for c in _COLUMNS):
            columns = _columns(row.get("id"))
            if columns is not None:
                rows[i] = _with_columns(row, *columns)
                found = True
    if found:
        for n, row in enumerate(rows):
            if isinstance(row, dict) and not any(c in row for c in _COLUMNS) and not _is_facts(row):
                rid = row.get("id")
                what = "no 'id'" if rid is None else f"'id' is {rid!r}" if isinstance(rid, str) else \
                    f"'id' is {json_type(rid)}"
                raise UserError(f"{path}: row {n}: neither ARG columns (subscriptionId, resourceGroup, tenantId) "
                                f"nor an ARM resource id ({what}); the other rows are ARM resource bodies")
    return found


def _is_facts(row: dict) -> bool:
    """argus' own facts rows (type `argus/...`, such as the appliance table's) are not Azure resources."""
    rtype = row.get("type")
    return isinstance(rtype, str) and rtype.casefold().startswith(_FACTS)


def _columns(rid) -> tuple[str, str] | None:
    """(subscription, resource group as written) of an ARM resource id, or None when `rid` is not one."""
    if not isinstance(rid, str):
        return None
    if rid.casefold().startswith(_MANAGEMENT_GROUP):
        return "", ""
    from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id  # azure-core: ARM bodies only
    if not is_valid_resource_id(rid):
        return None
    parts = parse_resource_id(rid)
    return parts.get("subscription", ""), parts.get("resource_group", "")


def _with_columns(row: dict, subscription: str, group: str) -> dict:
    out = dict(row)
    rtype = out.get("type")
    own_group = isinstance(rtype, str) and rtype.casefold() in (_ARM_GROUP_TYPE, _ARG_GROUP_TYPE)
    if own_group:
        out["type"] = _ARG_GROUP_TYPE
    out["subscriptionId"] = subscription
    out["resourceGroup"] = group if own_group else group.lower()
    return out


def spec_example(path: str, doc: dict) -> None:
    """Refuse an Azure REST API spec example (`{"parameters": ..., "responses": ...}`): its tables are not rows."""
    if isinstance(doc.get("parameters"), dict) and isinstance(doc.get("responses"), dict):
        raise UserError(f"{path}: an Azure REST API spec example, not a snapshot: it holds a request's 'parameters' "
                        "and its 'responses'; the resource is responses.200.body (an ARM resource body, or a list "
                        "of them under 'value'): put such bodies in a JSON array to scan them")
