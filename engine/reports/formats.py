"""Output formats: report document -> text in one of the supported formats.

In: the report document (argus.reports.report) and per-format options. Out: the rendered text. FORMATS maps each
format name to the module and function that renders it; modules are imported only when used.
"""

from __future__ import annotations

import importlib
import json

import orjson

FORMATS: dict[str, tuple[str, str]] = {
    "text": ("argus.reports.textout", "render"),
    "json": ("argus.reports.formats", "render_json"),
    "sarif": ("argus.reports.sarif", "render"),
    "junit": ("argus.reports.junit", "render"),
    "markdown": ("argus.reports.markdown", "render"),
    "github": ("argus.reports.cicommands", "render_github"),            # workflow commands: annotations in a run
    "azuredevops": ("argus.reports.cicommands", "render_azuredevops"),  # logging commands: issues in a pipeline
}


def render_json(doc: dict, **_options) -> str:
    return indented_json(doc)


def indented_json(value, default=None) -> str:
    """`value` as indented JSON text ending in a newline (orjson; an integer beyond 64 bits, which msgspec reads
    exactly from a snapshot and orjson cannot write, goes through the stdlib writer in the same layout)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=default).decode() + "\n"
    except TypeError:
        return json.dumps(value, indent=2, ensure_ascii=False, default=default) + "\n"


def render(fmt: str, doc: dict, **options) -> str:
    module, func = FORMATS[fmt]
    return getattr(importlib.import_module(module), func)(doc, **options)
