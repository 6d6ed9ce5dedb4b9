"""Conversational requests with the constraints a careful reader would take from them.

The first held-out set, now the tuning set (``pulserec bench chat --set tuning``): the
vocabulary-based extractor was developed with these in view; :mod:`pulserec_bench.chat_heldout`
is held out. ``expected`` keys: ``include``/``exclude`` (category sets), ``years`` (min, max)
and ``price`` (min, max).
"""

from __future__ import annotations

from typing import Any

Y = None
MOVIES: list[tuple[str, dict[str, Any]]] = [
    ("a funny movie about aliens", {"include": {"Comedy", "Sci-Fi"}}),
    ("I want a scary film from the 80s", {"include": {"Horror"}, "years": (1980, 1989)}),
    ("romantic comedies from the 1990s", {"include": {"Romance", "Comedy"}, "years": (1990, 1999)}),
    ("a western made before 1960", {"include": {"Western"}, "years": (Y, 1959)}),
    ("cartoons my kids will like", {"include": {"Animation", "Children's"}}),
    ("war movies but no romance", {"include": {"War"}, "exclude": {"Romance"}}),
    ("a thriller released after 1995", {"include": {"Thriller"}, "years": (1996, Y)}),
    ("something with detectives from the 40s", {"include": {"Mystery"}, "years": (1940, 1949)}),
    ("a documentary", {"include": {"Documentary"}}),
    ("musicals from the 1960s", {"include": {"Musical"}, "years": (1960, 1969)}),
    ("a crime film between 1970 and 1979", {"include": {"Crime"}, "years": (1970, 1979)}),
    ("fantasy adventures with dragons", {"include": {"Fantasy", "Adventure"}}),
    ("a film noir", {"include": {"Film-Noir"}}),
    ("an action movie, nothing animated", {"include": {"Action"}, "exclude": {"Animation"}}),
    ("a drama from 1996", {"include": {"Drama"}, "years": (1996, 1996)}),
    ("space adventures from the 70s", {"include": {"Sci-Fi", "Adventure"}, "years": (1970, 1979)}),
    ("a love story, not a drama", {"include": {"Romance"}, "exclude": {"Drama"}}),
    ("hilarious films since 1994", {"include": {"Comedy"}, "years": (1994, Y)}),
    ("a heist movie", {"include": {"Crime"}}),
    ("something spooky for halloween", {"include": {"Horror"}}),
    ("family films without violence", {"include": {"Children's"}}),
    ("a gangster film from the fifties", {"include": {"Crime"}, "years": (1950, 1959)}),
    ("comedies, but no horror", {"include": {"Comedy"}, "exclude": {"Horror"}}),
    ("robots and the future", {"include": {"Sci-Fi"}}),
    (
        "a suspenseful mystery from the 1950s",
        {"include": {"Thriller", "Mystery"}, "years": (1950, 1959)},
    ),
    ("an animated musical", {"include": {"Animation", "Musical"}}),
    ("a war film from the 1940s", {"include": {"War"}, "years": (1940, 1949)}),
    ("westerns with cowboys, no comedy", {"include": {"Western"}, "exclude": {"Comedy"}}),
    ("a dramatic film older than 1970", {"include": {"Drama"}, "years": (Y, 1969)}),
    ("something for children", {"include": {"Children's"}}),
    ("a sci-fi thriller", {"include": {"Sci-Fi", "Thriller"}}),
    ("an adventure for the whole family", {"include": {"Adventure", "Children's"}}),
    ("a movie from 1977", {"years": (1977, 1977)}),
    ("films from the 30s", {"years": (1930, 1939)}),
    ("a funny romance", {"include": {"Comedy", "Romance"}}),
    ("horror films but not from before 1990", {"include": {"Horror"}, "years": (1990, Y)}),
    ("a documentary about music", {"include": {"Documentary"}}),
    ("an action-packed war movie", {"include": {"Action", "War"}}),
    ("magic and wizards", {"include": {"Fantasy"}}),
    ("a mystery, no thrillers", {"include": {"Mystery"}, "exclude": {"Thriller"}}),
]
SHOP: list[tuple[str, dict[str, Any]]] = [
    ("running shoes under 100", {"include": {"Footwear"}, "price": (Y, 100.0)}),
    ("a rain jacket below $150", {"include": {"Outerwear"}, "price": (Y, 150.0)}),
    ("noise-cancelling headphones over 200 dollars", {"include": {"Audio"}, "price": (200.0, Y)}),
    ("a laptop between 500 and 900", {"include": {"Computers"}, "price": (500.0, 900.0)}),
    ("a yoga mat", {"include": {"Fitness"}}),
    ("a tent for backpacking under $300", {"include": {"Camping"}, "price": (Y, 300.0)}),
    ("toys for a toddler, no board games", {"include": {"Toys"}}),
    ("a gift necklace up to 80", {"include": {"Jewelry"}, "price": (Y, 80.0)}),
    ("coffee beans", {"include": {"Coffee & Tea"}}),
    ("a cordless drill at most 120 dollars", {"include": {"Tools"}, "price": (Y, 120.0)}),
    ("a dog bed", {"include": {"Pet Supplies"}}),
    ("skincare for dry skin under 30", {"include": {"Beauty"}, "price": (Y, 30.0)}),
]
