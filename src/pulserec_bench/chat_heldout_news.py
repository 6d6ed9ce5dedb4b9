"""Held-out chat requests over the synthetic ``news`` catalog (categories, sources, authors).

Rows as described in :mod:`pulserec_bench.chat_heldout`."""

from __future__ import annotations

from pulserec_bench.chat_heldout_rows import Row

NEWS: list[Row] = [
    ("tags", "articles about the premier league", {"tags": {"premier league"}}),
    (
        "negations",
        "tennis news, nothing about wimbledon",
        {"include": {"Tennis"}, "exclude_tags": {"wimbledon"}},
    ),
    (
        "attributes",
        "climate stories from Global Dispatch",
        {"include": {"Climate"}, "attributes": {"source": "Global Dispatch"}},
    ),
    ("attributes", "anything by Jonah Hart", {"attributes": {"author": "Jonah Hart"}}),
    (
        "negations",
        "space news but not about mars",
        {"include": {"Space"}, "exclude_tags": {"mars"}},
    ),
    (
        "negations",
        "politics, but not from The Morning Post",
        {"include": {"Politics"}, "exclude_attributes": {("source", "The Morning Post")}},
    ),
    ("tags", "crime news", {"tags": {"crime"}}),
    ("tags", "film reviews about the oscars", {"include": {"Film"}, "tags": {"oscars"}}),
    ("tags", "music news about festivals", {"include": {"Music News"}, "tags": {"festivals"}}),
    (
        "negations",
        "economy stories without inflation",
        {"include": {"Economy"}, "exclude_tags": {"inflation"}},
    ),
    ("tags", "technology articles about ai", {"include": {"Technology"}, "tags": {"ai"}}),
    ("years", "health news from 2023", {"include": {"Health"}, "years": (2023, 2023)}),
    (
        "titles",
        "science stories like 'Physicists observed the genome of a rare plant in Berlin'",
        {
            "include": {"Science"},
            "similar_to": {"Physicists observed the genome of a rare plant in Berlin"},
        },
    ),
    (
        "titles",
        "something similar to Madrid: the band released the charts",
        {"similar_to": {"Madrid: the band released the charts"}},
    ),
    (
        "negations",
        "football but nothing about transfers",
        {"include": {"Football"}, "exclude_tags": {"transfers"}},
    ),
    (
        "negations",
        "markets news, no bonds or stocks",
        {"include": {"Markets"}, "exclude_tags": {"bonds", "stocks"}},
    ),
    ("tags", "electric vehicles", {"tags": {"electric vehicles"}}),
    (
        "relaxations",
        "basketball and tennis",
        {"include": {"Basketball", "Tennis"}, "relaxed": True},
    ),
    (
        "relaxations",
        "food articles about recipes by Ada Sato",
        {
            "include": {"Food"},
            "tags": {"recipes"},
            "attributes": {"author": "Ada Sato"},
            "relaxed": True,
        },
    ),
    (
        "negations",
        "travel news, not about airlines, from Metro Wire",
        {
            "include": {"Travel"},
            "exclude_tags": {"airlines"},
            "attributes": {"source": "Metro Wire"},
        },
    ),
    (
        "attributes",
        "education news from the Civic Herald",
        {"include": {"Education"}, "attributes": {"source": "Civic Herald"}},
    ),
    (
        "negations",
        "nothing about politics or elections",
        {"exclude": {"Politics"}, "exclude_tags": {"elections"}},
    ),
    (
        "relaxations",
        "space and science, no nasa",
        {"include": {"Space", "Science"}, "exclude_tags": {"nasa"}, "relaxed": True},
    ),
    ("tags", "automotive news about batteries", {"include": {"Automotive"}, "tags": {"batteries"}}),
    (
        "negations",
        "health articles about vaccines but not hospitals",
        {"include": {"Health"}, "tags": {"vaccines"}, "exclude_tags": {"hospitals"}},
    ),
]
