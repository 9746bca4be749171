"""Settings precedence: flag > ARGUS_* environment variable > policies.yaml settings > default."""

import pytest

from argus.policy import settings
from argus.errors import UserError


def _flags(**given) -> dict:
    """The settings flags of a scan-like command, none given unless named."""
    return {"policies": None, "policy": None, "rules": None, "snapshot": None, "fail_on": None, "waivers": None,
            "baseline": None, "history": None, "include_passed": False, "fail_on_new": False, **given}


CASES = [
    # (flags, environment, file settings, dest, expected value, expected source)
    ({}, {}, {}, "fail_on", "info", None),
    ({}, {}, {"fail_on": "high"}, "fail_on", "high", "policies.yaml settings"),
    ({}, {"ARGUS_FAIL_ON": "critical"}, {"fail_on": "high"}, "fail_on", "critical", "ARGUS_FAIL_ON"),
    ({"fail_on": "low"}, {"ARGUS_FAIL_ON": "critical"}, {"fail_on": "high"}, "fail_on", "low", "flag"),
    ({}, {"ARGUS_SNAPSHOT": "a.json:exports"}, {}, "snapshot", ["a.json", "exports"], "ARGUS_SNAPSHOT"),
    ({}, {}, {"snapshot": ["x.json"]}, "snapshot", ["x.json"], "policies.yaml settings"),
    ({}, {"ARGUS_INCLUDE_PASSED": "true"}, {}, "include_passed", True, "ARGUS_INCLUDE_PASSED"),
    ({}, {"ARGUS_HISTORY": ""}, {"history": "h.sqlite"}, "history", "h.sqlite", "policies.yaml settings"),
]


@pytest.mark.parametrize("flags,env,file_settings,dest,value,source", CASES)
def test_precedence(flags, env, file_settings, dest, value, source):
    resolved = settings.resolve(_flags(**flags), file_settings, environ=env)
    assert resolved[dest] == value
    assert resolved.sources.get(dest) == source


def test_resolution_reads_only_its_inputs_and_changes_nothing():
    flags = _flags(fail_on="low")
    before = dict(flags)
    resolved = settings.resolve(flags, {"history": "h.db"}, environ={"ARGUS_FAIL_ON_NEW": "1"})
    assert flags == before
    assert dict(resolved.sources) == {"fail_on": "flag", "history": "policies.yaml settings",
                                      "fail_on_new": "ARGUS_FAIL_ON_NEW"}
    with pytest.raises(TypeError):
        resolved.values["fail_on"] = "high"


def test_a_setting_the_command_has_no_flag_for_is_not_resolved():
    resolved = settings.resolve({"policies": None, "rules": None}, {"fail_on": "bogus"}, environ={"ARGUS_FAIL_ON": "x"})
    assert "fail_on" not in resolved.values and dict(resolved.sources) == {}


def test_policy_file_and_policy_resolve_early_from_environment():
    early = settings.resolve_early(_flags(), environ={"ARGUS_POLICIES": "p.yaml", "ARGUS_POLICY": "azure-migrate"})
    assert (early["policies"], early["policy"]) == ("p.yaml", "azure-migrate")
    assert "fail_on" not in early.values  # the rest waits for the policies file


def test_parameters_from_environment_yield_to_flags():
    resolved = settings.resolve(_flags(), {}, params=["target_region=westeurope"],
                                environ={"ARGUS_PARAM_TARGET_REGION": "northeurope", "ARGUS_PARAM_CACHE_ACCOUNT": "lsa1"})
    assert resolved.params == ("cache_account=lsa1", "target_region=westeurope")


@pytest.mark.parametrize("env,message", [
    ({"ARGUS_FAIL_ON": "bogus"}, "ARGUS_FAIL_ON=bogus: expected one of critical, high, medium, low, info, never, got 'bogus'"),
    ({"ARGUS_FAIL_ON_NEW": "maybe"}, "ARGUS_FAIL_ON_NEW=maybe: expected true or false, got 'maybe'"),
])
def test_bad_environment_values_name_their_source(env, message):
    with pytest.raises(UserError) as err:
        settings.resolve(_flags(), {}, environ=env)
    assert str(err.value) == message


def test_bad_file_setting_names_the_file():
    with pytest.raises(UserError) as err:
        settings.resolve(_flags(), {"fail_on": "sometimes"}, file_name="policies.yaml", environ={})
    assert str(err.value) == "policies.yaml settings.fail_on: expected one of critical, high, medium, low, info, never, got 'sometimes'"


def test_scan_honours_environment_end_to_end(monkeypatch, capsys):
    from argus.commands.cli import main
    monkeypatch.setenv("ARGUS_FAIL_ON", "never")
    assert main(["scan", "--example", "--format", "json"]) == 0
    monkeypatch.setenv("ARGUS_FAIL_ON", "high")
    assert main(["scan", "--example", "--format", "json"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize("file_settings,expected", [
    ({"snapshot": ["exports/a.json", "/abs/b.json"]}, {"snapshot": ["cfg/exports/a.json", "/abs/b.json"]}),
    ({"rules": ["../rules"]}, {"rules": ["rules"]}),
    ({"waivers": "waivers.yaml", "baseline": "state/last.json", "history": "state/history.db"},
     {"waivers": "cfg/waivers.yaml", "baseline": "cfg/state/last.json", "history": "cfg/state/history.db"}),
    ({"fail_on": "high"}, {"fail_on": "high"}),  # not a path: as written
])
def test_file_paths_are_relative_to_the_policies_file(tmp_path, monkeypatch, file_settings, expected):
    monkeypatch.chdir(tmp_path)
    resolved = settings.resolve(_flags(), file_settings, environ={}, file_dir=str(tmp_path / "cfg"))
    assert {key: resolved[key] for key in expected} == expected


def test_flag_and_environment_paths_stay_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    resolved = settings.resolve(_flags(waivers="mine.yaml"), {"waivers": "w.yaml", "history": "h.db", "snapshot": ["s.json"]},
                                environ={"ARGUS_HISTORY": "env.db"}, file_dir=str(tmp_path / "cfg"))
    assert (resolved["waivers"], resolved["history"], resolved["snapshot"]) == ("mine.yaml", "env.db", ["cfg/s.json"])


def test_describe_names_where_a_setting_came_from():
    resolved = settings.resolve(_flags(fail_on="high"), {"history": "h.db"}, file_name="team.yaml",
                                environ={"ARGUS_FAIL_ON_NEW": "true"})
    assert [settings.describe(resolved, dest) for dest in ("fail_on", "fail_on_new", "history", "baseline")] == [
        "--fail-on", "ARGUS_FAIL_ON_NEW=true", "team.yaml settings.history", "--baseline"]


def test_blame_prefixes_the_variable_whose_value_the_error_is_about():
    early = settings.resolve_early(_flags(), environ={"ARGUS_POLICY": "bogus", "ARGUS_POLICIES": "p.yaml"})
    about_policy = UserError("p.yaml: no policy named 'bogus'; known: pilot")
    assert str(settings.blame(early, about_policy, ("policy", "policies"))) == (
        "ARGUS_POLICY=bogus: p.yaml: no policy named 'bogus'; known: pilot")  # the first setting it is about
    assert str(settings.blame(early, about_policy, ("policies",))) == (
        "ARGUS_POLICIES=p.yaml: p.yaml: no policy named 'bogus'; known: pilot")
    unreadable = UserError("p.yaml: cannot read: No such file or directory")
    assert str(settings.blame(early, unreadable, ("policy", "policies"))) == (
        "ARGUS_POLICIES=p.yaml: p.yaml: cannot read: No such file or directory")
    unrelated = UserError("other.yaml: cannot read: No such file or directory")
    assert settings.blame(early, unrelated, ("policy", "policies")) is unrelated
    flagged = settings.resolve_early(_flags(policy="bogus"), environ={})
    assert settings.blame(flagged, about_policy, ("policy",)) is about_policy  # a flag names itself


def test_parameter_origins_record_the_variable():
    resolved = settings.resolve(_flags(), {}, params=["target_region=westeurope"],
                                environ={"ARGUS_PARAM_TARGET_REGION": "northeurope", "ARGUS_PARAM_NOPE": "1"})
    assert dict(resolved.param_origins) == {"nope": "ARGUS_PARAM_NOPE"}
