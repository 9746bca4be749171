"""The one factory of JSON Schema validators for argus' own schemas (engine/schemas/*.json).

In: a bundled schema's file name, optionally one of its `$defs` to validate against, and whether to check
formats (dates as dates). Out: a cached Draft 2020-12 validator whose `$ref`s between bundled schemas resolve
from the package, never fetched. jsonschema is imported on first use: most commands never validate anything.
"""

from __future__ import annotations

import json
from functools import lru_cache

from argus import resources

BUNDLED = ("appliance-facts.schema.json", "policies.schema.json", "report.schema.json", "waivers.schema.json")


@lru_cache(maxsize=None)
def _schemas() -> dict:
    return {name: json.loads(resources.schema_text(name)) for name in BUNDLED}


@lru_cache(maxsize=None)
def validator(name: str, definition: str | None = None, formats: bool = True):
    import jsonschema
    from referencing import Registry, Resource

    schemas = _schemas()
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    schema = schemas[name]
    if definition is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    checker = jsonschema.FormatChecker() if formats else None
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=checker)
