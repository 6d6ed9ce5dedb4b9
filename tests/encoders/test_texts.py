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


def test_generic_text_names_the_creator_once() -> None:
    track = Item("t", "Joga", categories=("Electronic",), attributes={"artist": "Björk"})
    assert item_text(track) == "Joga by Björk. Categories: Electronic."
    titled = Item("u", "Joga by Björk", attributes={"artist": "Björk"})
    assert item_text(titled) == "Joga by Björk."
    book = Item("b", "Dune", attributes={"authors": ["Frank Herbert"], "year": 1965})
    assert item_text(book) == "Dune by Frank Herbert."


def test_configured_fields_build_the_text_in_their_order() -> None:
    from pulserec.encoders.texts import fields_recipe
    from pulserec.engine.config import EngineConfig

    track = Item(
        "t", "Joga", "A song.", ("calm",), ("Electronic",),
        {"artist": "Björk", "album": "Homogenic", "moods": ["dreamy", "cold"], "explicit": False},
    )  # fmt: skip
    recipe = fields_recipe(["title", "creator", "album", "moods", "tags", "explicit"])
    assert (
        item_text(track, recipe)
        == "Joga. By Björk. Album: Homogenic. Moods: dreamy, cold. Tags: calm."
    )
    assert EngineConfig(text_fields=("title", "album")).text_recipe == "fields:title,album"
    assert EngineConfig().text_recipe == "generic"
    with pytest.raises(ValueError, match="text_fields"):
        EngineConfig(text_fields=("title,album",))
