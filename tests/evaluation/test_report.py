"""Report files: results.json in API.md's shape, report.md, PNG plots."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pulserec.evaluation.data import EvalData
from pulserec.evaluation.report import write_report
from pulserec.evaluation.runner import evaluate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_results_json_has_the_api_shape(data: EvalData, tiny_models: None, tmp_path: Path) -> None:
    result = evaluate(data, "random", ["tinypop", "tfidf"], k=10, seed=3, progress=False)
    files = write_report(result, tmp_path / "out", "pulserec evaluate --protocol random")
    names = {f.name for f in files}
    assert {"results.json", "report.md", "metrics.png", "recall_curve.png"} <= names
    assert "popularity_bias.png" in names
    for png in (f for f in files if f.suffix == ".png"):
        assert png.read_bytes().startswith(PNG_MAGIC)
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {"dataset", "protocol", "k", "seed", "models"} <= set(doc)
    assert (doc["dataset"], doc["protocol"], doc["k"], doc["seed"]) == (
        "synthetic",
        "random",
        10,
        3,
    )
    for entry in doc["models"].values():
        assert {"metrics", "fit_seconds", "params"} <= set(entry)
        assert isinstance(entry["fit_seconds"], float) and isinstance(entry["params"], dict)
        for key in entry["metrics"]:
            assert re.fullmatch(r"(precision|recall|f1|ndcg|map|mrr|hit)@\d+", key) or key in {
                "coverage",
                "novelty",
                "diversity",
                "gini",
            }
        assert "ndcg@10" in entry["metrics"] and "recall@10" in entry["metrics"]
        assert "default_params_metrics" in entry and "tuning" in entry
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| tinypop |" in report and "Environment:" in report and "CPUs" in report
    assert "pulserec evaluate --protocol random" in report and "one-hot genre" in report


def test_ratings_report(data: EvalData, tiny_models: None, tmp_path: Path) -> None:
    result = evaluate(data, "ratings", ["tinymean"], k=10, seed=0, progress=False)
    write_report(result, tmp_path, "cmd")
    doc = json.loads((tmp_path / "results.json").read_text())
    assert set(doc["models"]["tinymean"]["metrics"]) == {"mae", "rmse"}
    assert (tmp_path / "metrics.png").read_bytes().startswith(PNG_MAGIC)
    assert "| tinymean |" in (tmp_path / "report.md").read_text()


def test_parity_rows_compare_defaults_with_recbole_peers() -> None:
    from pulserec.evaluation.report import markdown, parity_rows
    from pulserec.evaluation.runner import EvalResult, ModelResult

    figures = {"recall@10": 0.281, "ndcg@10": 0.30, "mrr@10": 0.528, "hit@10": 0.82}
    figures["precision@10"] = 0.221
    tuned = {**figures, "ndcg@10": 0.40}
    ease = ModelResult("ease", tuned, 0.1, {"l2": 500.0}, {"l2": 250.0}, figures, {"trials": []})
    als = ModelResult("als", {**figures, "ndcg@10": 0.40}, 0.1, {}, {}, figures, {"trials": []})
    result = EvalResult(
        "movielens-100k", "random", 10, 2020, [10], {"ease": ease, "als": als}, {}, []
    )
    rows = {(r["model"], r["metric"]): r for r in parity_rows(result)}
    assert rows[("ease", "recall@10")]["verdict"] == "yes"
    assert rows[("ease", "ndcg@10")]["verdict"] == "NO"  # defaults 0.30 vs 0.330: -9%
    assert rows[("als", "ndcg@10")]["verdict"] == "above (tuned vs tuned)"
    assert "very same test set" in markdown(result, "cmd")
    assert parity_rows(EvalResult("x", "loo", 10, 0, [10], {"ease": ease}, {}, [])) == []
