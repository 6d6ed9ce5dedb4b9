"""``pulserec embed`` in process against ``pulserec embed --ray`` on a local 2-node Ray cluster.

Writes a synthetic catalog (``pulserec synth``, default 100k items), imports it into two data
dirs, starts ``ray.cluster_utils.Cluster`` with two nodes of one CPU each, runs the real CLI
once without and once with ``--ray`` (each into an empty embedding cache, so every item is
encoded), and prints both rates, their ratio and whether the two caches hold identical
vectors. ``python bench/ray_embed.py [--items N] [--encoder minilm-onnx]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _cli(*args: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "pulserec", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"pulserec {args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout + done.stderr


def _rate(output: str) -> float:
    found = re.search(r"([\d,]+) items/s", output)
    if found is None:
        raise SystemExit(f"no rate in: {output[-500:]}")
    return float(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--encoder", default="minilm-onnx")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pulserec-ray-embed-"))
    _cli("synth", "--out", str(root / "synth"), "--items", str(args.items), "--users", "10",
         "--events", "10")  # fmt: skip
    items = next((root / "synth").glob("items.*"))
    for name in ("local", "ray"):
        _cli("import", str(items), "--data-dir", str(root / name))
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "object_store_memory": 300 * 2**20}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    cluster.add_node(**node)
    cluster.wait_for_nodes()
    try:
        started = time.perf_counter()
        local = _rate(_cli("embed", "--data-dir", str(root / "local"), "--encoder", args.encoder))
        local_s = time.perf_counter() - started
        started = time.perf_counter()
        on_ray = _rate(_cli("embed", "--data-dir", str(root / "ray"), "--encoder", args.encoder,
                            "--ray", cluster.address))  # fmt: skip
        ray_s = time.perf_counter() - started
    finally:
        cluster.shutdown()
    identical = _same_vectors(root, args.encoder)
    print(
        f"{args.items:,} items, {args.encoder}: in process {local:,.0f} items/s "
        f"({local_s:.0f} s with start-up), on Ray (2 nodes x 1 CPU) {on_ray:,.0f} items/s "
        f"({ray_s:.0f} s); ratio {on_ray / local:.2f}; identical vectors: {identical}"
    )


def _same_vectors(root: Path, encoder_name: str) -> bool:
    from pulserec.encoders import load_encoder
    from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache, text_key
    from pulserec.encoders.texts import item_text
    from pulserec.storage import open_store

    store = open_store(root / "local")
    keys: list[str] = []
    for page in store.iter_items():
        keys += [text_key(t) for item in page if (t := item_text(item, "generic"))]
    store.close()
    encoder_id = load_encoder(encoder_name).id
    found = []
    for name in ("local", "ray"):
        cache = EmbeddingCache(root / name / CACHE_FILENAME)
        vectors = cache.get(encoder_id, keys)
        cache.close()
        found.append(np.stack([vectors[k] for k in keys]))
    return len(keys) > 0 and bool(np.array_equal(found[0], found[1]))


if __name__ == "__main__":
    main()
