"""What an evaluation runs on: interactions plus the item metadata that content models, content
baselines and beyond-accuracy metrics read (titles, genres, text embeddings).

Item text embeddings come from the project's encoder (``minilm-onnx`` by default) over each
item's model text (``"Title (year). Genres: a, b."``), through an embedding cache under
``<cache_dir()>/eval/``, so a second run reads them back. Where no encoder can run, text models
are unavailable and intra-list diversity falls back to one-hot genre vectors; the report says
which vectors it used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, Item

logger = logging.getLogger(__name__)

DATASETS = ("movielens-100k", "movielens-1m")
DEFAULT_ENCODER = "minilm-onnx"


@dataclass(frozen=True)
class EvalData:
    """Interactions and per-item metadata aligned to ``interactions.items`` (index order).

    ``text_vectors``: item text embeddings by external id (None when none could be made);
    ``encoder`` names what made them.
    """

    name: str
    interactions: Interactions
    item_titles: list[str]
    item_genres: list[tuple[str, ...]]
    text_vectors: ItemVectors | None = None
    encoder: str | None = None

    def genre_vectors(self) -> npt.NDArray[np.float32]:
        """One-hot (multi-hot) genre vectors, one row per item; no genre = a zero row."""
        genres = sorted({g for row in self.item_genres for g in row})
        column = {g: j for j, g in enumerate(genres)}
        out = np.zeros((len(self.item_genres), max(len(genres), 1)), dtype=np.float32)
        for i, row in enumerate(self.item_genres):
            out[i, [column[g] for g in row]] = 1.0
        return out

    def diversity_vectors(self) -> tuple[npt.NDArray[np.float32], str]:
        """The item vectors intra-list diversity uses, and a note saying which they are."""
        if self.text_vectors is not None:
            aligned, _ = self.text_vectors.aligned(self.interactions.items)
            return aligned, f"item text embeddings ({self.encoder})"
        return self.genre_vectors(), "one-hot genre vectors (no text embeddings available)"


def from_records(
    name: str,
    items: Sequence[Item],
    events: Sequence[Event],
    text_vectors: ItemVectors | None = None,
    encoder: str | None = None,
) -> EvalData:
    """Build ``EvalData``; item indices follow the catalog's order, then unseen event items."""
    item_map = IdMap(item.id for item in items)
    interactions = Interactions.from_events(events, IdMap(), item_map)
    by_id = {item.id: item for item in items}
    titles, genres = [], []
    for index in range(interactions.n_items):
        item = by_id.get(item_map.id_of(index))
        titles.append((item.title or "") if item is not None else "")
        genres.append(tuple(item.categories) if item is not None else ())
    return EvalData(name, interactions, titles, genres, text_vectors, encoder)


def encode_items(items: Sequence[Item], encoder_name: str, progress: bool = True) -> ItemVectors:
    """Text embeddings of ``items`` (movie text), read from / written to the eval cache."""
    from pulserec.core.config import cache_dir
    from pulserec.encoders import load_encoder
    from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache, encode_cached
    from pulserec.encoders.texts import movie_text

    folder = cache_dir() / "eval"
    folder.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(folder / CACHE_FILENAME)
    try:
        texts = [movie_text(item) for item in items]
        vectors = encode_cached(load_encoder(encoder_name), texts, cache, progress=progress)
    finally:
        cache.close()
    return ItemVectors([item.id for item in items], vectors)


def load_eval_data(
    name: str, encoder: str | None = DEFAULT_ENCODER, progress: bool = True
) -> EvalData:
    """A named data set (see ``DATASETS``) with item text embeddings unless ``encoder`` is None.

    ValueError for an unknown name. An encoder that fails is logged and leaves the data without
    text embeddings.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r} (known: {', '.join(DATASETS)})")
    from pulserec.data.movielens import load_movielens

    data = load_movielens(name)
    vectors = None
    if encoder is not None:
        try:
            vectors = encode_items(data.items, encoder, progress)
        except Exception as exc:  # any encoder failure: evaluate without text models
            logger.warning("no item text embeddings (%s): %s", encoder, exc)
            encoder = None
    return from_records(name, data.items, data.events, vectors, encoder)
