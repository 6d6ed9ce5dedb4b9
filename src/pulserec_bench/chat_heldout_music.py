"""Held-out chat requests over the synthetic ``music`` catalog (genres, artists, years).

Rows as described in :mod:`pulserec_bench.chat_heldout`."""

from __future__ import annotations

from pulserec_bench.chat_heldout_rows import Row, Y

MUSIC: list[Row] = [
    (
        "titles",
        "songs like Savage Warpath by Iron Abyss",
        {"similar_to": {"Savage Warpath by Iron Abyss"}},
    ),
    ("titles", "something like Rising Island", {"similar_to": {"Rising Island by Sam Ferreira"}}),
    (
        "titles",
        "tracks similar to Analog Afterglow by Neon Grid from the 2010s",
        {"similar_to": {"Analog Afterglow by Neon Grid"}, "years": (2010, 2019)},
    ),
    ("years", "jazz from the 60s", {"include": {"Jazz"}, "years": (1960, 1969)}),
    ("years", "rock songs before 1980", {"include": {"Rock"}, "years": (Y, 1979)}),
    ("years", "hip-hop released after 2015", {"include": {"Hip-Hop"}, "years": (2016, Y)}),
    ("years", "hip hop from the 90s", {"include": {"Hip-Hop"}, "years": (1990, 1999)}),
    ("tags", "r&b slow jams", {"include": {"R&B"}, "tags": {"slow jams"}}),
    ("attributes", "music by Sam Ferreira", {"attributes": {"artist": "Sam Ferreira"}}),
    (
        "negations",
        "Sam Ferreira but no reggae",
        {"attributes": {"artist": "Sam Ferreira"}, "exclude": {"Reggae"}},
    ),
    (
        "negations",
        "metal, but nothing by Iron Abyss",
        {"include": {"Metal"}, "exclude_attributes": {("artist", "Iron Abyss")}},
    ),
    ("tags", "chill ambient for sleep", {"include": {"Ambient"}, "tags": {"chill", "sleep"}}),
    (
        "tags",
        "country with some twang from the 70s",
        {"include": {"Country"}, "tags": {"twang"}, "years": (1970, 1979)},
    ),
    ("negations", "folk, not acoustic", {"include": {"Folk"}, "exclude_tags": {"acoustic"}}),
    ("negations", "punk without pop punk", {"include": {"Punk"}, "exclude_tags": {"pop punk"}}),
    ("tags", "classical piano pieces", {"include": {"Classical"}, "tags": {"piano"}}),
    (
        "negations",
        "electronic music, no techno",
        {"include": {"Electronic"}, "exclude_tags": {"techno"}},
    ),
    ("tags", "latin dance songs", {"include": {"Latin"}, "tags": {"dance"}}),
    ("tags", "k-pop idols", {"include": {"K-Pop"}, "tags": {"idol"}}),
    ("tags", "blues with harmonica", {"include": {"Blues"}, "tags": {"harmonica"}}),
    (
        "attributes",
        "songs by The Basement Riot from the 80s",
        {"attributes": {"artist": "The Basement Riot"}, "years": (1980, 1989)},
    ),
    (
        "negations",
        "indie but not shoegaze, after 2000",
        {"include": {"Indie"}, "exclude_tags": {"shoegaze"}, "years": (2001, Y)},
    ),
    ("relaxations", "metal and jazz", {"include": {"Metal", "Jazz"}, "relaxed": True}),
    (
        "attributes",
        "BLOOM songs from before 2010",
        {"attributes": {"artist": "BLOOM"}, "years": (Y, 2009)},
    ),
    (
        "titles",
        "house music like Soulful Groove by Terrace Club",
        {"include": {"House"}, "similar_to": {"Soulful Groove by Terrace Club"}},
    ),
    (
        "relaxations",
        "jazz by Ines Hart",
        {"include": {"Jazz"}, "attributes": {"artist": "Ines Hart"}, "relaxed": True},
    ),
    (
        "negations",
        "rock anthems, no classic rock",
        {"include": {"Rock"}, "tags": {"anthems"}, "exclude_tags": {"classic rock"}},
    ),
]
