"""Scan history in SQLite and its trend (the `argus history DB` command is argus.commands.historycmd).

In: report documents (append, called by `argus scan --history DB`); for the trend, the DB path and
options. Out: rows in the DB (one `scans` row with the run header, one `findings` row per finding), and
the trend: problem counts (fail, warn, error, not_evaluated by default) per severity and per rule for
each recorded scan, as text, JSON, or a chart (PNG, or HTML with the chart inline and the tables).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from argus import lazyimport
from argus.state.baseline import TRACKED
from argus.diagnostics import did_you_mean
from argus.errors import UserError, atomic_write, is_stream, write_target
from argus.model import SEVERITIES

sqlite3 = lazyimport.module("sqlite3")  # only a scan that records, and `argus history`, open the DB

SCHEMA_VERSION = 1
# critical reads as the most severe: the darkest red, then red, orange, amber; low and info step back
_SEVERITY_COLOR = {"critical": "#7f0000", "high": "#e53935", "medium": "#fb8c00", "low": "#fbc02d", "info": "#9e9e9e"}
_DDL = """
CREATE TABLE scans (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  collected_at TEXT,
  policy TEXT,
  engine_version TEXT NOT NULL,
  total INTEGER NOT NULL,
  run_digest TEXT NOT NULL UNIQUE,  -- the same report recorded twice would double every count
  run_json TEXT NOT NULL
);
CREATE TABLE findings (
  scan_id INTEGER NOT NULL REFERENCES scans(id),
  rule_id TEXT NOT NULL,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  subject_name TEXT NOT NULL,
  subject_type TEXT NOT NULL,
  message TEXT NOT NULL,
  waived INTEGER NOT NULL,
  baseline_state TEXT
);
CREATE INDEX findings_by_scan ON findings(scan_id, status);
"""


def append(db_path: str, doc: dict) -> None:
    """Record one scan (run header and findings) in the history DB, creating the DB if needed."""
    run_json = json.dumps(doc["run"], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(run_json.encode()).hexdigest()
    try:
        with closing(sqlite3.connect(db_path, timeout=30)) as conn, conn:
            _prepare(conn, db_path)
            if conn.execute("SELECT 1 FROM scans WHERE run_digest = ?", (digest,)).fetchone():
                raise UserError(f"{db_path}: this scan ({doc['run']['started_at']}) is already recorded")
            run = doc["run"]
            cursor = conn.execute(
                "INSERT INTO scans (started_at, finished_at, collected_at, policy, engine_version, total,"
                " run_digest, run_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run["started_at"], run["finished_at"], run.get("collected_at"), run.get("policy"),
                 run["engine"]["version"], len(doc["findings"]), digest, run_json))
            conn.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, f["rule_id"], f["title"], f["severity"], f["status"], f["subject"]["id"],
                  f["subject"]["name"], f["subject"]["type"], f["message"], int(bool(f.get("waiver"))),
                  f.get("baseline_state")) for f in doc["findings"]])
    except sqlite3.Error as exc:
        raise UserError(f"{db_path}: cannot record the scan in the history DB: {exc}") from exc


def check_destination(db_path: str) -> None:
    """Refuse, before a scan runs, a history DB that `append` could not record it in: a path that cannot be
    written (see errors.write_target), a read-only file, or a file that is not an argus history."""
    target = write_target(db_path)
    if is_stream(db_path):
        raise UserError(f"{db_path}: cannot write: a history DB must be a regular file")
    if not os.path.exists(target):
        return  # append creates it
    if not os.access(target, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        raise UserError(f"{db_path}: cannot write: the file is read-only")
    try:
        with closing(sqlite3.connect(f"file:{quote(target)}?mode=ro", uri=True)) as conn:
            if not _is_new(conn):
                _check(conn, db_path)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", None) == "SQLITE_NOTADB":
            raise UserError(f"{db_path}: not an argus history DB (not a SQLite file)") from None
        raise UserError(f"{db_path}: cannot read the history DB: {exc}") from None


def trend(db_path: str, *, last: int = 10, statuses: tuple[str, ...] = TRACKED,
          rules: list[str] | None = None) -> dict:
    """Counts per scan (oldest first) of findings with ``statuses``: by severity, by rule, and waived."""
    if not Path(db_path).is_file():
        raise UserError(f"{db_path}: no such history DB (`argus scan --history {db_path}` creates it)")
    try:
        with closing(sqlite3.connect(f"file:{quote(str(Path(db_path).resolve()))}?mode=ro", uri=True)) as conn:
            _check(conn, db_path)
            scans = [dict(zip(("id", "started_at", "collected_at", "policy", "total"), row)) for row in reversed(
                conn.execute("SELECT id, started_at, collected_at, policy, total FROM scans"
                             " ORDER BY started_at DESC, id DESC LIMIT ?", (last,)).fetchall())]
            status_marks, scan_marks = ",".join("?" * len(statuses)), ",".join("?" * len(scans))
            rows = conn.execute(
                f"SELECT scan_id, severity, rule_id, waived, COUNT(*) FROM findings WHERE status IN ({status_marks})"
                f" AND scan_id IN ({scan_marks}) GROUP BY scan_id, severity, rule_id, waived",
                (*statuses, *(scan["id"] for scan in scans))).fetchall()
            if rules:
                _check_rules(conn, db_path, rules)
    except sqlite3.Error as exc:
        raise UserError(f"{db_path}: cannot read the history DB: {exc}") from exc
    column = {scan["id"]: i for i, scan in enumerate(scans)}
    wanted = set(rules) if rules else None
    by_severity = {severity: [0] * len(scans) for severity in SEVERITIES}
    by_rule: dict[str, list[int]] = {}
    waived = [0] * len(scans)
    for scan_id, severity, rule_id, is_waived, count in rows:
        if wanted is not None and rule_id not in wanted:
            continue
        by_severity[severity][column[scan_id]] += count
        by_rule.setdefault(rule_id, [0] * len(scans))[column[scan_id]] += count
        waived[column[scan_id]] += count if is_waived else 0
    return {"db": str(db_path), "statuses": list(statuses), "scans": scans, "by_severity": by_severity,
            "by_rule": dict(sorted(by_rule.items())), "waived": waived,
            "total": [sum(c[i] for c in by_severity.values()) for i in range(len(scans))]}


def _check_rules(conn: sqlite3.Connection, db_path: str, rules: list[str]) -> None:
    """A --rule naming a rule no recorded scan ever had is a typo, not a rule with nothing to count."""
    recorded = sorted(row[0] for row in conn.execute("SELECT DISTINCT rule_id FROM findings"))
    unknown = [rule for rule in rules if rule not in recorded]
    if not unknown:
        return
    names = ", ".join(f"{rule!r}{did_you_mean(rule, recorded)}" for rule in unknown)
    raise UserError(f"{db_path}: --rule {names}: never {'occurs' if len(unknown) == 1 else 'occur'} in this history DB")


def render_text(data: dict) -> str:
    """The trend as plain-text tables, one column per scan, with the change since the previous scan."""
    scans = data["scans"]
    if not scans:
        return f"{data['db']}: no scans recorded yet\n"
    lines = [f"{len(scans)} scans in {data['db']}, counting {', '.join(data['statuses'])} findings", ""]
    lines += [f"  #{i + 1:<3} {s['started_at']}  {s['policy'] or '-'}  {s['total']} findings"
              for i, s in enumerate(scans)]
    for title, table in _tables(data):
        width = max([len(title), *(len(name) for name in table)])
        lines += ["", f"{title:<{width}}" + "".join(f"{'#' + str(i + 1):>7}" for i in range(len(scans)))
                  + f"{'change':>8}"]
        for name, counts in table.items():
            change = counts[-1] - counts[-2] if len(counts) > 1 else 0
            lines.append(f"{name:<{width}}" + "".join(f"{c:>7}" for c in counts) + f"{change:>+8}")
    return "\n".join(lines) + "\n"


def _tables(data: dict) -> list[tuple[str, dict[str, list[int]]]]:
    severity = {**data["by_severity"], "total": data["total"], "of which waived": data["waived"]}
    return [("by severity", severity), ("by rule", data["by_rule"] or {"(none)": [0] * len(data["scans"])})]


def require_chart_extra(path: str) -> None:
    """Charts need matplotlib, which only the `chart` extra installs (it is 160 MB with numpy and pillow)."""
    import importlib.util
    if importlib.util.find_spec("matplotlib") is None:
        raise UserError(f"--chart {path} needs matplotlib, which argus installs only with its chart extra: "
                        "pip install 'argus[chart]' (or pipx inject argus matplotlib)")


def write_chart(path: str, data: dict) -> None:
    """Draw the trend (by severity, and by rule) into a PNG, or an HTML page with the chart and tables."""
    if not data["scans"]:
        raise UserError(f"{data['db']}: no scans recorded yet, nothing to chart")
    figure = _figure(data)
    if Path(path).suffix.lower() == ".png":
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        atomic_write(path, buffer.getvalue())
        return
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    atomic_write(path, _html_page(data, buffer.getvalue()))


def _figure(data: dict):
    """Two panels: problems by severity over time (a line per severity on a real time axis), and by rule, one
    row per rule and one column per scan, the count written in each cell (a heat strip: many rules with the
    same counts would be lines drawn over each other)."""
    import matplotlib
    matplotlib.use("Agg")  # no display on a scheduled runner
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "argus"  # stable SVG ids from run to run
    rows = _rule_rows(data["by_rule"], len(data["scans"]))
    figure = Figure(figsize=(10, 3.2 + 0.3 * max(len(rows), 1) + 0.8), layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=[3.2, 0.3 * max(len(rows), 1) + 0.8])
    _severity_panel(top, data)
    _rule_panel(bottom, data, rows)
    return figure


def _severity_panel(axes, data: dict) -> None:
    import matplotlib.dates as mdates
    from matplotlib.ticker import MaxNLocator

    when = [datetime.fromisoformat(s["started_at"].replace("Z", "+00:00")) for s in data["scans"]]
    for severity in SEVERITIES:  # most severe drawn last, on top
        axes.plot(when, data["by_severity"][severity], marker="o", label=severity, color=_SEVERITY_COLOR[severity],
                  linewidth=2.4 if severity == "critical" else 1.6, zorder=10 - SEVERITIES.index(severity))
    # ticks and labels that suit the span, from seconds to years: no 00:50.500000
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if len(when) == 1:  # one scan: a day around it rather than matplotlib's singular-range guess
        axes.set_xlim(when[0] - timedelta(hours=12), when[0] + timedelta(hours=12))
    axes.set_title(f"{', '.join(data['statuses'])} findings by severity")
    axes.set_ylabel("findings")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0, top=max([1, *data["total"]]) * 1.1)
    axes.grid(alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    axes.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")


_RULE_ROWS = 30  # rules drawn one per row; the rest share one row


def _rule_rows(by_rule: dict[str, list[int]], scans: int) -> list[tuple[str, list[int]]]:
    ranked = sorted(by_rule.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    if len(ranked) <= _RULE_ROWS:
        return ranked
    rest = [sum(counts[i] for _, counts in ranked[_RULE_ROWS - 1:]) for i in range(scans)]
    return ranked[:_RULE_ROWS - 1] + [(f"{len(ranked) - _RULE_ROWS + 1} other rules", rest)]


def _rule_panel(axes, data: dict, rows: list[tuple[str, list[int]]]) -> None:
    scans = len(data["scans"])
    axes.set_title("by rule (one row per rule, one column per scan)")
    if not rows:
        axes.text(0.5, 0.5, "no findings to count", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    grid = [counts for _, counts in rows]
    peak = max(max(counts) for counts in grid) or 1
    axes.imshow(grid, aspect="auto", cmap="Reds", vmin=0, vmax=peak * 1.25, interpolation="nearest")
    if len(rows) * scans <= 600:  # the number in each cell, while the cells are big enough to read it
        for y, counts in enumerate(grid):
            for x, count in enumerate(counts):
                axes.text(x, y, str(count), ha="center", va="center", fontsize="x-small",
                          color="white" if count > peak * 0.6 else "black")
    axes.set_yticks(range(len(rows)), [name for name, _ in rows], fontsize="small")
    step = max(1, scans // 12)
    axes.set_xticks(range(0, scans, step), [f"#{i + 1}" for i in range(0, scans, step)], fontsize="small")
    axes.set_xlabel("scan (see the table for its time)")
    axes.tick_params(length=0)


def _html_page(data: dict, svg: str) -> str:
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside HTML
    heads = "".join(f"<th>#{i + 1}<br>{html.escape(s['started_at'])}</th>" for i, s in enumerate(data["scans"]))
    tables = []
    for title, table in _tables(data):
        rows = "".join(f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{c}</td>" for c in counts) + "</tr>"
                       for name, counts in table.items())
        tables.append(f"<h2>{html.escape(title)}</h2><table><tr><th></th>{heads}</tr>{rows}</table>")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>argus history</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}</style></head><body>"
            f"<h1>argus history: {html.escape(data['db'])}</h1>"
            f"<p>Counting {html.escape(', '.join(data['statuses']))} findings over {len(data['scans'])} scans.</p>"
            f"{svg}{''.join(tables)}</body></html>\n")


def _prepare(conn: sqlite3.Connection, db_path: str) -> None:
    if _is_new(conn):
        conn.executescript(f"BEGIN; {_DDL} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        return
    _check(conn, db_path)


def _is_new(conn: sqlite3.Connection) -> bool:
    """An empty DB (a new or empty file): append creates the tables in it."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return version == 0 and not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'").fetchone()


def _check(conn: sqlite3.Connection, db_path: str) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise UserError(f"{db_path}: history DB format {version} is newer than this argus reads ({SCHEMA_VERSION})")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version != SCHEMA_VERSION or not {"scans", "findings"} <= tables:
        raise UserError(f"{db_path}: not an argus history DB")
