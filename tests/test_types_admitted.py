"""One analysis of "which resource types a `where` admits" (argus.language.static.types_admitted), used by pushdown
(`scan --live` collects only those types) and lint (W506 checks a path against those rows). They used to
disagree: pushdown missed `or`, lint missed a literal written first and intersected nothing."""

from __future__ import annotations

import pytest

from argus.planning import pushdown
from argus.language.parser import parse_expr
from argus.language.static import types_admitted
from conftest import session_of

SA, PE = "microsoft.storage/storageaccounts", "microsoft.network/privateendpoints"


@pytest.mark.parametrize("pred,expected", [
    ('type == "microsoft.storage/storageAccounts"', {SA}),
    ('"Microsoft.Storage/storageAccounts" == type', {SA}),                  # literal first
    ('type =~ "MICROSOFT.STORAGE/STORAGEACCOUNTS"', {SA}),
    ('it.type == "microsoft.storage/storageaccounts"', {SA}),
    (f'type in ["{SA}", "{PE}"]', {SA, PE}),
    (f'type in~ ["{SA}"]', {SA}),
    (f'type == "{SA}" or type == "{PE}"', {SA, PE}),                          # or: both sides restricted
    (f'"{SA}" == type or "{PE}" =~ type', {SA, PE}),
    (f'type == "{SA}" or name == "x"', None),                                 # or: one side unrestricted
    (f'type == "{SA}" and name == "x"', {SA}),
    (f'name == "x" and type == "{SA}"', {SA}),
    (f'type in ["{SA}", "{PE}"] and type == "{PE}"', {PE}),                   # and: intersection
    (f'type == "{SA}" and type == "{PE}"', set()),
    ('type == some_param', None),
    ('type != "microsoft.storage/storageaccounts"', None),
    ('not (type == "microsoft.storage/storageaccounts")', None),
    ('name == "x"', None),
])
def test_types_a_filter_admits(pred, expected):
    got = types_admitted(parse_expr("t.argus", pred))
    assert (None if got is None else set(got)) == expected


def test_a_bound_name_type_is_not_the_row_field():
    assert types_admitted(parse_expr("t.argus", f'type == "{SA}"'), bound=lambda n: n == "type") is None


@pytest.mark.parametrize("pred,expected", [
    (f'"{SA}" == type or type == "{PE}"', {SA, PE}),   # pushdown used to collect everything for an `or`
    (f'"{SA}" == type', {SA}),
])
def test_pushdown_collects_exactly_the_admitted_types(pred, expected):
    session = session_of(f'rule P-1 "p" {{\n  severity low\n  for a in resources where {pred}\n'
                         f'  require a.name != ""\n}}\n')
    assert pushdown.types_read(session.plan, session.rules) == expected


def test_lint_reads_a_literal_first_filter_as_restricting(tmp_path, argus):
    """A path only private endpoints have is reported for a filter admitting storage accounts alone, however
    the comparison is written (lint used to read `"<type>" == type` as admitting every row)."""
    snap = tmp_path / "s.json"
    snap.write_text('{"resources": [{"id": "/s/a", "name": "a", "type": "%s", "properties": {"kind2": 1}},'
                    ' {"id": "/s/p", "name": "p", "type": "%s", "properties": {"peOnly": 1}}]}' % (SA, PE),
                    encoding="utf-8")
    for pred in (f'type == "{SA}"', f'"{SA}" == type'):
        (tmp_path / "r.argus").write_text(f'rule P-1 "p" {{\n  severity low\n  for a in resources where {pred}\n'
                                          f'  require a.properties.peOnly == 1\n}}\n', encoding="utf-8")
        code, _, err = argus("check", "--snapshot", snap, tmp_path / "r.argus")
        assert [line.split(": ", 1)[1] for line in err.splitlines() if "W506" in line] == [
            f"W506: path 'properties.peOnly' never occurs in {SA} rows of the snapshot"], pred
