"""Scan history: appending scans to SQLite and `argus history DB` (text, JSON, charts)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3

import pytest

from argus.state import baseline, history
from argus.policy import waivers
from argus.commands.cli import main
from argus.errors import UserError
from reportdata import REPORTS, report


@pytest.fixture()
def db(tmp_path) -> str:
    path = str(tmp_path / "history.db")
    history.append(path, report("scan-2026-11-20.json"))
    second = report("scan-2026-11-27.json")
    baseline.apply(second, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    waivers.apply(second, waivers.load([{"rule": "ARGUS-DNS-002", "subject": "*", "owner": "netops",
                                         "justification": "planned", "expires": "2026-12-31"}], source="w.yaml"),
                  today=dt.date(2026, 11, 27), known_rule_ids={r["id"] for r in second["rules"]})
    history.append(path, second)
    return path


def test_append_records_run_header_and_findings(db):
    with sqlite3.connect(db) as conn:
        scans = conn.execute("SELECT id, started_at, collected_at, policy, engine_version, total FROM scans").fetchall()
        assert scans == [(1, "2026-11-20T09:30:00Z", "2026-11-20T09:00:00Z", "contoso-migration", "0.1.0", 11),
                         (2, "2026-11-27T09:30:00Z", "2026-11-27T09:00:00Z", "contoso-migration", "0.1.0", 12)]
        run = json.loads(conn.execute("SELECT run_json FROM scans WHERE id = 1").fetchone()[0])
        assert run == report("scan-2026-11-20.json")["run"]
        rows = conn.execute("SELECT rule_id, subject_name, status, waived, baseline_state FROM findings"
                            " WHERE scan_id = 2 AND status != 'pass' ORDER BY rowid").fetchall()
    assert rows == [("ARGUS-PE-001", "lsacontoso01", "fail", 0, "unchanged"),
                    ("ARGUS-PE-001", "lsacontoso03", "fail", 0, "new"),
                    ("ARGUS-DNS-002", "privatelink.blob.core.windows.net", "fail", 1, "unchanged"),
                    ("ARGUS-APP-004", "contoso-mig-app01", "fail", 0, "updated"),
                    ("ARGUS-APP-004", "contoso-mig-app02", "not_evaluated", 0, "unchanged"),
                    ("ARGUS-RF-005", "er-contoso-ams", "error", 0, "unchanged"),
                    ("ARGUS-RF-005", "er-contoso-fra", "fail", 0, "new"),
                    ("ARGUS-VAULT-006", "rsv-contoso-migrate", "warn", 0, "unchanged"),
                    ("ARGUS-GW-007", "", "not_evaluated", 0, "unchanged")]


def test_same_scan_twice_is_refused(db):
    with pytest.raises(UserError, match=r"this scan \(2026-11-20T09:30:00Z\) is already recorded"):
        history.append(db, report("scan-2026-11-20.json"))


def test_trend_counts_problems_per_severity_and_rule(db):
    data = history.trend(db)
    assert [s["started_at"] for s in data["scans"]] == ["2026-11-20T09:30:00Z", "2026-11-27T09:30:00Z"]
    assert data["by_severity"] == {"critical": [1, 0], "high": [3, 4], "medium": [2, 2], "low": [1, 2], "info": [1, 1]}
    assert data["by_rule"] == {"ARGUS-APP-004": [2, 2], "ARGUS-DNS-002": [1, 1], "ARGUS-ER-003": [1, 0],
                               "ARGUS-GW-007": [1, 1], "ARGUS-PE-001": [1, 2], "ARGUS-RF-005": [1, 2],
                               "ARGUS-VAULT-006": [1, 1]}
    assert (data["total"], data["waived"]) == ([8, 9], [0, 1])


def test_trend_filters(db):
    data = history.trend(db, last=1, statuses=("fail",), rules=["ARGUS-PE-001", "ARGUS-ER-003"])
    assert [s["id"] for s in data["scans"]] == [2]
    assert data["by_rule"] == {"ARGUS-PE-001": [2]}
    assert data["by_severity"]["high"] == [2] and data["total"] == [2]


def test_history_command_text(db, capsys):
    assert main(["history", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [f"2 scans in {db}, counting fail, warn, error, not_evaluated findings", "",
                       "  #1   2026-11-20T09:30:00Z  contoso-migration  11 findings",
                       "  #2   2026-11-27T09:30:00Z  contoso-migration  12 findings"]
    assert out[5:13] == [
        "by severity         #1     #2  change",
        "critical             1      0      -1",
        "high                 3      4      +1",
        "medium               2      2      +0",
        "low                  1      2      +1",
        "info                 1      1      +0",
        "total                8      9      +1",
        "of which waived      0      1      +1",
    ]
    assert "ARGUS-PE-001         1      2      +1" in out


def test_history_command_json(db, capsys):
    assert main(["history", db, "--format", "json", "--status", "fail", "--status", "warn"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["statuses"] == ["fail", "warn"]
    assert data["by_rule"]["ARGUS-VAULT-006"] == [1, 1]
    assert "ARGUS-GW-007" not in data["by_rule"]  # only ever not_evaluated
    assert data["total"] == [5, 6]


def test_chart_png(db, tmp_path, capsys):
    out = tmp_path / "trend.png"
    assert main(["history", db, "--chart", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image, ImageStat
    with Image.open(out) as image:
        rows = len(history.trend(db)["by_rule"])
        assert image.size == (1000, round(100 * (3.2 + 0.3 * rows + 0.8)))  # grows with the rules drawn
        variance = ImageStat.Stat(image.convert("L")).var[0]
    assert variance > 500  # not a blank (or nearly blank) canvas


def test_chart_html_parses(db, tmp_path):
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.seen, self.open = [], []

        def handle_starttag(self, tag, attrs):
            self.seen.append(tag)

    out = tmp_path / "trend.html"
    assert main(["history", db, "--chart", str(out)]) == 0
    parser = Tags()
    parser.feed(out.read_text(encoding="utf-8"))
    parser.close()
    assert parser.seen.count("svg") == 1 and parser.seen.count("table") == 2 and "title" in parser.seen


def _trend(times: list[str], by_rule: dict[str, list[int]]) -> dict:
    n = len(times)
    by_severity = {s: [0] * n for s in ("critical", "high", "medium", "low", "info")}
    by_severity["high"] = [sum(c[i] for c in by_rule.values()) for i in range(n)]
    return {"db": "h.db", "statuses": ["fail"], "scans": [{"started_at": t} for t in times],
            "by_severity": by_severity, "by_rule": by_rule, "waived": [0] * n, "total": by_severity["high"]}


@pytest.mark.parametrize("times", [
    ["2026-11-27T09:00:50.000Z", "2026-11-27T09:00:50.500Z", "2026-11-27T09:00:51.000Z"],  # scans seconds apart
    ["2026-11-27T09:00:00Z", "2026-11-27T09:05:00Z", "2026-11-27T09:10:00Z"],
    ["2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z", "2026-11-27T00:00:00Z"],
    ["2026-11-27T09:00:00Z"],
])
def test_time_axis_ticks_suit_any_spacing(times):
    figure = history._figure(_trend(times, {"R-1": [1] * len(times)}))
    figure.canvas.draw()
    top = figure.axes[0]
    labels = [t.get_text() for t in top.get_xticklabels() if t.get_text()]
    assert labels and not any(re.search(r"\.\d{4,}|000000", label) for label in labels), labels
    assert len(labels) <= 10


def test_by_rule_panel_is_one_row_per_rule_not_overlapping_lines():
    rules = {f"R-{i:02}": [2, 2, 2] for i in range(8)}  # eight identical series: lines would hide each other
    figure = history._figure(_trend(["2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"], rules))
    figure.canvas.draw()
    bottom = figure.axes[1]
    assert [t.get_text() for t in bottom.get_yticklabels()] == sorted(rules)
    assert len(bottom.images) == 1 and bottom.images[0].get_array().shape == (8, 3)
    assert sum(1 for t in bottom.texts if t.get_text() == "2") == 24  # every cell says its count


def test_severity_palette_puts_critical_darkest():
    from matplotlib.colors import to_rgb

    def lightness(color):
        return sum(to_rgb(color)) / 3

    colours = history._SEVERITY_COLOR
    assert lightness(colours["critical"]) < lightness(colours["high"]) < lightness(colours["medium"])


def test_chart_html(db, tmp_path, capsys):
    out = tmp_path / "trend.html"
    assert main(["history", db, "--chart", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.count("<svg") == 1
    assert "<tr><th>ARGUS-PE-001</th><td>1</td><td>2</td></tr>" in page
    assert "<tr><th>of which waived</th><td>0</td><td>1</td></tr>" in page


@pytest.mark.parametrize("argv,message", [
    (["--chart", "trend.svg"], "the file name must end in .png or .html"),
    (["--last", "0"], "--last must be at least 1"),
])
def test_history_command_bad_flags(db, capsys, argv, message):
    assert main(["history", db, *argv]) == 2
    assert message in capsys.readouterr().err


def test_missing_and_foreign_files(tmp_path, capsys):
    assert main(["history", str(tmp_path / "nope.db")]) == 2
    assert "no such history DB" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()  # reading never creates a DB
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main(["history", str(text)]) == 2
    assert "file is not a database" in capsys.readouterr().err
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert main(["history", str(other)]) == 2
    assert "not an argus history DB" in capsys.readouterr().err
    with pytest.raises(UserError, match="not an argus history DB"):
        history.append(str(other), report("scan-2026-11-20.json"))


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "future.db"
    history.append(str(path), report("scan-2026-11-20.json"))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 2")
    with pytest.raises(UserError, match="history DB format 2 is newer than this argus reads"):
        history.trend(str(path))


def test_empty_history_has_nothing_to_chart(tmp_path, capsys):
    path = tmp_path / "empty.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(history._DDL + "PRAGMA user_version = 1;")
    assert main(["history", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: no scans recorded yet\n"
    assert main(["history", str(path), "--chart", str(tmp_path / "c.png")]) == 2


@pytest.mark.parametrize("rules,message", [
    (["NOPE"], "--rule 'NOPE': never occurs in this history DB"),
    (["ARGUS-PE-01"], "--rule 'ARGUS-PE-01' (did you mean 'ARGUS-PE-001'?): never occurs in this history DB"),
    (["ARGUS-PE-001", "argus-er-003", "NOPE"],
     "--rule 'argus-er-003' (did you mean 'ARGUS-ER-003'?), 'NOPE': never occur in this history DB"),
])
def test_rule_never_recorded_is_an_error(db, capsys, rules, message):
    assert main(["history", db, *(arg for rule in rules for arg in ("--rule", rule))]) == 2
    assert capsys.readouterr().err == f"argus history: error: {db}: {message}\n"


def test_rule_recorded_without_counted_findings_shows_zeros(db, capsys):
    # ARGUS-ER-003 only passed in the second scan, and never warned: a real rule with nothing to count
    assert main(["history", db, "--rule", "ARGUS-ER-003", "--status", "warn", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["by_rule"] == {}
