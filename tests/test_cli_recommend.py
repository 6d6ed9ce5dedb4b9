"""``pulserec recommend``: every user's list to JSONL, CSV or Parquet, in process over a data
dir (the engine started as ``serve`` starts it) or over HTTP through the batch route."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from pulserec.api.app import create_app
from pulserec.app.settings import Settings
from pulserec.artifacts import ArtifactStore
from pulserec.cli.recommend import run_recommend
from pulserec.core.config import ServerSettings
from pulserec.core.types import User
from pulserec.engine.runtime import MODELS_DIR
from pulserec.storage import DB_FILENAME, SqliteStore
from pulserec.storage.ingest import Ingestor
from pulserec.testing.server import run_cli
from tests.engine.conftest import build, catalog, events, filled_store
from tests.web.test_page import ThreadedServer

USERS = 25  # u00..u35 (24 with events) and "fan"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The four-theme catalog in a SQLite data dir; the engine uses item kNN and hashing."""
    for name, value in {
        "PULSEREC_ITEM_ENCODER": "hashing",
        "PULSEREC_QUERY_ENCODER": "hashing",
        "PULSEREC_MODELS": "itemknn",
    }.items():
        monkeypatch.setenv(name, value)
    folder = tmp_path / "data"
    store = SqliteStore(folder / DB_FILENAME)
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_users([User("fan", preferences="rocket galaxy astronaut")])
    ingestor.add_events(events())
    store.close()
    return folder


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_recommend_all_to_jsonl_with_a_progress_bar(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "lists.jsonl"
    result = run_cli(
        "recommend", "--all", "--k", "5", "--out", str(out), "--data-dir", str(data_dir)
    )
    assert result.returncode == 0, result.stderr
    assert "recommending" in result.stderr and f"{USERS}/{USERS}" in result.stderr
    assert f"wrote {USERS} users' lists" in result.stderr
    lists = _jsonl(out)
    assert len(lists) == USERS
    by_user = {entry["user_id"]: entry for entry in lists}
    assert set(by_user) == {f"u{t}{m}" for t in range(4) for m in range(6)} | {"fan"}
    for entry in lists:
        assert len(entry["items"]) == 5  # type: ignore[arg-type]
        assert entry["model_version"] != "none"
    cooking = [item["id"] for item in by_user["u10"]["items"]]  # type: ignore[index]
    assert sum(i.startswith("cooking-") for i in cooking[:3]) == 3


def test_recommend_reads_the_store_and_artifacts_settings(data_dir: Path, tmp_path: Path) -> None:
    """Models published elsewhere (``--artifacts``) serve the lists; none land in the data
    dir."""
    artifacts, out = tmp_path / "published", tmp_path / "lists.jsonl"
    trained = run_cli("train", "--data-dir", str(data_dir), "--artifacts", str(artifacts))
    assert trained.returncode == 0, trained.stderr
    version = ArtifactStore(artifacts / MODELS_DIR).latest()
    args = ["--all", "--k", "3", "--out", str(out), "--data-dir", str(data_dir)]
    result = run_cli("recommend", *args, "--artifacts", str(artifacts))
    assert result.returncode == 0, result.stderr
    assert {entry["model_version"] for entry in _jsonl(out)} == {version}
    assert not (data_dir / MODELS_DIR).exists()


def test_recommend_users_file_to_csv_and_parquet(data_dir: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    users.write_text("u20\n\nnewcomer\nu20\n")
    jsonl, table, parquet = tmp_path / "a.jsonl", tmp_path / "a.csv", tmp_path / "a.parquet"
    for out in (jsonl, table, parquet):
        assert (
            run_recommend(users, 4, out, Settings.load({"data_dir": data_dir}), progress=False)[0]
            == 2
        )
    lists = _jsonl(jsonl)
    assert [entry["user_id"] for entry in lists] == ["u20", "newcomer"]
    expected = [
        {
            "user_id": entry["user_id"],
            "rank": str(rank),
            "item_id": item["id"],
            "model_version": entry["model_version"],
        }
        for entry in lists
        for rank, item in enumerate(entry["items"], start=1)  # type: ignore[arg-type]
    ]
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [{k: v for k, v in r.items() if k != "score"} for r in rows] == expected
    columns = pq.read_table(parquet).to_pylist()
    assert [(r["user_id"], r["rank"], r["item_id"]) for r in columns] == [
        (e["user_id"], int(e["rank"]), e["item_id"]) for e in expected
    ]
    assert all(isinstance(r["score"], float) for r in columns)


def test_recommend_over_http_matches_the_server(tmp_path: Path) -> None:
    store = filled_store()
    runtime = build(store, tmp_path / "served", ("itemknn",))
    with ThreadedServer(create_app(store, ServerSettings(), runtime=runtime)) as server:
        out = tmp_path / "remote.jsonl"
        done, version = run_recommend(None, 3, out, Settings(), server.url, progress=False)
    store.close()
    assert done == USERS and version == runtime.engine.model_version
    for entry in _jsonl(out):
        expected = runtime.engine.recommend(str(entry["user_id"]), 3)
        assert entry["items"] == [item.as_json() for item in expected.items]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--out", "x.jsonl"], "give --users FILE or --all"),
        (["--all", "--users", "u.txt", "--out", "x.jsonl"], "give --users FILE or --all"),
        (["--all", "--out", "x.txt"], "--out must end in"),
        (["--all", "--out", "x.csv", "--k", "0"], "--k must be between 1 and 1000"),
        (["--all", "--out", "x.csv", "--data-dir", "{tmp}/none"], "no pulserec store"),
        (["--users", "{tmp}/missing.txt", "--out", "x.csv"], "cannot read users"),
        (["--all", "--out", "x.csv", "--url", "http://127.0.0.1:9"], "cannot reach"),
    ],
)
def test_recommend_bad_requests_fail_with_one_line(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    result = run_cli("recommend", *argv)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and reason in lines[0], result.stderr
    assert not list(tmp_path.glob("x.*"))


def test_recommend_with_filters_in_process_and_over_http(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "garden.jsonl"
    base = ["recommend", "--all", "--k", "5", "--data-dir", str(data_dir)]
    result = run_cli(*base, "--out", str(out), "--filter", "category:garden", "--filter", "!tag:x")
    assert result.returncode == 0, result.stderr
    for entry in _jsonl(out):
        assert entry["items"] and all(
            str(item["id"]).startswith("garden-")  # type: ignore[index]
            for item in entry["items"]  # type: ignore[attr-defined]
        )
    refused = run_cli(*base, "--out", str(tmp_path / "x.jsonl"), "--filter", "label:Sony")
    assert refused.returncode != 0 and "'label'" in refused.stderr
    assert not (tmp_path / "x.jsonl").exists()
    store = filled_store()
    runtime = build(store, tmp_path / "served", ("itemknn",))
    with ThreadedServer(create_app(store, ServerSettings(), runtime=runtime)) as server:
        remote = tmp_path / "remote.jsonl"
        settings = Settings()
        run_recommend(None, 3, remote, settings, server.url, progress=False, filters=["tag:music"])
        with pytest.raises(ValueError, match="label"):
            run_recommend(None, 3, tmp_path / "y.jsonl", settings, server.url, filters=["label:x"])
    runtime.close()
    store.close()
    assert not (tmp_path / "y.jsonl").exists()
    for entry in _jsonl(remote):
        assert all(str(i["id"]).startswith("music-") for i in entry["items"])  # type: ignore[attr-defined,index]
