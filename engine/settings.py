"""Scan settings from three places, in order of precedence: command-line flags > `ARGUS_*` environment
variables > the `settings:` section of policies.yaml > built-in defaults.

In: parsed argparse args (settings left unset are None/False/empty) and the policies file's settings. Out: the
same args with every setting resolved, and `args.setting_sources` saying where each value came from (shown by
`--format json` in run.settings). Bad values name their source (`ARGUS_FAIL_ON=...`, `policies.yaml settings.fail_on`).
Paths from the policies file (snapshot, rules, waivers, baseline, history) are relative to that file, as its
policies' rule paths are; paths from flags and the environment are relative to the working directory.
`describe` names where a setting came from, for messages about its value.
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
    is_path: bool = False  # a file-system path: relative to the policies file when it comes from there
    aliases: tuple = ()    # older names of the environment variable, still read after `env`


SETTINGS = (
    Setting("policies", "ARGUS_CONFIG", "str", in_file=False, aliases=("ARGUS_POLICIES",)),
    Setting("policy", "ARGUS_POLICY", "str", in_file=False),   # the file's own default is default_policy
    Setting("rules", "ARGUS_RULES", "paths", is_path=True),
    Setting("snapshot", "ARGUS_SNAPSHOT", "paths", is_path=True),
    Setting("fail_on", "ARGUS_FAIL_ON", "choice", "info", SEVERITIES + ("never",)),
    Setting("waivers", "ARGUS_WAIVERS", "str", is_path=True),
    Setting("baseline", "ARGUS_BASELINE", "str", is_path=True),
    Setting("history", "ARGUS_HISTORY", "str", is_path=True),
    Setting("include_passed", "ARGUS_INCLUDE_PASSED", "bool", False),
    Setting("fail_on_new", "ARGUS_FAIL_ON_NEW", "bool", False),
    Setting("fail_on_not_evaluated", "ARGUS_FAIL_ON_NOT_EVALUATED", "bool", False),
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


def resolve(args, file_settings: dict | None, file_name: str = "policies.yaml", environ=None, *,
            file_dir: str | None = None) -> None:
    """Fill every unset setting from the environment, then ``file_settings`` (the policies file's
    `settings:`, named ``file_name`` in messages; its relative paths are taken from ``file_dir``)."""
    _resolve(args, file_settings or {}, environ, only=None, file_name=file_name, file_dir=file_dir)
    env = os.environ if environ is None else environ
    given = {p.partition("=")[0].strip() for p in (args.param or [])}
    origins = {key[len(PARAM_PREFIX):].lower(): key for key in sorted(env) if key.startswith(PARAM_PREFIX)}
    origins = {name: key for name, key in origins.items() if name not in given}  # a --param flag wins
    args.param = [f"{name}={env[key]}" for name, key in origins.items()] + list(args.param or [])
    args.param_origins = origins  # parameter name -> the ARGUS_PARAM_* variable it came from


def describe(args, dest: str) -> str:
    """Where a setting's value came from, as messages name it: --fail-on-new, ARGUS_FAIL_ON_NEW=true,
    policies.yaml settings.fail_on_new."""
    return getattr(args, "setting_labels", {}).get(dest) or f"--{dest.replace('_', '-')}"


def blame(args, error: UserError, dests: tuple[str, ...]) -> UserError:
    """``error``, prefixed with the environment variable or file setting whose value it is about (the message
    starts with the value or quotes it), so a bad ARGUS_POLICY=... is not mistaken for a bad flag."""
    message = str(error)
    for dest in dests:
        value, label = getattr(args, dest, None), getattr(args, "setting_labels", {}).get(dest)
        if label and isinstance(value, str) and (message.startswith(value) or f"'{value}'" in message):
            return UserError(f"{label}: {message}")
    return error


def _resolve(args, file_settings: dict, environ, only, file_name: str = "policies.yaml",
             file_dir: str | None = None) -> None:
    env = os.environ if environ is None else environ
    sources = getattr(args, "setting_sources", {})
    labels = getattr(args, "setting_labels", {})
    for s in SETTINGS:
        if only is not None and s.dest not in only:
            continue
        if not hasattr(args, s.dest) or s.dest in sources:
            continue
        if not _unset(getattr(args, s.dest)):
            sources[s.dest] = "flag"
        elif (name := next((n for n in (s.env, *s.aliases) if env.get(n) not in (None, "")), None)) is not None:
            setattr(args, s.dest, _convert(s, env[name], f"{name}={env[name]}"))
            sources[s.dest], labels[s.dest] = name, f"{name}={env[name]}"
        elif only is None and s.in_file and s.dest in file_settings:
            value = _convert(s, file_settings[s.dest], f"{file_name} settings.{s.dest}")
            setattr(args, s.dest, _from_file(value, file_dir) if s.is_path else value)
            sources[s.dest], labels[s.dest] = f"{file_name} settings", f"{file_name} settings.{s.dest}"
        elif only is None:
            setattr(args, s.dest, s.default if not isinstance(s.default, list) else list(s.default))
    args.setting_sources, args.setting_labels = sources, labels


def _from_file(value, file_dir: str | None):
    """A path (or list of paths) written in the policies file, made relative to the working directory."""
    if not file_dir:
        return value
    base = os.path.relpath(file_dir)
    if isinstance(value, list):
        return [os.path.normpath(os.path.join(base, p)) for p in value]
    return os.path.normpath(os.path.join(base, value))
