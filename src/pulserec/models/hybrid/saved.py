"""The hybrid's own saved arrays (its sources are saved as its children): the training events
its serving context is rebuilt from, the chosen ranker (a blend's weights or LightGBM's text
model), the fallback source, the served sources and the validation figures."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from pulserec.core.interactions import Interactions
from pulserec.models.arrays import interactions_state, under
from pulserec.models.hybrid.blend import LinearBlend
from pulserec.models.hybrid.rankers import lightgbm_from_text, lightgbm_text
from pulserec.models.persistable import State, array_text, text_array

RANKER_TEXT = "ranker.txt"


class Chosen(NamedTuple):
    """What fitting chose on the held-out events."""

    ranker: Any  # a LinearBlend, a LightGBM ranker or Booster, or None (plain RRF)
    fallback: str | None  # the source served instead of a ranker that lost to it
    serving: list[str] | None  # the sources the served blend reads (None: all)
    validation: dict[str, Any]


def hybrid_state(data: Interactions, chosen: Chosen) -> State:
    """The arrays under their saved keys: ``_data.*``, ``_ranker.*`` or ``ranker.txt``,
    ``_fallback``, ``_serving`` and ``_validation.*``."""
    out: State = interactions_state("_data.", data)
    if isinstance(chosen.ranker, LinearBlend):
        out.update({f"_ranker.{k}": v for k, v in chosen.ranker.state().items()})
    elif (text := lightgbm_text(chosen.ranker)) is not None:
        out[RANKER_TEXT] = text_array(text)
    if chosen.fallback is not None:
        out["_fallback"] = np.array(chosen.fallback)
    if chosen.serving is not None:
        out["_serving"] = np.array(chosen.serving)
    for key, value in chosen.validation.items():
        out[f"_validation.{key}"] = np.array(value)
    return out


def chosen_from_state(state: State) -> Chosen:
    """The choice saved by :func:`hybrid_state` (the events are read separately)."""
    ranker = None
    if "_ranker.weights" in state:
        ranker = LinearBlend.from_state(under("_ranker.", state))
    elif RANKER_TEXT in state:
        ranker = lightgbm_from_text(array_text(state[RANKER_TEXT]))
    fallback = str(state["_fallback"]) if "_fallback" in state else None
    serving = [str(n) for n in state["_serving"]] if "_serving" in state else None
    validation = {key: value.item() for key, value in under("_validation.", state).items()}
    return Chosen(ranker, fallback, serving, validation)
