"""Appliance facts rows checked on snapshot load against engine/schemas/appliance-facts.schema.json.

In: a snapshot file's name and the rows it puts in the `appliance` table (with their positions in the file).
Out: nothing, or a UserError naming the file, the row and the schema's complaint. A row of the wrong shape
(`"enabled": "true"`, an unknown `kind`) would otherwise turn the appliance rules to skip and the scan green.
"""

from __future__ import annotations


from .errors import UserError

SCHEMA_NAME = "appliance-facts.schema.json"
ROW_POINTER = "#/$defs/row"


def _validator():
    from .validation import validator  # only snapshots with appliance facts pay for jsonschema's import
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
        where = f" row {positions[i]}" if positions is not None else f" table 'appliance' row {i}"
        rid = row.get("id") if isinstance(row, dict) and isinstance(row.get("id"), str) else None
        at = "/".join(str(p) for p in error.absolute_path) or "(the row)"
        raise UserError(f"{path}:{where}{f' ({rid})' if rid else ''}: {at}: {error.message} "
                        f"(schema {SCHEMA_NAME}{ROW_POINTER})")
