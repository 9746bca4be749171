"""Appliance facts rows checked on snapshot load against engine/schemas/appliance-facts.schema.json.

In: a snapshot file's name and the rows it puts in the `appliance` table (with their positions in the file).
Out: nothing, or an E411 diagnostic at the row's opening brace naming the row and the schema's complaint (a
UserError saying the same when the row cannot be found in a file: a document built in memory, ARG's table form).
A row of the wrong shape (`"enabled": "true"`, an unknown `kind`) would otherwise turn the appliance rules to skip
and the scan green.
"""

from __future__ import annotations

from argus.diagnostics import at, located
from argus.errors import UserError

SCHEMA_NAME = "appliance-facts.schema.json"
ROW_POINTER = "#/$defs/row"


def _validator():
    from argus.validation import validator
    return validator(SCHEMA_NAME, ROW_POINTER.rsplit("/", 1)[1])


def check(path: str, rows: list, positions: list[int] | None) -> None:
    """Refuse the first appliance row that does not fit the schema's row definition."""
    from jsonschema.exceptions import best_match

    validator = _validator()
    for i, row in enumerate(rows):
        error = best_match(validator.iter_errors(row))
        if error is None:
            continue
        # positions: routed rows (a bare array, JSON Lines) carry their index in the file; a table keeps its own
        table, index = (None, positions[i]) if positions is not None else ("appliance", i)
        rid = row.get("id") if isinstance(row, dict) and isinstance(row.get("id"), str) else None
        field = "/".join(str(p) for p in error.absolute_path) or "(the row)"
        where = f"table 'appliance' row {index}" if table else f"row {index}"
        message = (f"{where}{f' ({rid})' if rid else ''}: {field}: "
                   f"{error.message} (schema {SCHEMA_NAME}{ROW_POINTER})")
        raise _refusal(path, table, index, message)


def _refusal(path: str, table: str | None, index: int, message: str) -> Exception:
    """The row's refusal at its place in the file, found only now (a valid file pays nothing for it)."""
    from argus.snapshots import rowpos
    place = rowpos.row_start(path, table, index)
    if place is None:
        return UserError(f"{path}: {message}")
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    return located("E411", at(path, *place), message, text)
