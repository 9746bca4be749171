"""Where a finding points in the files a user has: the subject's row in its snapshot file, the change in a what-if
file, else the rule's own line.

In: a report document's findings and snapshot paths, and a repository root (optional). Out: `Locator` (SARIF
artifact locations: repository-relative URIs on the `%SRCROOT%` base inside the root, else file URIs; rows found
through the load's anchors or one sweep of the file, argus.snapshots.rowpos, each file read once and only when asked),
`primary_location` (a finding's physical and logical location), `positions` (the same as plain (path, line,
column) for the CI annotation formats, so they point where SARIF does) and `find_repo_root`. Shared by the
formats through the report document, as argus.reports.present is.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from argus.snapshots import rowpos

SRCROOT = "%SRCROOT%"


_ID_KEY = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)


def find_repo_root(start: str | None = None) -> str:
    """The top of the git work tree holding ``start`` (default: the working directory), else ``start``:
    the base that makes snapshot and rule paths repository-relative."""
    here = Path(start or os.getcwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / ".git").exists():  # a directory, or a file in worktrees and submodules
            return str(directory)
    return str(here)


def positions(doc: dict):
    """Where each finding's result points, as a function of the finding giving (file path as the report has
    it, line, column or None): the subject's row in its snapshot file, else the rule's line. The CI
    annotation formats (argus.reports.cicommands) point where SARIF does."""
    locator = Locator(None, [s["path"] for s in doc["run"]["snapshots"]], doc["findings"])
    locator.artifact = lambda path: {"uri": path}  # the path itself: annotations name files, not URIs

    def position(finding: dict) -> tuple[str, int, int | None]:
        physical = primary_location(finding, locator)["physicalLocation"]
        return physical["artifactLocation"]["uri"], physical["region"]["startLine"], physical["region"].get("startColumn")
    return position


def primary_location(finding: dict, locator: Locator) -> dict:
    subject_id = finding["subject"]["id"]
    source = finding.get("source")
    if source and source.get("line"):  # a row a what-if changed: the line of the change in the what-if file
        physical = locator.physical(source["file"], source["line"], None)
    elif source:
        line, column = locator.row_of(source, subject_id) or (1, None)
        physical = locator.physical(source["file"], line, column)
    else:  # a finding about the rule or snapshot as a whole: anchor it at the rule
        rule_file = finding["rule_location"]["file"] or locator.fallback_file()
        physical = locator.physical(rule_file, max(finding["rule_location"]["line"], 1), None)
    location = {"physicalLocation": physical}
    if subject_id:
        location["logicalLocations"] = [{"name": finding["subject"]["name"] or subject_id,
                                         "fullyQualifiedName": subject_id, "kind": "resource"}]
    return location


class Locator:
    """Where ids sit in snapshot files, and how file paths become SARIF artifact locations."""

    def __init__(self, repo_root: str | None, snapshot_paths: list[str], findings=()) -> None:
        self._root = Path(repo_root).resolve() if repo_root else None
        self._snapshots = snapshot_paths
        self._files: dict[str, object | None] = {}
        self._wanted: dict[str, list] = {}  # file -> the (table, index) of the subjects' rows, found in one sweep
        for f in findings:
            source = f.get("source")
            if source and not source.get("line") and isinstance(source.get("index"), int):
                self._wanted.setdefault(source["file"], []).append((source.get("table"), source["index"]))

    def line_of(self, path: str, resource_id: str) -> tuple[int, int] | None:
        index = self._index(path)
        return index.find(resource_id) if index and resource_id else None

    def row_of(self, source: dict, resource_id: str) -> tuple[int, int] | None:
        """The subject's own row: where the finding's source says it is, else wherever its id is."""
        index = self._index(source["file"])
        if not index or not resource_id:
            return None
        if hasattr(index, "row") and isinstance(source.get("index"), int):
            return index.row(source.get("table"), source["index"], resource_id) or index.find(resource_id)
        return index.find(resource_id)

    def related(self, resource_id: str, source: dict | None) -> dict | None:
        """The related resource's own row in any snapshot file, else its mention in the subject's file."""
        for path in self._snapshots:
            index = self._index(path)
            position = index and index.find_row(resource_id)
            if position:
                return self.physical(path, *position)
        position = source and self.line_of(source["file"], resource_id)
        return self.physical(source["file"], *position) if position else None

    def unreadable(self) -> list[str]:
        return [path for path, index in self._files.items() if index is None]

    def fallback_file(self) -> str:
        return self._snapshots[0] if self._snapshots else "."

    def physical(self, path: str, line: int, column: int | None) -> dict:
        region = {"startLine": line}
        if column:
            region["startColumn"] = column
        return {"artifactLocation": self.artifact(path), "region": region}

    def artifact(self, path: str) -> dict:
        candidate = Path(path)
        if self._root is not None:
            resolved = candidate.resolve()
            try:
                return {"uri": quote(resolved.relative_to(self._root).as_posix()), "uriBaseId": SRCROOT}
            except ValueError:  # outside the repository: only an absolute URI names it unambiguously
                return {"uri": resolved.as_uri()}
        if candidate.is_absolute():
            return {"uri": candidate.as_uri()}
        return {"uri": quote(candidate.as_posix())}

    def _index(self, path: str):
        """The file's rows (argus.snapshots.rowpos: one sweep, nothing kept but the rows asked for), else its text."""
        if path not in self._files:
            index = rowpos.open_file(path)
            if index is not None:
                index.prepare(self._wanted.get(path, ()))
            else:
                try:
                    text = Path(path).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = None  # moved or unreadable: the result still gets a location, at line 1
                index = IdIndex(text) if text is not None else None
            self._files[path] = index
        return self._files[path]


class IdIndex:
    """One file's text with the position of every `"id": "..."` key, found in a single pass.

    An id also appears as a reference inside other rows (`"routeFilter": {"id": ...}`); the row's own
    `id` key is the least indented (pretty-printed JSON) or nearest the line start (JSON Lines), so the
    occurrence with the smallest column wins, the first one among equals.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        # lower() keeps offsets only for ASCII text, where it makes the fallback search a plain find
        self._folded = text.lower() if text.isascii() else None
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._rows: dict[str, tuple[int, int]] = {}
        for match in _ID_KEY.finditer(text):
            value = match.group(1)
            if "\\" in value:
                try:
                    value = json.loads(f'"{value}"')
                except ValueError:
                    pass
            line, column = self._position(match.start())
            key = value.casefold()
            if key not in self._rows or column < self._rows[key][1]:
                self._rows[key] = (line, column)

    def find_row(self, resource_id: str) -> tuple[int, int] | None:
        return self._rows.get(resource_id.casefold())

    def find(self, resource_id: str) -> tuple[int, int] | None:
        """The row whose id is ``resource_id``, else the first mention of it anywhere (any case)."""
        found = self.find_row(resource_id)
        if found:
            return found
        if self._folded is not None and resource_id.isascii():
            offset = self._folded.find(resource_id.lower())
            return self._position(offset) if offset >= 0 else None
        match = re.search(re.escape(resource_id), self._text, re.IGNORECASE)
        return self._position(match.start()) if match else None

    def _position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1
