"""Trained models as versioned artifacts on disk, loaded back without pickle.

``save_model`` / ``load_model``: one model as a directory of ``.npz``, ``.safetensors``,
LightGBM text and JSON files. ``save_idmap`` / ``load_idmap`` and ``save_vectors`` /
``load_vectors``: the id maps and item text vectors. ``ArtifactStore``: versioned bundles of
models published atomically, for a server to load at start and hot-swap when a new one lands.
"""

from pulserec.artifacts.idmaps import load_idmap, load_vectors, save_idmap, save_vectors
from pulserec.artifacts.models import load_model, model_info, save_model
from pulserec.artifacts.store import ArtifactStore, Bundle

__all__ = [
    "ArtifactStore",
    "Bundle",
    "load_idmap",
    "load_model",
    "load_vectors",
    "model_info",
    "save_idmap",
    "save_model",
    "save_vectors",
]
