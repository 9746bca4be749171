"""What-if overlay: the snapshot as a deployment would leave it.

In: a Snapshot (the estate now) and the what-if results of a deployment (argus.deployment.whatif_load). Out: an `Overlay`
whose `after` is a new Snapshot: `Create`, `Modify` and `Deploy` put the change's `after` body in place of the
row (or add it), with the ARG columns derived from the id (argus.snapshots.armbodies) and the type lower-cased; `Delete`
removes the row and the resources inside it; `NoChange` and `Ignore` keep the row as it is. A child resource
that ARG keeps inside its parent (a route filter's rules, a VNet's subnets and peerings...) is changed inside
the parent's row, as ARG would show it after the deployment.

What the preview could not predict is never applied as a guess (argus.language.unresolved): an `Unsupported` change, a
Create/Modify/Deploy without a body (ResourceIdOnly results), and, when the diagnostics say nested templates
were not expanded, every `Ignore`: such a row keeps its identity columns and nothing else is readable, so rules
reading it are not_evaluated with the reason; an unresolved template expression in a body makes that one value
unknown. Potential changes (api-version 2024-11-01) are applied only when asked; the overlay lists them, the
unpredicted values, the changes it could not place, and the subscriptions the snapshot did not cover.
Each changed row's origin is the change: the what-if file, the change's index, JSON pointer, line and type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from argus.snapshots import armbodies
from argus.model import Origin
from argus.snapshots.documents import table_for_type
from argus.snapshots.snapshot import Snapshot
from argus.language.unresolved import Marked, marked, mark_body, without_element
from argus.language.functions import type_of_id
from argus.language.values import Partial, partial
from argus.deployment.whatif_load import Change, WhatIf

# Child resource types ARG does not list as rows: they are an array inside the parent's properties.
EMBEDDED = {
    "microsoft.network/routefilters/routefilterrules": "rules",
    "microsoft.network/virtualnetworks/subnets": "subnets",
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": "virtualNetworkPeerings",
    "microsoft.network/expressroutecircuits/peerings": "peerings",
    "microsoft.network/expressroutecircuits/authorizations": "authorizations",
    "microsoft.network/networksecuritygroups/securityrules": "securityRules",
    "microsoft.network/routetables/routes": "routes",
    "microsoft.storage/storageaccounts/privateendpointconnections": "privateEndpointConnections",
}
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ChangeOrigin(Origin):
    """A row the overlay changed: it comes from a what-if change, not from a snapshot file."""

    pointer: str = ""
    line: int | None = None
    change_type: str = ""

    def to_dict(self) -> dict:
        out = {"file": self.file, "index": self.index, "table": self.table, "pointer": self.pointer,
               "change_type": self.change_type}
        if self.line:
            out["line"] = self.line
        return out


@dataclass
class OverlaySnapshot(Snapshot):
    """The estate after the deployment: unchanged rows are the base snapshot's own, so they keep its origins."""

    base: Snapshot | None = None
    changed: dict = field(default_factory=dict)  # id(row) -> ChangeOrigin

    def origin(self, row):
        found = self.changed.get(id(row))
        return found if found is not None else self.base.origin(row)


@dataclass
class Overlay:
    after: OverlaySnapshot
    applied: dict = field(default_factory=dict)       # change type -> count, over every what-if file
    unpredicted: list = field(default_factory=list)   # {resource, reason, file, pointer, line, change_type}
    not_applied: list = field(default_factory=list)   # potential changes, extension resources, orphan children
    uncovered: list = field(default_factory=list)     # {scope, changes}: subscriptions the snapshot lacks
    files: list = field(default_factory=list)         # the WhatIf results applied
    potential_applied: bool = False


def build(snap: Snapshot, whatifs: list[WhatIf], apply_potential: bool = False) -> Overlay:
    state = _State(snap)
    for w in whatifs:
        changes = w.changes + (w.potential if apply_potential else [])
        # parents before the children ARG keeps inside them, so a child's change lands in the parent's new body
        for change in sorted(changes, key=lambda c: type_of_id(c.resource_id or "") in EMBEDDED):
            state.apply(w, change)
        if not apply_potential:
            state.overlay.not_applied += [_entry(w, c, "a potential change (applied with --what-if-potential)")
                                          for c in w.potential]
    state.overlay.files, state.overlay.potential_applied = list(whatifs), apply_potential
    return state.result()


class _State:
    def __init__(self, snap: Snapshot):
        self.snap = snap
        self.tables = {name: list(rows) for name, rows in snap.tables.items()}
        self.where: dict[str, tuple[str, int]] = {}
        self.tenants: dict[str, str] = {}
        for name, rows in self.tables.items():
            for i, row in enumerate(rows):
                rid = row.get("id")
                if isinstance(rid, str):
                    self.where.setdefault(rid.casefold(), (name, i))
                sub, tenant = row.get("subscriptionId"), row.get("tenantId")
                if isinstance(sub, str) and isinstance(tenant, str) and sub:
                    self.tenants.setdefault(sub.casefold(), tenant)
        self.covered = set(self.tenants) | {s.casefold() for rows in self.tables.values() for r in rows
                                            if isinstance(s := r.get("subscriptionId"), str) and s}
        self.overlay = Overlay(OverlaySnapshot(base=snap, coverage=snap.coverage, files=list(snap.files)))
        self.scopes: dict[str, int] = {}

    # ---- one change
    def apply(self, w: WhatIf, c: Change) -> None:
        if c.extension is not None:
            self.overlay.not_applied.append(_entry(w, c, f"a resource of the Bicep extension {c.extension}, not "
                                                         "an Azure resource"))
            return
        self._count_scope(c.resource_id)
        kind = c.change_type
        if kind == "NoChange" or (kind == "Ignore" and w.stopped is None):
            return
        self.overlay.applied[kind] = self.overlay.applied.get(kind, 0) + 1
        origin = ChangeOrigin(w.path, c.index, "resources", c.pointer, c.line, kind)
        if kind == "Delete":
            self._delete(c.resource_id, origin)
        elif kind == "Ignore":
            self._unknown(w, c, origin, f"what-if stopped expanding nested templates ({w.stopped}), so Ignore "
                                        "does not mean untouched")
        elif kind == "Unsupported":
            self._unknown(w, c, origin, c.unsupported_reason or "what-if gives no reason")
        elif c.after is None:
            self._unknown(w, c, origin, "no predicted body: a ResourceIdOnly result")
        else:
            self._put(w, c, origin)

    def _put(self, w: WhatIf, c: Change, origin: ChangeOrigin) -> None:
        rid = c.resource_id
        body = {k: v for k, v in c.after.items() if k != "apiVersion"}  # the template's API version, not ARG data
        same = isinstance(body.get("id"), str) and body["id"].casefold() == rid.casefold()
        body["id"] = body["id"] if same else rid  # the change's resource id is what the row is found by
        body.setdefault("name", rid.rstrip("/").rsplit("/", 1)[-1])
        body["type"] = (body["type"] if isinstance(body.get("type"), str) else type_of_id(rid)).lower()
        found: list = []
        row = mark_body(self._arg_row(body), rid, f"{w.path} {c.pointer}/after", found)
        for pointer, expression in found:
            self.overlay.unpredicted.append({**_entry(w, c, "an unresolved template expression"),
                                             "pointer": pointer.split(" ", 1)[1], "expression": expression})
        if not self._in_parent(w, c, origin, lambda items: _replaced(items, row)):
            self._place(rid, row, origin)

    def _unknown(self, w: WhatIf, c: Change, origin: ChangeOrigin, why: str) -> None:
        """The row (or the parent's child) is there after the deployment, but nothing of it beyond its identity
        is known: the current row's values are kept for the record, never read as the prediction."""
        rid = c.resource_id
        self.overlay.unpredicted.append(_entry(w, c, why))
        said = f"({c.change_type} at {w.where(c)}: {why})"
        if self._in_parent(w, c, origin, lambda items: without_element(
                items, rid, f"what-if could not predict a child resource {said}", _parent_of(rid))):
            return
        current = self._row(rid)
        data = dict(current) if current is not None else self._arg_row(
            {"id": rid, "name": rid.rstrip("/").rsplit("/", 1)[-1], "type": type_of_id(rid)})
        self._place(rid, marked(data, rid, whole=f"what-if could not predict this resource {said}"), origin)

    def _delete(self, rid: str, origin: ChangeOrigin) -> None:
        key = rid.casefold()
        inside = key.rstrip("/") + "/"
        for name, rows in self.tables.items():  # the resource, its children and the extension resources on it
            for i, row in enumerate(rows):
                other = row.get("id") if row is not None else None
                if isinstance(other, str) and (other.casefold() == key or other.casefold().startswith(inside)):
                    rows[i] = None
        self._in_parent(None, None, origin, lambda items: _replaced(items, None, rid), rid=rid)

    # ---- rows and the children kept inside them
    def _in_parent(self, w, c, origin, edit, rid: str | None = None) -> bool:
        """Apply `edit` to the parent's array holding this child, if ARG keeps the child there; True when it
        did. A child whose parent is neither in the snapshot nor created by the deployment is reported."""
        rid = rid or c.resource_id
        prop = EMBEDDED.get(type_of_id(rid))
        if prop is None:
            return False
        parent_id = _parent_of(rid)
        parent = self._row(parent_id)
        if parent is None:
            if c is not None and self._row(rid) is None:
                self.overlay.not_applied.append(_entry(w, c, f"its parent {parent_id} is not in the snapshot"))
                return True
            return False
        props = parent.get("properties")
        props = props if isinstance(props, dict) else {}
        new_props = _like(props, {**props, prop: edit(props.get(prop))})
        self._place(parent_id, _like(parent, {**parent, "properties": new_props}), origin)
        return self._row(rid) is None  # a snapshot that also holds the child as a row gets that row changed too

    def _row(self, rid: str):
        at = self.where.get(rid.casefold())
        return None if at is None else self.tables[at[0]][at[1]]

    def _place(self, rid: str, row: dict, origin: ChangeOrigin) -> None:
        at = self.where.get(rid.casefold())
        if at is None or self.tables[at[0]][at[1]] is None:
            table = table_for_type(row["type"]) if isinstance(row.get("type"), str) else "resources"
            rows = self.tables.setdefault(table, [])
            at = self.where[rid.casefold()] = (table, len(rows))
            rows.append(row)
        else:
            self.tables[at[0]][at[1]] = row
        self.overlay.after.changed[id(row)] = ChangeOrigin(origin.file, origin.index, at[0], origin.pointer,
                                                          origin.line, origin.change_type)

    def _arg_row(self, body: dict) -> dict:
        rows = [body]
        if not armbodies.derive("what-if", rows):  # not an id azure-mgmt-core parses: no columns to derive
            rows[0] = {**body, "subscriptionId": "", "resourceGroup": ""}
        row = rows[0]
        tenant = self.tenants.get(str(row.get("subscriptionId", "")).casefold())
        if tenant and "tenantId" not in row:
            row["tenantId"] = tenant  # the subscription's tenant, as ARG writes it on every row
        return row

    def _count_scope(self, rid: str) -> None:
        found = _SUBSCRIPTION.match(rid)
        if found and found.group(1).casefold() not in self.covered:
            scope = f"/subscriptions/{found.group(1)}"
            self.scopes[scope] = self.scopes.get(scope, 0) + 1

    def result(self) -> Overlay:
        after = self.overlay.after
        for name, rows in self.tables.items():
            after.add(name, [r for r in rows if r is not None], 0, None, "what-if")
        self.overlay.uncovered = [{"scope": s, "changes": n} for s, n in sorted(self.scopes.items())]
        return self.overlay


def _entry(w: WhatIf, c: Change, reason: str) -> dict:
    out = {"resource": c.resource_id or c.extension or "", "change_type": c.change_type, "reason": reason,
           "file": w.path, "pointer": c.pointer}
    if c.line:
        out["line"] = c.line
    return out


def _replaced(items, row: dict | None, rid: str | None = None) -> list:
    """An embedded array with the child `row` put in place of its namesake (appended when new), or, with
    row None, the child `rid` removed."""
    key = (rid or row["id"]).casefold()
    items = items if isinstance(items, list) else []
    kept = [x for x in items if not (isinstance(x, dict) and str(x.get("id", "")).casefold() == key)]
    if row is not None:
        child = {k: v for k, v in row.items() if k not in ("subscriptionId", "resourceGroup", "tenantId")}
        position = next((i for i, x in enumerate(items) if isinstance(x, dict)
                         and str(x.get("id", "")).casefold() == key), len(kept))
        kept.insert(position, _like(row, child))
    # another child of the same parent that what-if could not predict stays unknown
    return partial(kept, items.missing, items.extra) if isinstance(items, Partial) else kept


def _like(original, data: dict) -> dict:
    """`data` as the same kind of dict as `original`: a marked container stays marked."""
    if type(original) is Marked:
        return marked(data, original.resource, original.reasons, original.whole)
    return data


def _parent_of(rid: str) -> str:
    return rid.rstrip("/").rsplit("/", 2)[0]
