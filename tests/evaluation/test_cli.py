"""``pulserec evaluate``: bad input fails with one line; a run writes its files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pulserec.core.types import Event, EventType, Item
from pulserec.engine.config import EngineConfig
from pulserec.evaluation import cli as eval_cli
from pulserec.evaluation.data import EvalData, from_records
from pulserec.evaluation.store_data import load_store_data
from pulserec.storage import DB_FILENAME, SqliteStore
from tests.evaluation.conftest import GENRES

HASHING = EngineConfig(item_encoder="hashing")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulserec", "evaluate", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--protocol", "bogus"], "unknown protocol"),
        (["--protocol", "random", "--models", "pop,nosuchmodel"], "unknown model"),
        (["--protocol", "random", "--dataset", "nope"], "unknown data set"),
        (["--protocol", "random", "--k", "0"], "--k"),
        ([], "--protocol is required"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(args: list[str], reason: str) -> None:
    result = _run(*args)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and reason in lines[0], result.stderr


def test_run_evaluate_writes_files(
    data: EvalData,
    tiny_models: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(eval_cli, "load_eval_data", lambda name, progress: data)
    code = eval_cli.run_evaluate(
        "movielens-100k", "loo", ["tinypop"], 10, 0, tmp_path / "o", progress=False
    )
    assert code == 0
    out = capsys.readouterr()
    assert "tinypop" in out.out and "hit@10" in out.out
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    assert doc["protocol"] == "loo" and "tinypop" in doc["models"]
    assert eval_cli.run_evaluate("movielens-100k", "ratings", ["tinypop"], 10, 0, tmp_path) == 2
    assert "do not predict ratings" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_pop_on_movielens_matches_recbole_on_its_own_split(tmp_path: Path) -> None:
    args = ["--protocol", "random", "--models", "pop", "--seed", "2020", "--out", str(tmp_path)]
    result = _run(*args)
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["split"]["test_users"] == 943 and doc["split"]["test"] == 9_596
    figures = doc["models"]["pop"]["default_params_metrics"]
    recbole = {"recall": 0.127, "ndcg": 0.141, "mrr": 0.266, "hit": 0.576, "precision": 0.102}
    for name, peer in recbole.items():  # BENCHMARKS.md, RecBole 1.2.1 Pop at seed 2020
        assert figures[f"{name}@10"] == pytest.approx(peer, rel=0.03), name
    assert (tmp_path / "report.md").is_file() and (tmp_path / "metrics.png").is_file()


def _stored_records() -> tuple[list[Item], list[Event]]:
    """Items with titles and genres; 40 users rating 8-20 items each at distinct times."""
    rng = np.random.default_rng(3)
    items = [Item(f"i{n}", f"Film {n}", categories=(GENRES[n % 5],)) for n in range(60)]
    weights = 1.0 / np.arange(1, 61)
    events = []
    stamp = 1_000_000.0
    for u in range(40):
        picks = rng.choice(
            60, size=int(rng.integers(8, 21)), replace=False, p=weights / weights.sum()
        )
        for item in picks:
            stamp += 1.0
            value = float(rng.integers(1, 6))
            events.append(Event(f"u{u}", f"i{item}", EventType.RATING, stamp, value))
    return items, events


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PULSEREC_ITEM_ENCODER", "hashing")  # for the CLI, through Settings
    folder = tmp_path / "data"
    store = SqliteStore(folder / DB_FILENAME)
    items, events = _stored_records()
    store.upsert_items(items)
    store.append_events(events)
    store.close()
    return folder


@pytest.mark.parametrize("protocol", ["temporal", "random", "loo", "cold-items"])
def test_evaluate_on_a_data_dir_matches_the_same_records_as_a_dataset(
    data_dir: Path,
    tiny_models: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    protocol: str,
) -> None:
    stored = tmp_path / "stored"
    code = eval_cli.run_evaluate(
        "movielens-100k",
        protocol,
        ["tinypop"],
        5,
        0,
        stored,
        progress=False,
        data_dir=data_dir,
        config=HASHING,
    )
    assert code == 0, capsys.readouterr().err
    assert "tinypop" in capsys.readouterr().out
    doc = json.loads((stored / "results.json").read_text())
    assert doc["dataset"] == str(data_dir) and doc["protocol"] == protocol and doc["k"] == 5
    assert (stored / "report.md").is_file() and (stored / "metrics.png").is_file()
    assert f"--data-dir {data_dir}" in (stored / "report.md").read_text()
    items, events = _stored_records()
    same = from_records("same", items, events)
    monkeypatch.setattr(eval_cli, "load_eval_data", lambda name, progress: same)
    named = tmp_path / "named"
    assert eval_cli.run_evaluate("movielens-100k", protocol, ["tinypop"], 5, 0, named, False) == 0
    twin = json.loads((named / "results.json").read_text())
    mine, theirs = doc["models"]["tinypop"]["metrics"], twin["models"]["tinypop"]["metrics"]
    assert set(mine) == set(theirs)
    # the same split and lists; only intra-list diversity differs: the data dir's run has item
    # text embeddings, the twin one-hot genres
    assert {m: v for m, v in mine.items() if m != "diversity"} == {
        m: v for m, v in theirs.items() if m != "diversity"
    }
    assert doc["split"] == twin["split"]


def test_evaluate_data_dir_uses_item_text_embeddings(data_dir: Path) -> None:
    data = load_store_data(data_dir, HASHING, progress=False)
    assert data.name == str(data_dir) and data.encoder == "hashing"
    assert data.text_vectors is not None and len(data.text_vectors.ids) == 60
    assert data.interactions.n_users == 40 and data.item_titles[0] == "Film 0"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--protocol", "random", "--data-dir", "{tmp}/empty"], "no pulserec store"),
        (["--protocol", "replay", "--data-dir", "{tmp}"], "needs --dataset"),
        (["--protocol", "ratings", "--data-dir", "{tmp}"], "needs --dataset"),
        (
            ["--protocol", "loo", "--data-dir", "{tmp}", "--dataset", "movielens-100k"],
            "not both",
        ),
    ],
)
def test_evaluate_data_dir_bad_input_is_one_line(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    result = _run(*[arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and reason in lines[0], result.stderr
