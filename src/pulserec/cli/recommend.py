"""``pulserec recommend``: every user's list (``--all``) or those of a file (``--users``) to a
JSONL, CSV or Parquet file with a progress bar, in process over a data dir or over HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from tqdm import tqdm

from pulserec.app.settings import Settings
from pulserec.cli.bulk.sources import HttpSource, ListSource, LocalSource
from pulserec.cli.bulk.user_ids import read_user_ids
from pulserec.cli.bulk.writers import check_format, open_writer

CHUNK = 200  # users per step: the bar moves often, a batch call stays well under the limits


def run_recommend(
    users_file: Path | None,
    k: int,
    out: Path,
    settings: Settings,
    url: str | None = None,
    api_key: str | None = None,
    progress: bool = True,
    filters: Sequence[str] = (),
) -> tuple[int, str]:
    """Write the lists; returns how many users and the model version that served the last one.

    ValueError (one line) for a bad request, an unreadable users file, no store or a server that
    refuses; nothing is written before the request has been checked.
    """
    if not 1 <= k <= 1000:
        raise ValueError(f"--k must be between 1 and 1000, not {k}")
    check_format(out)
    explicit = read_user_ids(users_file) if users_file is not None else None
    source: ListSource = HttpSource(url, api_key) if url else LocalSource(settings, progress)
    try:
        source.check_filters(filters)  # nothing is written for a filter that cannot hold
        total = len(explicit) if explicit is not None else source.count_users()
        batches = _chunks(explicit) if explicit is not None else _rechunk(source.user_ids())
        writer = open_writer(out)
        done, version = 0, "none"
        try:
            with tqdm(total=total, desc="recommending", unit=" users", disable=not progress) as bar:
                for chunk in batches:
                    lists = source.lists(chunk, k, filters)
                    writer.write(lists)
                    done += len(lists)
                    version = lists[-1]["model_version"] if lists else version
                    bar.update(len(lists))
        finally:
            writer.close()
        return done, version
    finally:
        source.close()


def _chunks(user_ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(user_ids), CHUNK):
        yield user_ids[start : start + CHUNK]


def _rechunk(pages: Iterator[list[str]]) -> Iterator[list[str]]:
    """Listing pages cut into ``CHUNK``-sized steps."""
    for page in pages:
        yield from _chunks(page)
