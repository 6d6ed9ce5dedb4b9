"""Real encoders, loaded once per test session (exports and distillation land in the cache)."""

from __future__ import annotations

import pytest

from pulserec.data.movielens import load_movielens_100k
from pulserec.encoders.onnx import OnnxEncoder
from pulserec.encoders.sentence import SentenceEncoder
from pulserec.encoders.static import StaticEncoder, distill_static
from pulserec.encoders.texts import movie_text


@pytest.fixture(scope="session")
def full() -> SentenceEncoder:
    return SentenceEncoder()


@pytest.fixture(scope="session")
def int8() -> OnnxEncoder:
    return OnnxEncoder("int8")


@pytest.fixture(scope="session")
def static() -> StaticEncoder:
    return distill_static()


@pytest.fixture(scope="session")
def movie_texts() -> list[str]:
    """A fixed sample: every 4th ml-100k movie text (421 texts)."""
    return [movie_text(item) for item in load_movielens_100k().items[::4]]


SAMPLE_QUERIES = [
    "cowboys on the frontier",
    "funny movie about talking animals for kids",
    "space battles and starships",
    "a scary movie with ghosts",
    "detectives solving a murder",
    "romantic comedy in paris",
    "soldiers in world war two",
    "dark crime thriller from the 90s",
    "a musical with singing and dancing",
    "a documentary about nature",
    "martial arts fights",
    "zombies and the undead",
    "a heist gone wrong",
    "fairy tale princess",
    "a boxer's comeback",
    "prison escape drama",
    "vampires at night",
    "a spy on a secret mission",
    "time travel paradox",
    "coming of age story",
]
