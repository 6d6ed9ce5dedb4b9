"""Schemathesis fuzzes every operation of ``/openapi.json`` over a small seeded catalog: no 5xx,
and every response matches the schema the app publishes (errors included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from pulserec.api.app import create_app
from pulserec.app.runtime import assemble
from pulserec.core.config import ServerSettings
from pulserec.core.schemas import EventIn, ItemIn, UserIn
from pulserec.engine.config import EngineConfig
from pulserec.engine.runtime import Runtime
from pulserec.storage import SqliteStore

Operation = APIOperation[Any, Any, Any, Any]
EXAMPLES = 30  # per operation and generation mode: the whole run stays well under a minute
# A schema-violating body may also be refused for its size (a huge string, many rows): 413.
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "404", "409", "413", "422"]
"""
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
]
# Failures in routes owned elsewhere, reported with their reproduction (issue 12, item 15);
# tolerated here until fixed, then removed from this table.
KNOWN_FAILURES: dict[str, str] = {}  # operation -> why it is skipped (none today)
GENRES = ("Comedy", "Drama", "Sci-Fi")


def _seed(runtime: Runtime) -> None:
    items = [
        ItemIn(
            id=str(i),
            title=f"Film {i}",
            description=f"A {GENRES[i % 3].lower()} about number {i}",
            categories=[GENRES[i % 3]],
            tags=[GENRES[i % 3], "classic"],
            attributes={"year": 1990 + i, "price": 5.0 + i},
        ).to_domain()
        for i in range(1, 13)
    ]
    runtime.ingestor.add_items(items)
    runtime.ingestor.add_users(
        [UserIn(id=f"u{u}", preferences="funny space films").to_domain() for u in range(4)]
    )
    events = [
        EventIn.model_validate(
            {"user_id": f"u{u}", "item_id": str(1 + (u * 5 + j) % 12), "type": kind}
        ).to_domain(1_700_000_000.0 + u * 10 + j)
        for u in range(4)
        for j, kind in enumerate(("view", "click", "purchase", "like"))
    ]
    runtime.ingestor.add_events(events)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    store = SqliteStore(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db")
    config = EngineConfig(models=(), item_encoder="hashing", query_encoder="hashing")
    runtime = assemble(store, config, progress=False)
    _seed(runtime)
    app = create_app(store, ServerSettings(), runtime)
    yield schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=SchemathesisConfig.from_str(CONFIG)
    )
    runtime.trainer.stop()
    store.close()


def _fuzz(operation: Operation, mode: GenerationMode) -> str | None:
    """The first failure of ``operation`` (shrunk by Hypothesis), or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def run(case: Case[Operation]) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, or only free-form strings)
        return None
    except (
        Exception,
        BaseExceptionGroup,
    ) as failure:  # a check failed: keep its report, go on with the others
        notes = "\n".join(getattr(failure, "__notes__", []))
        return f"{operation.label} ({mode.value}): {type(failure).__name__}: {failure}\n{notes}"
    return None


def test_every_operation_conforms_to_its_schema(api_schema: BaseSchema) -> None:
    failures = []
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if operation.label in KNOWN_FAILURES:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode)
            if failure is not None:
                failures.append(failure)
    assert not failures, "\n\n".join(failures)


def test_openapi_documents_the_error_format(api_schema: BaseSchema) -> None:
    spec = api_schema.raw_schema
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    post_events = spec["paths"]["/v1/events"]["post"]["responses"]
    assert {"400", "401", "413", "422", "503"} <= set(post_events)
    ref = post_events["422"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ErrorBody"
    assert "404" in spec["paths"]["/v1/items/{item_id}"]["get"]["responses"]
