"""Held-out chat requests over MovieLens-100k.

Rows as described in :mod:`pulserec_bench.chat_heldout`."""

from __future__ import annotations

from pulserec_bench.chat_heldout_rows import Row, Y

ML100K: list[Row] = [
    ("titles", "something like Star Wars but not too long", {"similar_to": {"Star Wars"}}),
    ("titles", "movies like Toy Story", {"similar_to": {"Toy Story"}}),
    (
        "titles",
        "a comedy like The Birdcage",
        {"include": {"Comedy"}, "similar_to": {"The Birdcage"}},
    ),
    ("titles", "films similar to Apollo 13", {"similar_to": {"Apollo 13"}}),
    ("titles", "I loved Fargo, what else?", {"similar_to": {"Fargo"}}),
    (
        "titles",
        "something in the vein of Taxi Driver from the 70s",
        {"similar_to": {"Taxi Driver"}, "years": (1970, 1979)},
    ),
    ("titles", "like Braveheart but no war", {"similar_to": {"Braveheart"}, "exclude": {"War"}}),
    ("titles", "horror films like Alien", {"include": {"Horror"}, "similar_to": {"Alien"}}),
    ("titles", "like Twelve Monkeys", {"similar_to": {"Twelve Monkeys"}}),
    ("titles", "movies like the Godfather", {"similar_to": {"The Godfather"}}),
    (
        "relaxations",
        "a funny animated film for kids but nothing with romance",
        {"include": {"Comedy", "Animation", "Children's"}, "exclude": {"Romance"}, "relaxed": True},
    ),
    ("categories", "a scary movie set in space", {"include": {"Horror", "Sci-Fi"}}),
    ("categories", "a documentary about music", {"include": {"Documentary"}}),
    ("negations", "something with spaceships but not about robots", {"include": {"Sci-Fi"}}),
    (
        "negations",
        "a thriller without any horror",
        {"include": {"Thriller"}, "exclude": {"Horror"}},
    ),
    ("negations", "comedy, not romantic", {"include": {"Comedy"}, "exclude": {"Romance"}}),
    (
        "negations",
        "an adventure but nothing for children",
        {"include": {"Adventure"}, "exclude": {"Children's"}},
    ),
    (
        "negations",
        "no musicals, something dramatic",
        {"include": {"Drama"}, "exclude": {"Musical"}},
    ),
    (
        "negations",
        "not a western, but a crime story",
        {"include": {"Crime"}, "exclude": {"Western"}},
    ),
    ("negations", "sci-fi without aliens", {"include": {"Sci-Fi"}}),
    ("negations", "fantasy but no dragons or wizards", {"include": {"Fantasy"}}),
    ("negations", "anything except horror and thrillers", {"exclude": {"Horror", "Thriller"}}),
    ("years", "a comedy from the eighties", {"include": {"Comedy"}, "years": (1980, 1989)}),
    (
        "years",
        "dramas made after 1990 but before 1995",
        {"include": {"Drama"}, "years": (1991, 1994)},
    ),
    ("years", "a horror film, not older than 1985", {"include": {"Horror"}, "years": (1985, Y)}),
    ("years", "sci-fi from 1982", {"include": {"Sci-Fi"}, "years": (1982, 1982)}),
    ("years", "action movies of the 90s", {"include": {"Action"}, "years": (1990, 1999)}),
    ("years", "a film noir from the forties", {"include": {"Film-Noir"}, "years": (1940, 1949)}),
    (
        "years",
        "a romance released between 1960 and 1969",
        {"include": {"Romance"}, "years": (1960, 1969)},
    ),
    ("years", "crime films, nothing before 1980", {"include": {"Crime"}, "years": (1980, Y)}),
    ("relaxations", "a western musical", {"include": {"Western", "Musical"}, "relaxed": True}),
    (
        "relaxations",
        "a documentary horror film",
        {"include": {"Documentary", "Horror"}, "relaxed": True},
    ),
    ("relaxations", "a war comedy", {"include": {"War", "Comedy"}, "relaxed": False}),
    ("relaxations", "a film noir comedy", {"include": {"Film-Noir", "Comedy"}, "relaxed": True}),
    ("relaxations", "a musical war film", {"include": {"Musical", "War"}, "relaxed": True}),
    ("relaxations", "a mystery crime film", {"include": {"Mystery", "Crime"}, "relaxed": False}),
    ("relaxations", "sci-fi westerns", {"include": {"Sci-Fi", "Western"}, "relaxed": True}),
    (
        "relaxations",
        "animated kids films",
        {"include": {"Animation", "Children's"}, "relaxed": False},
    ),
    ("categories", "detectives and gangsters", {"include": {"Mystery", "Crime"}}),
    ("categories", "whodunits from the fifties", {"include": {"Mystery"}, "years": (1950, 1959)}),
    ("categories", "a cowboy movie for the family", {"include": {"Western", "Children's"}}),
    ("categories", "a space adventure with robots", {"include": {"Sci-Fi", "Adventure"}}),
    ("prices", "a cheap comedy under 5 dollars", {"include": {"Comedy"}, "price": (Y, 5.0)}),
]
