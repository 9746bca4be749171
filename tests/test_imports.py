"""Commands import what they need when they need it: building the whole argument parser (every command's
flags, as `argus --help` and `argus <command> --help` do) imports none of the heavy libraries, which only some
runs of some commands use. A structural check on sys.modules in a fresh interpreter, not a timing."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("lark", "jsonschema", "sqlite3", "azure", "jsonpath_ng", "rich", "argcomplete")

PROBE = """
import json, sys
import argus.commands.cli
argus.commands.cli.build_parser()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_building_the_parser_imports_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    assert not loaded & set(HEAVY), f"imported while building the parser: {sorted(loaded & set(HEAVY))}"


def test_the_cloud_names_of_the_flags_are_the_collectors():
    from argus.collection import argclient
    from argus.commands import flags
    assert flags.CLOUDS == tuple(sorted(argclient.CLOUDS))


def test_a_lazy_module_is_imported_on_first_use():
    probe = ("import sys; from argus.state import history; assert 'sqlite3' not in sys.modules; "
             "history.sqlite3.connect(':memory:').close(); assert 'sqlite3' in sys.modules")
    subprocess.run([sys.executable, "-c", probe], check=True)
