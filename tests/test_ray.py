"""Bulk work on a real local Ray cluster of two nodes (``ray.cluster_utils.Cluster``):
``pulserec embed --ray`` gives the vectors the in-process path gives, and ``pulserec train
--ray`` fits the models as parallel tasks and publishes a version the engine can serve."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pulserec.artifacts import ArtifactStore
from pulserec.encoders import load_encoder
from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache, encode_cached, text_key
from pulserec.encoders.texts import item_text
from pulserec.storage import open_store
from pulserec.storage.ingest import Ingestor
from tests.engine.conftest import catalog, events

pytestmark = pytest.mark.slow
NODE = {"num_cpus": 1, "object_store_memory": 150 * 2**20}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    running = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    running.add_node(**NODE)
    running.wait_for_nodes()
    yield running
    import ray

    ray.shutdown()
    running.shutdown()


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulserec", *args],
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_cluster_encodes_exactly_what_this_process_encodes(cluster: Any) -> None:
    from pulserec.engine.lifecycle.distributed import CHUNK, encode_on_ray

    encoder = load_encoder("hashing")
    texts = [f"item {n}: rockets, galaxies and {n % 13} orbits" for n in range(3 * CHUNK + 17)]
    remote = encode_on_ray(cluster.address, "hashing", encoder.dim, texts)
    assert np.array_equal(remote, encode_cached(encoder, texts, None))
    import ray

    nodes = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
    assert len(nodes) == 2


def test_pulserec_embed_on_ray_fills_the_cache_with_the_same_vectors(
    cluster: Any, tmp_path: Path
) -> None:
    for name in ("local", "ray"):
        store = open_store(tmp_path / name)
        Ingestor(store).add_items(catalog())
        store.close()
    flags = ("--encoder", "minilm-int8")
    local = _cli("embed", "--data-dir", str(tmp_path / "local"), *flags)
    on_ray = _cli("embed", "--data-dir", str(tmp_path / "ray"), *flags, "--ray", cluster.address)
    assert local.returncode == 0, local.stderr[-2000:]
    assert on_ray.returncode == 0, on_ray.stderr[-2000:]
    assert "on Ray at" in on_ray.stderr and "40 item vectors" in on_ray.stderr
    encoder = load_encoder("minilm-int8")
    keys = [text_key(item_text(item, "generic")) for item in catalog()]
    vectors = []
    for name in ("local", "ray"):
        cache = EmbeddingCache(tmp_path / name / CACHE_FILENAME)
        found = cache.get(encoder.id, keys)
        cache.close()
        assert len(found) == len(keys)
        vectors.append(np.stack([found[k] for k in keys]))
    assert np.array_equal(vectors[0], vectors[1])


def test_pulserec_train_on_ray_fits_models_in_parallel_and_publishes(
    cluster: Any, tmp_path: Path
) -> None:
    store = open_store(tmp_path / "data")
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_events(events())
    store.close()
    light = {"PULSEREC_ITEM_ENCODER": "hashing", "PULSEREC_QUERY_ENCODER": "hashing"}
    for models in ("itemknn,ease", "hybrid"):
        trained = _cli(
            "train", "--data-dir", str(tmp_path / "data"), "--ray", cluster.address,
            env={**light, "PULSEREC_MODELS": models},
        )  # fmt: skip
        assert trained.returncode == 0, trained.stderr[-3000:]
        bundle = ArtifactStore(tmp_path / "data" / "models").load_bundle()
        assert set(bundle.models) == set(models.split(","))
        assert bundle.meta["trained_by"] == "pulserec train --ray"
