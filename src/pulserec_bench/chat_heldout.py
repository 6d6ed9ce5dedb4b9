"""Held-out conversational requests over real catalogs, with what a careful reader takes.

Written before the extractor of issue 12 was tuned, and never tuned on (the tuning examples are
``tests/llm`` and the older set in :mod:`pulserec_bench.chat_requests`). The catalogs are
ml-100k and the synthetic ``ecommerce``, ``news`` and ``music`` domains as
``pulserec_bench.chat`` builds them (2,000 items, seed 0).

The reading, in the catalog's own vocabulary: a phrase naming a category (its name, a plural, an
everyday synonym, or the leaf ``B`` of a path ``A > B``) is a category; else a tag the catalog
uses; else a value of a string attribute (brand, colour, source, author, artist). "like X",
"similar to X", "loved X" name an item by its title (``similar_to``), whose words are then not
read as anything else. A negated category is excluded (and with it items tagged so); a negated
tag or attribute value is excluded as such; a negated word that only relates to a category
("no robots" in a movie catalog) excludes nothing (it only demotes items about it).
``relaxed`` (scored for the ``relaxations`` rows only): fewer than 10 items meet every included
category, tag and attribute together, so the answer must loosen one and say so.

Row: ``(kind, message, expected)``; ``expected`` keys: ``include``, ``exclude``, ``tags``,
``exclude_tags`` (sets of names), ``attributes`` ({name: value}), ``exclude_attributes``
({(name, value)}), ``similar_to`` (titles), ``years`` and ``price`` ((min, max)), ``relaxed``.
The rows of each catalog live in ``chat_heldout_<catalog>``.
"""

from __future__ import annotations

from pulserec_bench.chat_heldout_ecommerce import ECOMMERCE
from pulserec_bench.chat_heldout_ml100k import ML100K
from pulserec_bench.chat_heldout_music import MUSIC
from pulserec_bench.chat_heldout_news import NEWS
from pulserec_bench.chat_heldout_rows import KINDS, Row

__all__ = ["ECOMMERCE", "HELD_OUT", "KINDS", "ML100K", "MUSIC", "NEWS", "Row"]

HELD_OUT: dict[str, list[Row]] = {
    "movielens-100k": ML100K,
    "ecommerce": ECOMMERCE,
    "news": NEWS,
    "music": MUSIC,
}
