"""What argus ships inside its package, found through importlib.resources, and the user's project config.

In: nothing but the installed package (and, for `find_config`, the working directory). Out: file-system paths
of the bundled rule pack, default policies, KQL queries, example estate, schemas and grammar; and the
policies.yaml a command should use when none is named. The repository keeps rules/, queries/, policies.yaml
and examples/ at its top; engine/_data links them so a checkout and an installed wheel look alike.
A bundled file that is missing means a broken install: one UserError naming the resource and the package.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from argus.errors import UserError

PACKAGE = __package__ or "argus"
CONFIG_NAME = "policies.yaml"


def path(*parts: str) -> str:
    """The real path of a bundled file or directory; a broken install is a UserError (exit 2)."""
    root = resources.files(PACKAGE)
    node = root.joinpath(*parts)
    name = "/".join(parts)
    if not isinstance(node, Path):  # a zip import: argus reads its pack with ordinary file APIs
        raise UserError(f"argus is installed as a zip archive ({root}); bundled resource '{name}' needs "
                        "an ordinary install (pip install argus)")
    if not node.exists():
        raise UserError(f"broken installation: bundled resource '{name}' is missing from package '{PACKAGE}' "
                        f"({root}); reinstall argus")
    return os.path.realpath(node)  # in a checkout: the repository's own rules/, so paths print as rules/...


def text(*parts: str) -> str:
    try:
        return Path(path(*parts)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"broken installation: cannot read bundled resource '{'/'.join(parts)}' of package "
                        f"'{PACKAGE}': {exc}; reinstall argus") from None


def rules_dir() -> str:
    return path("_data", "rules")


def policies_file() -> str:
    return path("_data", CONFIG_NAME)


def queries_dir() -> str:
    return path("_data", "queries")


def example_snapshot() -> list[str]:
    """The bundled example estate: its ARG tables and the appliance's facts."""
    return [path("_data", "example", "estate"), path("_data", "example", "appliance", "contoso-mig-app01.facts.json")]


def schema_text(name: str) -> str:
    return text("schemas", name)


def find_config(start: str | None = None) -> str | None:
    """The project's policies.yaml: in `start` (the working directory) or a parent, up to the root of the
    repository holding it (a directory with .git). Outside a repository only `start` itself is looked at, so
    a stray file in a parent of a scratch directory is never picked up."""
    here = Path(start or os.getcwd()).resolve()
    chain = [here, *here.parents]
    repo = next((d for d in chain if (d / ".git").exists()), None)
    for d in (chain[:chain.index(repo) + 1] if repo is not None else [here]):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return display(str(candidate))
    return None


def display(p: str) -> str:
    """A path as argus prints it: relative when it lies under the working directory, else absolute (never a
    climb of `../..` out of it, e.g. into site-packages)."""
    full = os.path.abspath(p)
    return os.path.relpath(full) if inside(full, os.getcwd()) else full


def inside(path: str, directory: str) -> bool:
    """Whether `path` is `directory` or lies under it (both made absolute; no file system access)."""
    path, directory = os.path.abspath(path), os.path.abspath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
