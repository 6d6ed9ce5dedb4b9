"""A live engine's catalog as a :class:`Vocabulary`, and its titles as a :class:`TitleSource`."""

from __future__ import annotations

from collections.abc import Sequence

from pulserec.engine.facade import Engine
from pulserec.llm.catalog_reads import CatalogReads
from pulserec.llm.constraints import MAX_CREATOR_ITEMS
from pulserec.llm.titles import MAX_WORDS
from pulserec.llm.vocabulary import Vocabulary, attribute_vocabulary

NEAREST = 10  # items per prefix whose titles are compared


def catalog_vocabulary(catalog: CatalogReads) -> Vocabulary:
    """Categories, tags and the repeating string attributes of ``catalog``."""
    values = catalog.attribute_values()
    counts = {
        name: sum(catalog.attribute_count(name, v) for v in options)
        for name, options in values.items()
    }
    return Vocabulary(
        catalog.category_names(),
        catalog.tag_names(),
        attribute_vocabulary(values, counts),
        catalog.flag_names(),
    )


class EngineTitles:
    """Candidate titles from the text index: the items nearest to each prefix of the words;
    a creator's items from the catalog's attribute masks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def items_by(self, name: str, value: str) -> list[tuple[str, str]]:
        """Up to ``MAX_CREATOR_ITEMS`` servable items whose ``name`` attribute is ``value``,
        most popular first."""
        engine = self.engine
        catalog = engine.catalog_view()
        mask = catalog.attribute_mask(name, value) & catalog.servable()
        ranked = engine.popular(MAX_CREATOR_ITEMS, "3650d", mask)
        found = [engine.item(r.id) for r in ranked.items]
        return [(item.id, item.title) for item in found if item is not None and item.title]

    def candidates(self, words: Sequence[str]) -> list[tuple[str, str]]:
        engine = self.engine
        content = [w for w in words[:MAX_WORDS] if w.isalnum()]
        if not content:
            return []
        prefixes = [" ".join(content[:n]) for n in range(1, len(content) + 1)]
        found: dict[str, None] = {}
        for vector in engine.encode_query(prefixes):
            found.update(dict.fromkeys(engine.nearest_ids(vector, NEAREST)))
        out: list[tuple[str, str]] = []
        for item_id in found:
            item = engine.item(item_id)
            if item is not None and item.title:
                out.append((item.id, item.title))
        return out
