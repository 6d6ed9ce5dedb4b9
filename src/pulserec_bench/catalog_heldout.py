"""Held-out requests of ``pulserec bench catalogs``, written before any tuning of what they
measure: stated preferences of new users (with what they like and rule out) per catalog, and
chat requests with attribute negations and creator requests over the synthetic music catalog.

A preference row: ``(text, liked categories, ruled-out categories, ruled-out attributes)``;
a ruled-out attribute is ``(name, value)`` (``("explicit", "true")``).
"""

from __future__ import annotations

from typing import Any

Preference = tuple[str, set[str], set[str], set[tuple[str, str]]]
NONE: set[tuple[str, str]] = set()

PREFERENCES: dict[str, list[Preference]] = {
    "music": [
        ("I love jazz; please no metal", {"Jazz"}, {"Metal"}, NONE),
        ("no explicit lyrics please, k-pop and latin", {"K-Pop", "Latin"}, set(),
         {("explicit", "true")}),
        ("mostly classical and ambient, nothing with heavy guitars like metal or punk",
         {"Classical", "Ambient"}, {"Metal", "Punk"}, NONE),
        ("hip hop and r&b, clean versions only", {"Hip-Hop", "R&B"}, set(),
         {("explicit", "true")}),
        ("I listen to folk and country. I hate electronic music.", {"Folk", "Country"},
         {"Electronic"}, NONE),
        ("reggae! but not pop", {"Reggae"}, {"Pop"}, NONE),
        ("blues and rock, never house", {"Blues", "Rock"}, {"House"}, NONE),
        ("indie music for the commute, no k-pop", {"Indie"}, {"K-Pop"}, NONE),
    ],
    "ecommerce": [
        ("I cook a lot, kitchen stuff; no jewelry", {"Kitchen"}, {"Jewelry"}, NONE),
        ("camping and fitness gear, nothing for babies", {"Camping", "Fitness"}, {"Baby"}, NONE),
        ("coffee and tea lover", {"Coffee & Tea"}, set(), NONE),
        ("audio and computers, but no phones", {"Audio", "Computers"}, {"Phones & Tablets"},
         NONE),
        ("gardening tools for my allotment, not furniture", {"Gardening", "Tools"},
         {"Furniture"}, NONE),
        ("things for my dog (pet supplies), no toys", {"Pet Supplies"}, {"Toys"}, NONE),
    ],
    "news": [
        ("technology and science news; no politics", {"Technology", "Science"}, {"Politics"},
         NONE),
        ("football and tennis, never basketball", {"Football", "Tennis"}, {"Basketball"}, NONE),
        ("markets and the economy", {"Markets", "Economy"}, set(), NONE),
        ("climate and space, not crime", {"Climate", "Space"}, {"Crime & Justice"}, NONE),
        ("food and travel stories, no automotive", {"Food", "Travel"}, {"Automotive"}, NONE),
    ],
    "movielens-100k": [
        ("I love comedies, but no horror please", {"Comedy"}, {"Horror"}, NONE),
        ("sci-fi and action; I can't stand romance, no romance", {"Sci-Fi", "Action"},
         {"Romance"}, NONE),
        ("westerns and war films", {"Western", "War"}, set(), NONE),
        ("animation for my kids, nothing violent like thrillers",
         {"Animation", "Children's"}, {"Thriller"}, NONE),
        ("documentaries. not dramas", {"Documentary"}, {"Drama"}, NONE),
    ],
}  # fmt: skip

# (kind, message, expected) as in pulserec_bench.chat_heldout; read against the synthetic
# music catalog, whose tracks carry a boolean ``explicit``
CHAT_MUSIC: list[tuple[str, str, dict[str, Any]]] = [
    ("negations", "no explicit lyrics, 90s hip hop",
     {"include": {"Hip-Hop"}, "exclude_attributes": {("explicit", "true")},
      "years": (1990, 1999)}),
    ("negations", "clean (not explicit) hip hop",
     {"include": {"Hip-Hop"}, "attributes": {"explicit": "false"},
      "exclude_attributes": {("explicit", "true")}}),
    ("negations", "metal without explicit lyrics",
     {"include": {"Metal"}, "exclude_attributes": {("explicit", "true")}}),
    ("negations", "r&b, nothing explicit", {"include": {"R&B"},
     "exclude_attributes": {("explicit", "true")}}),
    ("attributes", "clean punk songs", {"include": {"Punk"}, "attributes": {"explicit": "false"}}),
    ("attributes", "songs by BLOOM", {"attributes": {"artist": "BLOOM"}}),
    ("attributes", "tracks by jonah sato", {"attributes": {"artist": "Jonah Sato"}}),
    ("attributes", "rock by The Wandering Sparrows",
     {"include": {"Rock"}, "attributes": {"artist": "The Wandering Sparrows"}}),
    ("creators", "something like Sam Ferreira", {"similar_to_creator": "Sam Ferreira"}),
    ("creators", "music like BLOOM but no explicit lyrics",
     {"similar_to_creator": "BLOOM", "exclude_attributes": {("explicit", "true")}}),
    ("negations", "pop, but nothing by Maya",
     {"include": {"Pop"}, "exclude_attributes": {("artist", "Maya")}}),
]  # fmt: skip
