"""``pulserec evaluate``: bad input fails with one line; a run writes its files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pulserec.evaluation import cli as eval_cli
from pulserec.evaluation.data import EvalData


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
