"""Realistic search phrases for the encoder and search benchmarks, deterministic from a seed.

Movie phrases paraphrase genres and themes (never the genre names the item texts contain, so
word overlap is no shortcut); shop phrases combine the synthetic catalog's own word pools the
way people type into a search box. ``query_sets`` splits distinct phrases into a fitting set and
a held-out set that no fitting ever sees.
"""

from __future__ import annotations

import numpy as np

from pulserec.data.vocabularies import VOCABULARIES

MOVIE_THEMES = (
    "cowboys on the frontier",
    "gunslingers in the old west",
    "outlaws and sheriffs",
    "ghosts in a haunted house",
    "a slasher stalking teenagers",
    "monsters that scare you",
    "space battles and starships",
    "robots and artificial intelligence",
    "aliens invading earth",
    "time travel paradox",
    "a heist gone wrong",
    "mob bosses and gangsters",
    "detectives solving a murder",
    "a serial killer investigation",
    "courtroom drama",
    "falling in love in paris",
    "a wedding comedy",
    "romance between old friends",
    "talking animals for children",
    "cartoon for the whole family",
    "fairy tale princess",
    "soldiers in world war two",
    "the vietnam war",
    "a submarine under attack",
    "car chases and explosions",
    "martial arts fights",
    "a spy on a secret mission",
    "singing and dancing on stage",
    "a broadway show",
    "a band on tour",
    "a shark attacking swimmers",
    "a disaster movie with a volcano",
    "survival in the wilderness",
    "a coming of age story",
    "high school friendship",
    "a family road trip",
    "a sword and sorcery quest",
    "dragons and wizards",
    "a knight in medieval times",
    "a documentary about nature",
    "true story of a musician",
    "life in a small town",
    "a boxer's comeback",
    "baseball underdogs",
    "a football team's big season",
    "political conspiracy thriller",
    "a journalist uncovering corruption",
    "a prison escape",
    "zombies and the undead",
    "vampires at night",
    "a mad scientist experiment",
    "black and white detective story",
    "femme fatale and shadows",
    "a hard boiled private eye",
)
MOVIE_MODIFIERS = (
    "",
    "",
    "funny",
    "dark",
    "classic",
    "old",
    "scary",
    "romantic",
    "feel good",
    "violent",
    "sad",
    "clever",
    "light",
    "epic",
    "low budget",
    "award winning",
    "cult",
    "animated",
)
MOVIE_TAILS = (
    "",
    "",
    "",
    "from the 90s",
    "from the 80s",
    "for kids",
    "for date night",
    "with a twist ending",
    "based on a true story",
    "from the seventies",
    "with great music",
    "for a rainy day",
)
SHOP_TEMPLATES = (
    "{adj} {noun}",
    "{brand} {noun}",
    "{noun} {material}",
    "{color} {noun}",
    "best {noun}",
    "cheap {noun}",
    "{adj} {noun} for {use}",
    "{noun} for {use}",
    "{material} {noun} {color}",
    "{noun} under {price}",
    "{adj} {material} {noun}",
    "{noun} with {feature}",
)


def movie_queries(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` phrases like "dark a heist gone wrong from the 90s", tidied of double spaces."""
    themes = rng.integers(0, len(MOVIE_THEMES), n)
    mods = rng.integers(0, len(MOVIE_MODIFIERS), n)
    tails = rng.integers(0, len(MOVIE_TAILS), n)
    out = []
    for t, m, tail in zip(themes, mods, tails, strict=True):
        theme = MOVIE_THEMES[t]
        if MOVIE_MODIFIERS[m]:
            theme = f"{MOVIE_MODIFIERS[m]} movie about {theme}"
        out.append(" ".join(f"{theme} {MOVIE_TAILS[tail]}".split()))
    return out


def shop_queries(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` e-commerce phrases from the synthetic catalog's categories and word pools."""
    vocab = VOCABULARIES["ecommerce"]
    colors = vocab.shared.get("color", ("black",))
    out = []
    for _ in range(n):
        category = vocab.categories[int(rng.integers(0, len(vocab.categories)))]
        pools = {k: v for k, v in category.words.items() if v}
        template = SHOP_TEMPLATES[int(rng.integers(0, len(SHOP_TEMPLATES)))]
        values = {name: str(rng.choice(np.array(pool))) for name, pool in pools.items()}
        values["color"] = str(rng.choice(np.array(colors)))
        values["price"] = str(int(rng.choice(np.array([20, 30, 50, 100, 200]))))
        try:
            out.append(template.format(**values))
        except KeyError:
            out.append(values.get("noun", category.label.lower()))
    return out


def query_sets(n_fit: int, n_held_out: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Distinct phrases, half movies half shopping, split so the two sets share no phrase."""
    rng = np.random.default_rng(seed)
    pool: list[str] = []
    target = n_fit + n_held_out
    while len(set(pool)) < target and len(pool) < 20 * target:
        half = max(target // 2, 1)
        pool += movie_queries(rng, half) + shop_queries(rng, half)
    distinct = list(dict.fromkeys(pool))
    order = rng.permutation(len(distinct))
    shuffled = [distinct[i] for i in order]
    return shuffled[:n_fit], shuffled[n_fit : n_fit + n_held_out]
