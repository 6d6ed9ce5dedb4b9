"""The OpenAPI document as Swagger UI 4 reads it (``GET /docs/openapi.json``).

FastAPI writes OpenAPI 3.1; the Swagger UI of the pinned ``swagger-ui-bundle`` (4.15) renders
3.0 only. This copy for the docs page says 3.0.3 and rewrites the 3.1 forms FastAPI uses
(``anyOf`` with ``null``, schema ``examples``, ``const``, numeric exclusive bounds).
``/openapi.json`` stays the 3.1 original.
"""

from __future__ import annotations

from typing import Any

VERSION = "3.0.3"


def openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """A 3.0 rendering of a FastAPI 3.1 document (the input is not changed)."""
    converted = _convert(document)
    assert isinstance(converted, dict)
    converted["openapi"] = VERSION
    return converted


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _convert(value) for key, value in node.items()}
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del out["anyOf"]
        out.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        out["nullable"] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    examples = out.get("examples")
    if isinstance(examples, list) and "type" in out:
        out.pop("examples")
        if examples:
            out["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[plain], out[bound] = value, True
    return out
