"""The one-paragraph reply of ``POST /v1/chat``: what was applied, loosened, and left out."""

from __future__ import annotations

from pulserec.llm.chat_mask import MaskResult
from pulserec.llm.constraints import Constraints


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _valued(name: str, value: str) -> str:
    """An attribute condition in words: ``explicit`` for true, ``not explicit`` for false."""
    lowered = value.lower()
    if lowered in ("true", "false"):
        return name.replace("_", " ") if lowered == "true" else f"not {name.replace('_', ' ')}"
    return f"{name} {value}"


def _years(low: int | None, high: int | None) -> str | None:
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        return f"from {low}" if low == high else f"from {low}-{high}"
    return f"from {low} on" if low is not None else f"up to {high}"


def sentence(constraints: Constraints, result: MaskResult, found: int, demoted: int) -> str:
    """What the list is, in words, then notes (loosened conditions, unchecked ones)."""
    notes = [note[0].upper() + note[1:] + "." for note in result.notes]
    if found == 0:
        return " ".join(["Nothing in the catalog meets all of that; try loosening a condition.",
                         *notes])  # fmt: skip
    parts = [f"Here are {found} picks"]
    if constraints.similar_to:
        parts.append("like " + _and([title for _, title in constraints.similar_to]))
    if result.relaxed:
        parts.append("in " + _and(result.kept))
    else:
        if constraints.include:
            parts.append("in " + _and(list(constraints.include)))
        if constraints.tags:
            parts.append("tagged " + _and(list(constraints.tags)))
        if constraints.attributes:
            parts.append("with " + _and([_valued(n, v) for n, v in constraints.attributes]))
    if constraints.text:
        parts.append(f'matching "{constraints.text}"')
    if (years := _years(constraints.year_min, constraints.year_max)) is not None:
        parts.append(years)
    if constraints.price_max is not None:
        parts.append(f"at most {constraints.price_max:g}")
    if constraints.price_min is not None:
        parts.append(f"at least {constraints.price_min:g}")
    left_out = [*constraints.exclude, *constraints.exclude_tags]
    left_out += [_valued(n, v) for n, v in constraints.exclude_attributes]
    if left_out:
        parts.append("leaving out " + _and(left_out))
    text = " ".join(parts) + "."
    if demoted:
        text += f" {demoted} about {_and(list(constraints.avoid))} ranked last."
    return " ".join([text, *notes])
