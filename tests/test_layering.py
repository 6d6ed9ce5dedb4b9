"""The API and the chat reach the engine only through its facade, and only the composition
root reads ``PULSEREC_*`` settings from the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pulserec"
FACADE_USERS = sorted((SRC / "api").rglob("*.py")) + sorted((SRC / "llm").rglob("*.py"))
# what api/ and llm/ may import from pulserec.engine, by module (None: any name)
ALLOWED: dict[str, set[str] | None] = {
    "pulserec.engine.facade": {
        "Engine",
        "UnknownItem",
        "DEFAULT_WINDOW",
        "FilterError",
        "MAX_FILTERS",
    },
    "pulserec.engine.serving.results": None,  # the answer types
    "pulserec.engine.runtime": {"Runtime"},  # the handle: facade, write path, trainer
    "pulserec.engine.lifecycle.training": {"TrainingConflict"},
}
# the online state and the request path's parts, never read from outside the engine
INTERNALS = {
    "catalog", "user_states", "users", "items", "bundle", "store", "state", "trending",
    "event_log", "explainer", "answers", "write_lock", "applied_seq", "applied_event_seq",
    "rank", "allowed", "answer", "taste", "popularity", "trending_now", "adopt_maps",
    "follower", "served", "config", "item_encoder",
}  # fmt: skip


def _is_engine(node: ast.expr) -> bool:
    """``engine``, ``self.engine``, ``runtime.engine``, ``services.runtime.engine``..."""
    return (isinstance(node, ast.Name) and node.id == "engine") or (
        isinstance(node, ast.Attribute) and node.attr == "engine"
    )


def _violations(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pulserec.engine"):
            module = node.module or ""
            if module not in ALLOWED:
                found.append(f"{where}:{node.lineno} imports {module}")
                continue
            names = ALLOWED[module]
            for alias in node.names:
                if names is not None and alias.name not in names:
                    found.append(f"{where}:{node.lineno} imports {module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pulserec.engine"):
                    found.append(f"{where}:{node.lineno} imports {alias.name}")
        elif (
            isinstance(node, ast.Attribute)
            and _is_engine(node.value)
            and (node.attr in INTERNALS or node.attr.startswith("_"))
        ):
            found.append(f"{where}:{node.lineno} reads engine.{node.attr}")
    return found


@pytest.mark.parametrize("path", FACADE_USERS, ids=lambda p: str(p.relative_to(SRC)))
def test_api_and_llm_use_only_the_engine_facade(path: Path) -> None:
    assert _violations(path.read_text(encoding="utf-8"), str(path.relative_to(SRC))) == []


def test_the_check_catches_a_reach_into_the_engine() -> None:
    source = (
        "from pulserec.engine.state.catalog import Catalog\n"
        "from pulserec.engine.facade import Engine, _EMPTY\n"
        "import pulserec.engine.serving.lookups\n"
        "def f(self, engine):\n"
        "    return engine.state.catalog, self.engine.state.user_states, engine.recommend\n"
    )
    found = _violations(source, "probe.py")
    assert len(found) == 5, found


# modules that may touch os.environ: the composition root, the thread limit, the test helper
# that starts a child with an environment, the offline flags of the model files, benchmarks
ENV_READERS = {"core/config.py", "testing/server.py", "encoders/model_files.py"}


def _reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            return True
    return False


def test_only_the_composition_root_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if _reads_environment(path)
        and path.relative_to(SRC).parts[0] not in ("app",)
        and str(path.relative_to(SRC)) not in ENV_READERS
    ]
    assert readers == []


def test_no_library_code_rereads_the_settings() -> None:
    """Settings are read once by the composition root or a CLI command: no ``from_env``
    back door, and only drivers (``app``, ``cli*``, ``bench``) call ``Settings.load``."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        text = path.read_text(encoding="utf-8")
        if "def from_env" in text or "def start_runtime" in text:
            found.append(f"{relative}: a from_env/start_runtime back door")
        driver = relative.parts[0] in ("app", "cli")
        if "Settings.load(" in text and not driver:
            found.append(f"{relative}: reads the settings itself")
    assert found == []
