"""Regressions found while building the rule pack, each with the smallest rule text that shows it."""

from argus.snapshots import snapshot
from argus.evaluation.session import prepare

RULES = '''
rule R-1 "first rule uses a quantifier" {
  severity low
  for a in resources where type == "x/y"
  require any(t in a.properties.tags: t == "k")
}
data table from "table.yaml"
rule R-2 "second rule reads a field of a let that is missing" {
  severity low
  for a in resources where type == "x/y"
  let region = table.regions[a.location]
  require region.code == "1"
}
'''


def test_let_slot_is_not_mistaken_for_an_element_slot_of_an_earlier_rule(tmp_path):
    # R-1's quantifier variable and R-2's let share a frame slot number; the let may hold Missing, which
    # must make R-2 not_evaluated (naming the missing entry), not an error.
    (tmp_path / "r.argus").write_text(RULES)
    (tmp_path / "table.yaml").write_text("regions:\n  westeurope: {code: '1'}\n")
    (tmp_path / "s.json").write_text('{"resources": [{"id": "/x/a", "name": "a", "type": "x/y", "location": "mars", "properties": {"tags": ["k"]}}]}')
    session = prepare([str(tmp_path / "r.argus")])
    found = {f.rule.id: (f.status, f.message) for f in session.evaluate(snapshot.load([str(tmp_path / "s.json")]))}
    assert found["R-1"] == ("pass", "first rule uses a quantifier: satisfied")
    assert found["R-2"] == ("not_evaluated", "not evaluated: table.regions[a.location] (no entry 'mars') (needed by `region.code == \"1\"`)")


JOIN_RULES = '''
let pes = resources where type == "n/pe"
rule J-1 "indexed join" {
  severity low
  for a in resources where type == "s/a"
  let mine = pes where properties.target =~ a.properties.homeId
  require count(mine) > 0
}
rule J-2 "same filter, not indexable" {
  severity low
  for a in resources where type == "s/a"
  let mine = pes where properties.target startswith a.properties.homeId
  require count(mine) > 0
}
'''


def test_a_missing_subject_value_makes_indexed_and_unindexed_filters_agree(tmp_path):
    (tmp_path / "r.argus").write_text(JOIN_RULES)
    (tmp_path / "s.json").write_text('{"resources": ['
                                     '{"id": "/a/1", "name": "a1", "type": "s/a", "properties": {}},'
                                     '{"id": "/pe/1", "name": "p1", "type": "n/pe", "properties": {"target": "/a/1"}}]}')
    session = prepare([str(tmp_path / "r.argus")])
    found = sorted((f.rule.id, f.status, f.message) for f in session.evaluate(snapshot.load([str(tmp_path / "s.json")])))
    assert found == [
        ("J-1", "not_evaluated", "not evaluated: a.properties.homeId on /a/1 (needed by `count(mine) > 0`)"),
        ("J-2", "not_evaluated", "not evaluated: a.properties.homeId on /a/1 (needed by `count(mine) > 0`)"),
    ]


def test_projections_on_both_sides_match_when_some_pair_matches(tmp_path):
    (tmp_path / "r.argus").write_text('''
rule P-1 "shared value" {
  severity low
  for a in resources where type == "x/a"
  let b = first(resources where type == "x/b")
  require a.properties.ips[*].v == b.properties.ips[*].v
}''')
    (tmp_path / "s.json").write_text('{"resources": ['
        '{"id": "/a/1", "name": "a1", "type": "x/a", "properties": {"ips": [{"v": "1"}, {"v": "2"}]}},'
        '{"id": "/a/2", "name": "a2", "type": "x/a", "properties": {"ips": [{"v": "9"}]}},'
        '{"id": "/b/1", "name": "b1", "type": "x/b", "properties": {"ips": [{"v": "2"}, {"v": "3"}]}}]}')
    session = prepare([str(tmp_path / "r.argus")])
    found = sorted((f.subject.name, f.status) for f in session.evaluate(snapshot.load([str(tmp_path / "s.json")])))
    assert found == [("a1", "pass"), ("a2", "fail")]
