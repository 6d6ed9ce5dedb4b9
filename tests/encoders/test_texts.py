"""The text the model reads for an item, per domain."""

from __future__ import annotations

import pytest

from pulserec.core.types import Item
from pulserec.encoders.texts import item_text


def test_movie_text() -> None:
    item = Item("1", "Toy Story", categories=("Animation", "Comedy"), attributes={"year": 1995})
    assert item_text(item, "movie") == "Toy Story (1995). Genres: Animation, Comedy."


def test_ecommerce_and_music_text() -> None:
    boots = Item("e1", "Trail boots", "Waterproof leather boots", ("outdoor",), ("Footwear",))
    assert item_text(boots, "ecommerce") == (
        "Trail boots. Category: Footwear. Waterproof leather boots. Tags: outdoor."
    )
    song = Item(
        "m1",
        "Night Drive",
        tags=("synth",),
        categories=("Electronic",),
        attributes={"artist": "Nova"},
    )
    assert item_text(song, "music") == "Night Drive by Nova. Genre: Electronic. Tags: synth."


def test_placeholders_have_no_text_and_unknown_domain_fails() -> None:
    assert item_text(Item.placeholder_for("x")) == ""
    with pytest.raises(ValueError, match="unknown domain"):
        item_text(Item("a", "A"), "cars")
