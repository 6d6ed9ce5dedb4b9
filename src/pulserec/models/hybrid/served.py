"""What a fitted hybrid serves, for operators (:meth:`HybridRanker.served
<pulserec.models.hybrid.learned.HybridRanker.served>`)."""

from __future__ import annotations

from typing import Any

from pulserec.models.hybrid.blend import LinearBlend


def served_report(
    ranker: Any,
    fallback: str | None,
    served_by: str,
    sources: list[str],
    holdout: str | None,
    validation: dict[str, Any],
) -> dict[str, Any]:
    """The served configuration as the held-out events chose it: what answers (``blend``,
    ``lightgbm`` or a source's name), over which ``sources``, each candidate's held-out
    NDCG@10 and the sources left unfitted and why."""
    kind = "blend" if isinstance(ranker, LinearBlend) else "lightgbm"
    kind = "rrf" if ranker is None else kind  # unlearned: fused by reciprocal rank
    report: dict[str, Any] = {
        "served_by": served_by,
        "ranker": None if fallback is not None else kind,
        "sources": sources,
        "holdout": validation.get("holdout", holdout),
        "validation_ndcg@10": {
            key.partition(".")[2]: value
            for key, value in validation.items()
            if key.startswith(("source.", "ranker."))
        },
        "skipped": {
            key.partition(".")[2]: value
            for key, value in validation.items()
            if key.startswith("skipped.")
        },
    }
    if "served_ndcg@10" in validation:
        report["served_ndcg@10"] = validation["served_ndcg@10"]
    for key in ("order_lift", "note"):
        if key in validation:
            report[key] = validation[key]
    if isinstance(ranker, LinearBlend) and fallback is None:
        report["weights"] = {
            name: float(w) for name, w in zip(sources, ranker.weights_, strict=True)
        }
    return report
