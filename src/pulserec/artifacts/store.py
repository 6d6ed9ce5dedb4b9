"""Versioned bundles of trained models: written aside, published atomically, hot-swappable.

``root/<version>/`` per bundle, ``version`` like ``v0003-20261128T121500Z`` (a counter, then
the UTC time; the counter orders them). A write goes to a hidden temp directory, is fsynced,
then renamed into place (``os.replace``) and ``CURRENT`` is rewritten the same way, so a
reader sees a complete bundle or none. A bundle directory holds ``bundle.json`` (format,
saved_at, each model's registry name, the caller's meta), ``users.json`` / ``items.json``,
one shared ``vectors.npz`` for text models, and ``models/<key>/`` per model.
"""

from __future__ import annotations

import builtins
import fcntl
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulserec.artifacts.idmaps import load_idmap, load_vectors, save_idmap, save_vectors
from pulserec.artifacts.models import (
    VECTORS_FILE,
    load_model,
    read_json,
    save_model,
    vectors_of,
    write_json,
)
from pulserec.core.ids import IdMap
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Retriever
from pulserec.models.persistable import ClassLookup, Model

VERSION = re.compile(r"^v(\d{4,})-(\d{8}T\d{6}Z)$")
KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
CURRENT, BUNDLE_FILE, FORMAT = "CURRENT", "bundle.json", 1
ModelEntry = tuple[Model, str, dict[str, Any]]  # (fitted model, registry name, params)


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle: models by key over shared id maps, and the meta saved with them."""

    version: str
    models: dict[str, Retriever]
    users: IdMap
    items: IdMap
    meta: dict[str, Any]
    names: dict[str, str]  # registry name of each model
    saved_at: str
    forgotten: tuple[int, ...] = ()  # rows of users deleted after it was saved: forget them


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_tree(root: Path) -> None:
    """Flush every file and directory under ``root`` (and ``root``) to disk."""
    for path in sorted(root.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(root)


class ArtifactStore:
    """Bundles under ``root``, newest published through the ``CURRENT`` pointer file."""

    def __init__(self, root: Path, classes: ClassLookup | None = None) -> None:
        """``classes``: class key -> model class for loading (default: the ``@persistable``
        classes)."""
        self.root = Path(root)
        self.classes = classes
        self.root.mkdir(parents=True, exist_ok=True)

    def list(self) -> builtins.list[str]:
        """Every complete version, oldest first."""
        found = [p.name for p in self.root.iterdir() if p.is_dir() and VERSION.match(p.name)]
        return sorted(found, key=_order)

    def path(self, version: str) -> Path:
        """The directory of ``version`` (ValueError for a malformed name)."""
        if not VERSION.match(version):
            raise ValueError(f"not a version name: {version!r}")
        return self.root / version

    def latest(self) -> str | None:
        """The version ``CURRENT`` names, else the newest one, else None."""
        pointer = self.root / CURRENT
        if pointer.exists():
            version = pointer.read_text(encoding="utf-8").strip()
            if VERSION.match(version) and (self.root / version).is_dir():
                return version
        versions = self.list()
        return versions[-1] if versions else None

    def set_current(self, version: str) -> None:
        """Point ``CURRENT`` at ``version`` atomically (a rollback, or a publish)."""
        if not self.path(version).is_dir():
            raise FileNotFoundError(f"no version {version!r} in {self.root}")
        temp = self.root / f".{CURRENT}.{uuid.uuid4().hex}"
        with temp.open("w", encoding="utf-8") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.root / CURRENT)
        _fsync(self.root)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock across processes while versions are numbered or removed."""
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _next_version(self) -> str:
        numbers = [int(match.group(1)) for v in self.list() if (match := VERSION.match(v))]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"v{max(numbers, default=0) + 1:04d}-{stamp}"

    def write(self, bundle_writer: Callable[[Path], None]) -> str:
        """Run ``bundle_writer(directory)`` on a temp directory, then publish it as the next
        version and make it current. If the writer raises, nothing becomes visible."""
        temp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        temp.chmod(0o755)  # mkdtemp makes it private; a served bundle is read by others
        try:
            bundle_writer(temp)
            _fsync_tree(temp)
            with self._locked():
                version = self._next_version()
                os.replace(temp, self.root / version)
                _fsync(self.root)
                self.set_current(version)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return version

    def prune(self, keep: int = 3) -> builtins.list[str]:
        """Delete all but the newest ``keep`` versions (never the current one); the removed."""
        if keep < 1:
            raise ValueError("keep must be at least 1")
        with self._locked():
            current = self.latest()
            doomed = [v for v in self.list()[:-keep] if v != current]
            for version in doomed:
                trash = self.root / f".trash-{version}-{uuid.uuid4().hex}"
                os.replace(self.root / version, trash)  # gone from view at once
                shutil.rmtree(trash)
        return doomed

    def save_bundle(
        self,
        models: dict[str, ModelEntry],
        users: IdMap,
        items: IdMap,
        meta: dict[str, Any] | None = None,
        half_vectors: bool = False,
    ) -> str:
        """Publish fitted ``models`` (key -> (model, registry name, params)) with the id maps
        they were trained on and JSON ``meta`` (trained_at, n_events, fit_seconds, ...)."""
        bad = [key for key in models if not KEY.match(key)]
        if bad:
            raise ValueError(f"model keys must be plain file names: {bad}")

        def writer(directory: Path) -> None:
            _write_bundle(directory, models, users, items, meta or {}, half_vectors)

        return self.write(writer)

    def load_bundle(self, version: str | None = None, vectors: ItemVectors | None = None) -> Bundle:
        """A bundle (the current one by default); text models use ``vectors`` when given,
        else the vectors saved with them."""
        version = version or self.latest()
        if version is None:
            raise FileNotFoundError(f"no bundle in {self.root}")
        directory = self.path(version)
        info = read_json(directory / BUNDLE_FILE)
        if info.get("format") != FORMAT:
            raise ValueError(f"{directory}: unknown bundle format {info.get('format')!r}")
        users, items = load_idmap(directory / "users.json"), load_idmap(directory / "items.json")
        shared = vectors
        if shared is None and (directory / VECTORS_FILE).exists():
            shared = load_vectors(directory / VECTORS_FILE)
        loaded: dict[str, Retriever] = {}
        for key in info["models"]:
            model_dir = directory / "models" / key
            own = vectors is None and (model_dir / VECTORS_FILE).exists()
            given = None if own else shared
            loaded[key] = load_model(
                model_dir, given, users=users, items=items, classes=self.classes
            )
        forgotten = tuple(read_json(directory / "users.json").get("forgotten", []))
        names = dict(info["models"])
        return Bundle(
            version, loaded, users, items, info["meta"], names, info["saved_at"], forgotten
        )


def _order(version: str) -> tuple[int, str]:
    match = VERSION.match(version)
    return (int(match.group(1)), match.group(2)) if match else (-1, version)


def _write_bundle(
    directory: Path,
    models: dict[str, ModelEntry],
    users: IdMap,
    items: IdMap,
    meta: dict[str, Any],
    half_vectors: bool,
) -> None:
    """The files of one bundle: maps, shared vectors, each model, ``bundle.json`` last."""
    save_idmap(users, directory / "users.json")
    save_idmap(items, directory / "items.json")
    shared = next((v for model, _, _ in models.values() if (v := vectors_of(model))), None)
    if shared is not None:
        save_vectors(shared, directory / VECTORS_FILE, half=half_vectors)
    for key, (model, name, params) in models.items():
        own = vectors_of(model)
        save_model(
            model,
            name,
            params,
            directory / "models" / key,
            with_vectors=own is not None and own is not shared,
            with_maps=False,
            half_vectors=half_vectors,
        )
    saved_at = datetime.now(UTC).isoformat()
    names = {key: name for key, (_, name, _) in models.items()}
    write_json(
        directory / BUNDLE_FILE,
        {"format": FORMAT, "saved_at": saved_at, "models": names, "meta": meta},
    )
