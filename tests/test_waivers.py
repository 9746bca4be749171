"""Waivers: validation, matching, expiry against a fixed clock, unused and unknown-rule reporting."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

import yaml

from argus.policy import waivers
from argus.diagnostics import DiagnosticError
from argus.errors import UserError
from reportdata import SUB, report

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 27)


def known(doc: dict) -> set[str]:
    return {rule["id"] for rule in doc["rules"]}


def entry(**fields) -> dict:
    base = {"rule": "ARGUS-PE-001", "subject": "*/lsacontoso01", "justification": "migration cut-over in December",
            "owner": "storage team", "expires": "2026-12-31"}
    return {**base, **fields}


def waived(doc: dict) -> dict[tuple[str, str], str]:
    return {(f["rule_id"], f["subject"]["name"]): f["waiver"]["source"] for f in doc["findings"] if "waiver" in f}


@pytest.mark.parametrize("raw,message", [
    ([{"rule": "ARGUS-PE-001", "subject": "x", "owner": "o", "expires": "2026-12-31"}],
     "waivers.yaml: waiver 1 (rule ARGUS-PE-001): 'justification' is a required property"),
    ([entry(), entry(justification="   ")],
     "waivers.yaml: waiver 2 (rule ARGUS-PE-001): justification: must not be blank"),
    ([entry(owner="")], "waivers.yaml: waiver 1 (rule ARGUS-PE-001): owner: must not be blank"),
    ([entry(expires="2026-02-30")], "waivers.yaml: waiver 1 (rule ARGUS-PE-001): expires: '2026-02-30' is not a valid date written YYYY-MM-DD"),
    ([entry(expires="31.12.2026")],
     "waivers.yaml: waiver 1 (rule ARGUS-PE-001): expires: '31.12.2026' is not a valid date written YYYY-MM-DD"),
    ([entry(expires=dt.datetime(2026, 12, 31, 8, 0))],
     "waivers.yaml: waiver 1 (rule ARGUS-PE-001): expires: '2026-12-31T08:00:00' is not a valid date written YYYY-MM-DD"),
    ([{k: v for k, v in entry().items() if k != "expires"}],
     "waivers.yaml: waiver 1 (rule ARGUS-PE-001): 'expires' is a required property"),
    ([entry(expiry="2026-12-31")],
     "waivers.yaml: waiver 1 (rule ARGUS-PE-001): Additional properties are not allowed ('expiry' was unexpected)"),
    ([entry(ticket=4711)], "waivers.yaml: waiver 1 (rule ARGUS-PE-001): ticket: 4711 is not of type 'string'"),
    (["ARGUS-PE-001"], "waivers.yaml: waiver 1: 'ARGUS-PE-001' is not of type 'object'"),
    ({"rule": "ARGUS-PE-001"}, "waivers.yaml: waivers must be a list of entries, got dict"),
])
def test_invalid_entries_name_file_and_entry(raw, message):
    """Entries built in memory have no position: the diagnostic names the file in its message."""
    with pytest.raises(DiagnosticError) as caught:
        waivers.load(raw, source="waivers.yaml")
    assert str(caught.value) == f"E405: {message}"


def test_load_accepts_yaml_dates_and_optional_ticket(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump([entry(expires=dt.date(2026, 12, 31)), entry(ticket="CHG-4711")], sort_keys=False),
                    encoding="utf-8")  # the second entry starts on line 6 (five keys each, one per line)
    (first, second) = waivers.load_file(str(path))
    assert (first.expires, first.ticket, first.line) == (dt.date(2026, 12, 31), None, 1)
    assert second.to_dict() == {"rule": "ARGUS-PE-001", "subject": "*/lsacontoso01",
                                "justification": "migration cut-over in December", "owner": "storage team",
                                "ticket": "CHG-4711", "expires": "2026-12-31", "source": f"{path}:6"}


def test_load_file_reports_yaml_lines(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "# accepted exceptions\n"
        "waivers:\n"
        "  - rule: ARGUS-PE-001\n"
        "    subject: '*/lsacontoso01'\n"
        "    justification: cut-over\n"
        "    owner: storage team\n"
        "    expires: 2026-12-31\n"
        "  - rule: ARGUS-DNS-002\n"
        "    subject: '*'\n"
        "    owner: netops\n"
        "    expires: 2026-12-31\n", encoding="utf-8")
    with pytest.raises(DiagnosticError) as caught:
        waivers.load_file(str(path))
    assert str(caught.value) == (f"{path}:8:5: E405: waiver 2 (rule ARGUS-DNS-002): 'justification' is a required "
                                 "property\n"
                                 "    - rule: ARGUS-DNS-002\n"
                                 "      ^")


def test_load_file_plain_list_and_json(tmp_path):
    listed = tmp_path / "waivers.yml"
    listed.write_text("- rule: ARGUS-PE-001\n  subject: x\n  justification: j\n  owner: o\n  expires: 2026-12-31\n")
    assert [(w.source, w.line, w.entry) for w in waivers.load_file(str(listed))] == [(str(listed), 1, 1)]
    as_json = tmp_path / "waivers.json"
    as_json.write_text(json.dumps({"waivers": [entry()]}))
    assert [w.subject for w in waivers.load_file(str(as_json))] == ["*/lsacontoso01"]


@pytest.mark.parametrize("text,message", [
    ("waivers: [\n", "2:1: E405: invalid YAML: expected the node content, but found '<stream end>'"),
    ("other: 1\n", "1:1: E405: expected a list of waivers or a mapping with a 'waivers' key"),
])
def test_load_file_bad_documents(tmp_path, text, message):
    path = tmp_path / "w.yaml"
    path.write_text(text)
    with pytest.raises(DiagnosticError) as caught:
        waivers.load_file(str(path))
    assert str(caught.value).splitlines()[0] == f"{path}:{message}"


def test_load_file_missing(tmp_path):
    with pytest.raises(UserError, match="nope.yaml: cannot read: No such file or directory"):
        waivers.load_file(str(tmp_path / "nope.yaml"))


def test_active_waiver_marks_finding_and_keeps_status():
    doc = report()
    waivers.apply(doc, waivers.load([entry()], source="waivers.yaml"), today=TODAY, known_rule_ids=known(doc))
    (finding,) = [f for f in doc["findings"] if "waiver" in f]
    assert (finding["subject"]["name"], finding["status"]) == ("lsacontoso01", "fail")
    assert finding["waiver"] == {"rule": "ARGUS-PE-001", "subject": "*/lsacontoso01",
                                 "justification": "migration cut-over in December", "owner": "storage team",
                                 "ticket": None, "expires": "2026-12-31", "source": "waivers.yaml (waiver 1)"}
    assert doc["waivers"] == [{**finding["waiver"], "state": "active", "matched": 1}]
    assert waivers.is_waived(finding)
    assert doc["summary"]["by_status"]["fail"] == 5  # waiving changes no status


@pytest.mark.parametrize("today,state,waived_count", [
    (dt.date(2026, 12, 30), "active", 1),
    (dt.date(2026, 12, 31), "active", 1),  # valid through the expiry day
    (dt.date(2027, 1, 1), "expired", 0),
    (dt.date(2027, 6, 1), "expired", 0),
])
def test_expiry_against_a_fixed_clock(today, state, waived_count):
    doc = report()
    waivers.apply(doc, waivers.load([entry()], source="waivers.yaml"), today=today, known_rule_ids=known(doc))
    assert len(waived(doc)) == waived_count
    assert (doc["waivers"][0]["state"], doc["waivers"][0]["matched"]) == (state, 1)


def test_unused_waiver_is_reported():
    doc = report()
    waivers.apply(doc, waivers.load([entry(subject="*/lsacontoso99")], source="waivers.yaml"), today=TODAY,
                  known_rule_ids=known(doc))
    assert waived(doc) == {}
    assert (doc["waivers"][0]["state"], doc["waivers"][0]["matched"]) == ("unused", 0)


def test_waiver_matching_only_a_passing_finding_is_unused():
    doc = report()
    waivers.apply(doc, waivers.load([entry(subject="*/lsacontoso02")], source="waivers.yaml"), today=TODAY,
                  known_rule_ids=known(doc))
    assert doc["waivers"][0]["state"] == "unused"


@pytest.mark.parametrize("rule,subject,expected", [
    ("ARGUS-PE-001", f"{SUB}/resourcegroups/RG-MIGRATE-WEU/providers/microsoft.storage/storageaccounts/lsacontoso01",
     {("ARGUS-PE-001", "lsacontoso01")}),  # exact id, any case
    ("ARGUS-PE-001", "*/storageAccounts/lsacontoso0?", {("ARGUS-PE-001", "lsacontoso01"), ("ARGUS-PE-001", "lsacontoso03")}),
    ("ARGUS-PE-001", "*/lsacontoso0[3-9]", {("ARGUS-PE-001", "lsacontoso03")}),
    ("ARGUS-PE-001", "lsacontoso01", set()),  # a bare name is not the subject id
    ("ARGUS-VAULT-006", "*", {("ARGUS-VAULT-006", "rsv-contoso-migrate")}),  # warn findings are waivable
    ("ARGUS-APP-004", "appliance/*", {("ARGUS-APP-004", "contoso-mig-app01")}),  # not_evaluated app02 is not
    ("ARGUS-RF-005", "*", {("ARGUS-RF-005", "er-contoso-fra")}),  # the error on er-contoso-ams is not
])
def test_subject_matching(rule, subject, expected):
    doc = report()
    waivers.apply(doc, waivers.load([entry(rule=rule, subject=subject)], source="w.yaml"), today=TODAY,
                  known_rule_ids=known(doc))
    assert set(waived(doc)) == expected


def test_first_listed_waiver_wins_and_both_count_as_used():
    doc = report()
    listed = waivers.load([entry(subject="*/lsacontoso0*", owner="first"), entry(owner="second")], source="w.yaml")
    waivers.apply(doc, listed, today=TODAY, known_rule_ids=known(doc))
    assert {name: f["waiver"]["owner"] for f in doc["findings"] if "waiver" in f
            for name in [f["subject"]["name"]]} == {"lsacontoso01": "first", "lsacontoso03": "first"}
    assert [(w["state"], w["matched"]) for w in doc["waivers"]] == [("active", 2), ("active", 1)]


def test_expired_waiver_leaves_the_field_to_a_later_active_one():
    doc = report()
    listed = waivers.load([entry(expires="2026-11-01", owner="old"), entry(owner="new")], source="w.yaml")
    waivers.apply(doc, listed, today=TODAY, known_rule_ids=known(doc))
    assert [f["waiver"]["owner"] for f in doc["findings"] if "waiver" in f] == ["new"]
    assert [w["state"] for w in doc["waivers"]] == ["expired", "active"]


def test_unknown_rule_is_an_error_with_a_suggestion(tmp_path):
    doc = report()
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump([entry(), entry(rule="ARGUS-PE-01")], sort_keys=False), encoding="utf-8")
    listed = waivers.load_file(str(path))
    with pytest.raises(DiagnosticError) as caught:
        waivers.apply(doc, listed, today=TODAY, known_rule_ids=known(doc))
    assert str(caught.value) == (f"{path}:6:9: E404: waiver 2: unknown rule 'ARGUS-PE-01' (did you mean "
                                 "'ARGUS-PE-001'?)\n"
                                 "  - rule: ARGUS-PE-01\n"
                                 "          ^~~~~~~~~~~")
    assert "waivers" not in doc and not waived(doc)  # nothing half-applied


def test_annotated_report_still_follows_the_report_schema():
    doc = report()
    waivers.apply(doc, waivers.load([entry(), entry(subject="*/nothing"), entry(expires="2026-01-01")],
                                    source="w.yaml"), today=TODAY, known_rule_ids=known(doc))
    schema = json.loads((REPO / "engine" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert [w["state"] for w in doc["waivers"]] == ["active", "unused", "expired"]


def test_waivers_schema_is_a_valid_json_schema():
    schema = json.loads((REPO / "engine" / "schemas" / "waivers.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate([entry(), entry(ticket="CHG-1")])


@pytest.mark.parametrize("expires,shown", [
    ("2099-13-01", "'2099-13-01'"),                     # PyYAML's date conversion raised a bare ValueError here
    ("2026-02-30", "'2026-02-30'"),
    ("2026-12-31T08:00:00Z", "'2026-12-31T08:00:00Z'"),  # a timestamp is not a day
    ("'31.12.2026'", "'31.12.2026'"),
])
@pytest.mark.parametrize("where", ["waivers file", "policies file"])
def test_impossible_dates_in_yaml_are_reported_with_file_and_line(argus, tmp_path, expires, shown, where):
    listed = ("  - rule: AMX-PP-07\n    subject: '*'\n    justification: spoke link pending\n    owner: netops\n"
              f"    expires: {expires}\n")
    if where == "waivers file":
        path = tmp_path / "waivers.yaml"
        path.write_text("# accepted exceptions\nwaivers:\n" + listed, encoding="utf-8")
        argv = ["--waivers", path]
    else:
        path = tmp_path / "policies.yaml"
        path.write_text(f"version: 1\npolicies:\n  p:\n    rules: [{REPO / 'rules' / 'azure-migrate'}]\nwaivers:\n"
                        + listed, encoding="utf-8")
        argv = ["--policies", path]
    out = tmp_path / "out.json"
    code, stdout, stderr = argus("scan", *argv, "--snapshot", REPO / "examples" / "estate", "--format", "json", "--output", out)
    assert (code, stdout, out.exists()) == (2, "", False)
    value = f"    expires: {expires}"
    caret = " " * 13 + "^" + "~" * (len(expires) - 1)  # the value starts at column 14
    if where == "waivers file":
        head = f"{path}:7:14: E405: waiver 1 (rule AMX-PP-07): expires: {shown} is not a valid date written YYYY-MM-DD"
    else:  # policies.yaml is validated as a whole, against its schema (E403)
        head = f"{path}:10:14: E403: waivers/0/expires: {shown} is not a valid date written YYYY-MM-DD"
    assert stderr == f"{head}\n  {value}\n  {caret}\n"


def test_yaml_dates_stay_text(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("- {rule: R, subject: x, justification: j, owner: o, expires: 2026-12-31, ticket: 2026-01-01}\n")
    (waiver,) = waivers.load_file(str(path))
    assert (waiver.expires, waiver.ticket) == (dt.date(2026, 12, 31), "2026-01-01")  # the ticket is not a date


# ---- the msgspec fast check never accepts an entry the schema refuses

from hypothesis import given, settings, strategies as st  # noqa: E402

_TEXTS = st.one_of(st.sampled_from(["", " ", "\t\n", "x", "ops", "AMX-PP-01", "*/st0?", "2099-01-01", "2099-02-30",
                                    "2099-1-01", "2099-01-01\n", " 2099-01-01", "20990101", "2099-01-01T00:00:00"]),
                   st.text(max_size=12))
_VALUES = st.one_of(_TEXTS, st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2),
                    st.dates().map(lambda d: d.isoformat()))
_KEYS = ["rule", "subject", "justification", "owner", "expires", "ticket", "extra"]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(_KEYS), _VALUES, min_size=3, max_size=7))
def test_the_fast_check_accepts_only_what_the_schema_accepts(entry):
    if waivers._certainly_valid([entry]):
        assert waivers._schema_error(entry) is None, entry


def test_the_fast_check_accepts_a_well_formed_waiver_and_refuses_each_break():
    good = {"rule": "AMX-PP-01", "subject": "/subscriptions/s/*", "justification": "accepted", "owner": "ops",
            "expires": "2099-01-01"}
    assert waivers._certainly_valid([good, {**good, "ticket": "CHG-1"}])
    for broken in ({**good, "rule": ""}, {**good, "owner": " "}, {**good, "expires": "2099-02-30"},
                   {**good, "expires": "2099-1-01"}, {**good, "ticket": 5}, {**good, "extra": "x"},
                   {k: v for k, v in good.items() if k != "owner"}):
        assert not waivers._certainly_valid([good, broken]), broken
        assert waivers._schema_error(broken) is not None, broken
