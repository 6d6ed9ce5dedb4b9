"""The replay protocol's reports name the data set they ran on (ml-100k unless told)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulserec.engine.config import EngineConfig
from pulserec.evaluation import cli as eval_cli
from pulserec.evaluation.replay import ReplayResult, replay_markdown, replay_results_json

RESULTS = [
    ReplayResult("pop", "frozen", 10, 100, 1.0, 0.5),
    ReplayResult("pop", "online", 20, 100, 2.0, 0.5),
]


def test_reports_default_to_movielens_100k() -> None:
    assert replay_results_json(RESULTS, 10, "cmd")["dataset"] == "movielens-100k"
    assert replay_markdown(RESULTS, 10, "cmd").startswith("# movielens-100k · replay")


def test_evaluate_passes_the_dataset_and_config_to_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[tuple[str, EngineConfig | None]] = []

    def fake_replay(
        models: list[str] | None, k: int, progress: bool, dataset: str, config: EngineConfig | None
    ) -> list[ReplayResult]:
        asked.append((dataset, config))
        return RESULTS

    monkeypatch.setattr(eval_cli, "run_replay", fake_replay)
    out = tmp_path / "r"
    config = EngineConfig(positive_rating=3.0)
    code = eval_cli.run_evaluate(
        "movielens-1m", "replay", ["pop"], 10, 0, out, progress=False, config=config
    )
    assert code == 0 and asked == [("movielens-1m", config)]
    figures = json.loads((out / "results.json").read_text())
    assert figures["dataset"] == "movielens-1m"
    assert "--dataset movielens-1m" in figures["command"]
    assert (out / "report.md").read_text().startswith("# movielens-1m · replay")
    assert "online / frozen" in (out / "report.md").read_text()
    assert "movielens-1m" in capsys.readouterr().out
