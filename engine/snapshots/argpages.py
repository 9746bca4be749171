"""ARG response pages -> the rows they hold, refusing pages that are malformed or do not add up to the result.

In: the pages of one query as parsed JSON (ARG REST/SDK responses, `az graph query -o json` output): `data` as an
array of row objects or as the `{columns, rows}` table form, with `$skipToken`/`skip_token`,
`totalRecords`/`total_records`, `count` and `resultTruncated`. Out: the rows of all pages, in order; or a
UserError naming the file, page and what is wrong. A list of pages must be one query's pages in order: every
page but the last has a skip token, the totals agree, each page's `count` is the rows it holds, and all pages
together hold `totalRecords` rows. Anything less would evaluate part of an estate as if it were all of it.
"""

from __future__ import annotations

from argus.errors import UserError
from argus.language.values import json_text

_ONE_FILE = "put every page of the query in this one file, as a JSON array of pages in order, or use `argus collect`"


def is_page(value) -> bool:
    """An ARG response page: an object with `data`. A row (it has a `type`) never is one."""
    return isinstance(value, dict) and "data" in value and "type" not in value


def json_type(value) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (dict, "an object"), (list, "an array"), (str, "a string"),
                       ((int, float), "a number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def rows_of(path: str, pages: list) -> list:
    """The rows of all pages, after checking that they are whole (see the module docstring)."""
    rows: list = []
    for n, page in enumerate(pages, 1):
        if not is_page(page):
            raise UserError(f"{path}: element {n - 1} of the list of pages is not a page: expected an object "
                            f"with 'data', got {json_type(page)}")
        if _truncated(path, n, page.get("resultTruncated", page.get("result_truncated"))):
            raise UserError(f"{path}: page {n} says resultTruncated: true — ARG cut this result; re-run the query "
                            "with paging (argus collect does) instead of evaluating a partial snapshot")
        held = _page_rows(path, n, page["data"])
        count = page.get("count")
        if _is_int(count) and count != len(held):
            raise UserError(f"{path}: page {n} says count {count} but holds {_rows(len(held))}: the page was cut; "
                            "export it again")
        rows.extend(held)
    _check_complete(path, pages, len(rows))
    return rows


def _truncated(path: str, n: int, flag) -> bool:
    """Whether a page says ARG cut the result. The REST API writes "true"/"false", SDKs and hand-made exports
    true, 1 or "True": every truthy spelling is truncated, and a value that is none of them is not guessed at."""
    if flag is None or isinstance(flag, (bool, int, float)):
        return bool(flag)
    if isinstance(flag, str) and flag.strip().lower() in ("true", "1", "false", "0", ""):
        return flag.strip().lower() in ("true", "1")
    shown = repr(flag) if isinstance(flag, str) else json_text(flag, compact=True)
    raise UserError(f"{path}: page {n} says resultTruncated: {shown[:80]}, which is neither true nor false")


def _check_complete(path: str, pages: list, held: int) -> None:
    for n, page in enumerate(pages[:-1], 1):
        if not _token(page):
            raise UserError(f"{path}: page {n} of {len(pages)} has no skip token, yet more pages follow: a list of "
                            "pages must be the pages of one query, in order; put the results of different queries "
                            "in different files")
    totals = [(n, t) for n, t in ((n, _total(p)) for n, p in enumerate(pages, 1)) if t is not None]
    for n, total in totals[1:]:
        if total != totals[0][1]:
            raise UserError(f"{path}: page {n} says totalRecords {total} but page {totals[0][0]} says "
                            f"{totals[0][1]}: these are not the pages of one query")
    total = totals[0][1] if totals else None
    of = f" of {total}" if total is not None else ""
    if _token(pages[-1]):
        raise UserError(f"{path}: incomplete export: {_rows(held)}{of} with more pages to fetch (skip token set "
                        f"on the last page); {_ONE_FILE}")
    if total is not None and held < total:
        raise UserError(f"{path}: incomplete export: {_rows(held)} of {total} (totalRecords) and no skip token "
                        f"on the last page, so pages are missing; {_ONE_FILE}")


def _page_rows(path: str, n: int, data) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "columns" in data and "rows" in data:
        return _table_rows(path, n, data["columns"], data["rows"])
    raise UserError(f"{path}: page {n}: 'data' must be an array of rows or a {{columns, rows}} table, "
                    f"got {json_type(data)}")


def _table_rows(path: str, n: int, columns, rows) -> list:
    """The `{columns, rows}` table form (REST `resultFormat: table`) as row objects."""
    if not isinstance(columns, list):
        raise UserError(f"{path}: page {n}: data.columns must be an array of {{name, type}} objects, "
                        f"got {json_type(columns)}")
    names = []
    for i, column in enumerate(columns):
        name = column.get("name") if isinstance(column, dict) else None
        if not isinstance(name, str):
            got = "one without a string 'name'" if isinstance(column, dict) else json_type(column)
            raise UserError(f"{path}: page {n}: data.columns[{i}] must be an object with a 'name' "
                            f"({{\"name\": \"id\", \"type\": \"string\"}}), got {got}")
        names.append(name)
    if not isinstance(rows, list):
        raise UserError(f"{path}: page {n}: data.rows must be an array of rows, got {json_type(rows)}")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            got = f"{len(row)} value{'s' * (len(row) != 1)}" if isinstance(row, list) else json_type(row)
            raise UserError(f"{path}: page {n}: data.rows[{i}] must be an array of one value per column "
                            f"({len(names)}), got {got}")
    return [dict(zip(names, row)) for row in rows]


def _token(page: dict):
    return page.get("$skipToken") or page.get("skip_token") or page.get("skipToken")


def _total(page: dict):
    total = page.get("totalRecords", page.get("total_records"))
    return total if _is_int(total) else None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rows(n: int) -> str:
    return f"{n} row{'s' * (n != 1)}"
