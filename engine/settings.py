"""Scan settings from three places, in order of precedence: command-line flags > `ARGUS_*` environment
variables > the `settings:` section of policies.yaml > built-in defaults.

In: parsed argparse args (settings left unset are None/False/empty) and the policies file's settings. Out: the
same args with every setting resolved, and `args.setting_sources` saying where each value came from (shown by
`--format json` in run.settings). Bad values name their source (`ARGUS_FAIL_ON=...`, `policies.yaml settings.fail_on`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import UserError
from .model import SEVERITIES


@dataclass(frozen=True)
class Setting:
    dest: str
    env: str
    kind: str          # str | paths | bool | choice
    default: object = None
    choices: tuple = ()
    in_file: bool = True   # may also come from policies.yaml settings


SETTINGS = (
    Setting("policies", "ARGUS_POLICIES", "str", in_file=False),
    Setting("policy", "ARGUS_POLICY", "str", in_file=False),   # the file's own default is default_policy
    Setting("rules", "ARGUS_RULES", "paths"),
    Setting("snapshot", "ARGUS_SNAPSHOT", "paths"),
    Setting("fail_on", "ARGUS_FAIL_ON", "choice", "info", SEVERITIES + ("never",)),
    Setting("waivers", "ARGUS_WAIVERS", "str"),
    Setting("baseline", "ARGUS_BASELINE", "str"),
    Setting("history", "ARGUS_HISTORY", "str"),
    Setting("include_passed", "ARGUS_INCLUDE_PASSED", "bool", False),
    Setting("fail_on_new", "ARGUS_FAIL_ON_NEW", "bool", False),
)
PARAM_PREFIX = "ARGUS_PARAM_"


def _unset(value) -> bool:
    return value is None or value is False or value == []


def _convert(setting: Setting, raw, source: str):
    if setting.kind == "paths":
        if isinstance(raw, list):
            return [str(p) for p in raw]
        return [p for p in str(raw).split(os.pathsep) if p]
    if setting.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("1", "true", "yes", "on"):
            return True
        if str(raw).lower() in ("0", "false", "no", "off", ""):
            return False
        raise UserError(f"{source}: expected true or false, got {raw!r}")
    if setting.kind == "choice" and str(raw) not in setting.choices:
        raise UserError(f"{source}: expected one of {', '.join(setting.choices)}, got {raw!r}")
    return str(raw)


def resolve_early(args, environ=None) -> None:
    """Settings needed before policies.yaml is read: which file, which policy."""
    _resolve(args, {}, environ, only=("policies", "policy"))


def resolve(args, file_settings: dict | None, file_name: str = "policies.yaml", environ=None) -> None:
    _resolve(args, file_settings or {}, environ, only=None, file_name=file_name)
    env = os.environ if environ is None else environ
    from_env = [f"{k[len(PARAM_PREFIX):].lower()}={v}" for k, v in sorted(env.items()) if k.startswith(PARAM_PREFIX)]
    given = {p.partition("=")[0] for p in (args.param or [])}
    args.param = [p for p in from_env if p.partition("=")[0] not in given] + list(args.param or [])


def _resolve(args, file_settings: dict, environ, only, file_name: str = "policies.yaml") -> None:
    env = os.environ if environ is None else environ
    sources = getattr(args, "setting_sources", {})
    for s in SETTINGS:
        if only is not None and s.dest not in only:
            continue
        if not hasattr(args, s.dest) or s.dest in sources:
            continue
        if not _unset(getattr(args, s.dest)):
            sources[s.dest] = "flag"
        elif env.get(s.env) not in (None, ""):
            setattr(args, s.dest, _convert(s, env[s.env], f"{s.env}={env[s.env]}"))
            sources[s.dest] = s.env
        elif only is None and s.in_file and s.dest in file_settings:
            setattr(args, s.dest, _convert(s, file_settings[s.dest], f"{file_name} settings.{s.dest}"))
            sources[s.dest] = f"{file_name} settings"
        elif only is None:
            setattr(args, s.dest, s.default if not isinstance(s.default, list) else list(s.default))
    args.setting_sources = sources
