"""The answer cache stays within its byte budget whatever the requests, and users the engine
does not know share one entry."""

from __future__ import annotations

from pulserec.engine.runtime import Runtime
from pulserec.engine.serving.answer_cache import AnswerCache, answer_bytes
from pulserec.engine.serving.results import Ranked, RankedList

STAMP = (0, "v1", 0, 0)


def _answer(k: int, explained: bool = False) -> RankedList:
    reasons = [{"kind": "similar", "item": "x"}] if explained else None
    text = "Because you watched something close to it" if explained else None
    return RankedList(
        [Ranked(f"item-{n}", 1.0 / (n + 1), ("ease",), text, reasons) for n in range(k)]
    )


def test_the_cache_never_holds_more_than_its_byte_budget() -> None:
    budget = 2_000_000
    cache = AnswerCache(size=100_000, max_bytes=budget)
    one = answer_bytes(("u",), _answer(1000, explained=True))
    for n in range(200):  # about 40 times the budget, each under a distinct id
        cache.put((n, f"user-{n}" * 20, 1000), STAMP, _answer(1000, explained=True))
        assert cache.bytes <= budget
    assert len(cache._entries) == budget // one
    assert cache.get((199, "user-199" * 20, 1000), STAMP) is not None  # the newest stays
    assert cache.get((0, "user-0" * 20, 1000), STAMP) is None  # the oldest went


def test_an_answer_larger_than_the_budget_is_not_kept() -> None:
    cache = AnswerCache(size=10, max_bytes=1_000)
    cache.put(("u",), STAMP, _answer(100))
    assert cache.bytes == 0 and cache.get(("u",), STAMP) is None


def test_unknown_users_share_one_answer(runtime: Runtime) -> None:
    engine = runtime.engine
    engine.answers.clear()
    first = engine.recommend("nobody-1", k=50)
    for n in range(2, 300):
        assert engine.recommend(f"nobody-{n}", k=50) is first
    assert len(engine.answers._entries) == 1
