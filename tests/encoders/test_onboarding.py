"""A new user's stated preferences, read by the real query encoder, pick fitting movies."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, EventType
from pulserec.encoders.onnx import OnnxEncoder
from pulserec.encoders.sentence import SentenceEncoder
from pulserec.models.base import Query
from pulserec.models.text.content import ContentRetriever

pytestmark = pytest.mark.slow

MOVIES = {
    "sw": "Star Wars (1977). Genres: Action, Adventure, Sci-Fi, War.",
    "alien": "Alien (1979). Genres: Action, Horror, Sci-Fi, Thriller.",
    "toy": "Toy Story (1995). Genres: Animation, Children's, Comedy.",
    "lion": "The Lion King (1994). Genres: Animation, Children's, Musical.",
    "casa": "Casablanca (1942). Genres: Drama, Romance, War.",
    "notting": "Notting Hill (1999). Genres: Comedy, Romance.",
}


def test_preferences_alone_give_sensible_first_recommendations(
    full: SentenceEncoder, int8: OnnxEncoder
) -> None:
    ids = list(MOVIES)
    vectors = ItemVectors(ids, full.encode(list(MOVIES.values())))
    events = [Event("someone", item, EventType.VIEW, float(n)) for n, item in enumerate(ids)]
    data = Interactions.from_events(events)
    model = ContentRetriever(vectors, rating_center=None).fit(data)
    for wish, expected in (
        ("cartoons for my kids", {"toy", "lion"}),
        ("space battles and aliens", {"sw", "alien"}),
        ("a love story", {"casa", "notting"}),
    ):
        text = int8.encode([wish])[0]
        found = model.retrieve(Query(user=-1, text=text), 2)
        picked = {data.items.id_of(int(i)) for i in found.items}
        assert picked & expected, (wish, picked)
    assert np.isfinite(found.scores).all()
