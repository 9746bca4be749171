"""A module imported on first use, for modules that only some runs of a command need.

In: a module name. Out: a stand-in whose first attribute read imports the module (and every read after that
reads the module's attribute). Why: `argus --help` and building the argument parser import every command
module; sqlite3 (history) and the like are needed only when the command actually runs that path, and a
plain `import` at the top of the module would make every command pay for them. Nothing is put in
sys.modules until the first use, so what a command imported stays visible (tests/test_imports.py).
"""

from __future__ import annotations

import importlib


class Lazy:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def module(name: str) -> Lazy:
    return Lazy(name)
