"""Scan settings from three places, in order of precedence: command-line flags > `ARGUS_*` environment
variables > the `settings:` section of policies.yaml > built-in defaults.

In: the flags a command was given for its settings (a plain dict, dest -> value; unset ones are None/False/
empty), the policies file's settings, the file's name and directory, and the environment. Out: a frozen
`Resolved`: each setting's value, where it came from (shown by `--format json` in run.settings) and how messages
name it, and the ARGUS_PARAM_* parameters with their origins; nothing else is read or changed (the commands
build the flags from their argparse Namespace). Bad values name their source (`ARGUS_FAIL_ON=...`,
`policies.yaml settings.fail_on`).
Paths from the policies file (snapshot, rules, waivers, baseline, history) are relative to that file, as its
policies' rule paths are; paths from flags and the environment are relative to the working directory.
`describe` names where a setting came from, for messages about its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from argus.errors import UserError
from argus.model import SEVERITIES


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


@dataclass(frozen=True)
class Resolved:
    """The settings a command has, resolved. `values`: dest -> value; `sources`: dest -> "flag", the variable's
    name or "<file> settings" (absent: the built-in default), in SETTINGS order, as run.settings shows them;
    `labels`: dest -> how messages name a value from the environment or the file (`describe`). `params`: the
    NAME=VALUE parameters, ARGUS_PARAM_* variables first, then --param flags; `param_origins`: parameter name ->
    the ARGUS_PARAM_* variable it came from."""
    values: Mapping[str, object]
    sources: Mapping[str, str]
    labels: Mapping[str, str]
    params: tuple[str, ...] = ()
    param_origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, dest: str):
        return self.values[dest]

    def get(self, dest: str, default=None):
        return self.values.get(dest, default)


def config_file(flag: str | None, environ=None) -> str | None:
    """The policies file a command reads: --config, else ARGUS_CONFIG (or its older name ARGUS_POLICIES), else
    policies.yaml found from the working directory up to the repository root; None when there is none."""
    from argus import resources
    return resolve_early({"policies": flag}, environ).get("policies") or resources.find_config()


def resolve_early(flags: Mapping[str, object], environ=None) -> Resolved:
    """Settings needed before policies.yaml is read: which file, which policy. ``flags``: as for `resolve`."""
    return _resolve(flags, {}, environ, only=("policies", "policy"))


def resolve(flags: Mapping[str, object], file_settings: dict | None = None, file_name: str = "policies.yaml",
            environ=None, *, file_dir: str | None = None, params=()) -> Resolved:
    """Every setting in ``flags`` (dest -> the flag's value, unset as None/False/[]; a setting the command has
    no flag for is left out and not resolved), unset ones from the environment, then ``file_settings`` (the
    policies file's `settings:`, named ``file_name`` in messages; its relative paths are taken from
    ``file_dir``), then the default. ``params``: the --param NAME=VALUE flags, which win over ARGUS_PARAM_*."""
    env = os.environ if environ is None else environ
    resolved = _resolve(flags, file_settings or {}, env, only=None, file_name=file_name, file_dir=file_dir)
    given = {p.partition("=")[0].strip() for p in params or ()}
    origins = {key[len(PARAM_PREFIX):].lower(): key for key in sorted(env) if key.startswith(PARAM_PREFIX)}
    origins = {name: key for name, key in origins.items() if name not in given}  # a --param flag wins
    merged = tuple(f"{name}={env[key]}" for name, key in origins.items()) + tuple(params or ())
    return replace(resolved, params=merged, param_origins=MappingProxyType(origins))


def describe(resolved: Resolved, dest: str) -> str:
    """Where a setting's value came from, as messages name it: --fail-on-new, ARGUS_FAIL_ON_NEW=true,
    policies.yaml settings.fail_on_new."""
    return resolved.labels.get(dest) or f"--{dest.replace('_', '-')}"


def blame(resolved: Resolved, error: UserError, dests: tuple[str, ...]) -> UserError:
    """``error``, prefixed with the environment variable or file setting whose value it is about (the message
    starts with the value or quotes it), so a bad ARGUS_POLICY=... is not mistaken for a bad flag."""
    message = str(error)
    for dest in dests:
        value, label = resolved.get(dest), resolved.labels.get(dest)
        if label and isinstance(value, str) and (message.startswith(value) or f"'{value}'" in message):
            return UserError(f"{label}: {message}")
    return error


def _resolve(flags: Mapping[str, object], file_settings: dict, environ, only, file_name: str = "policies.yaml",
             file_dir: str | None = None) -> Resolved:
    env = os.environ if environ is None else environ
    values, sources, labels = {}, {}, {}
    for s in SETTINGS:
        if (only is not None and s.dest not in only) or s.dest not in flags:
            continue
        if not _unset(flags[s.dest]):
            values[s.dest], sources[s.dest] = flags[s.dest], "flag"
        elif (name := next((n for n in (s.env, *s.aliases) if env.get(n) not in (None, "")), None)) is not None:
            values[s.dest] = _convert(s, env[name], f"{name}={env[name]}")
            sources[s.dest], labels[s.dest] = name, f"{name}={env[name]}"
        elif only is None and s.in_file and s.dest in file_settings:
            value = _convert(s, file_settings[s.dest], f"{file_name} settings.{s.dest}")
            values[s.dest] = _from_file(value, file_dir) if s.is_path else value
            sources[s.dest], labels[s.dest] = f"{file_name} settings", f"{file_name} settings.{s.dest}"
        elif only is None:
            values[s.dest] = s.default if not isinstance(s.default, list) else list(s.default)
        else:
            values[s.dest] = flags[s.dest]  # early: left unset, for the full resolution to fill
    return Resolved(MappingProxyType(values), MappingProxyType(sources), MappingProxyType(labels))


def _from_file(value, file_dir: str | None):
    """A path (or list of paths) written in the policies file, made relative to the working directory."""
    if not file_dir:
        return value
    base = os.path.relpath(file_dir)
    if isinstance(value, list):
        return [os.path.normpath(os.path.join(base, p)) for p in value]
    return os.path.normpath(os.path.join(base, value))
