"""Year and price ranges in free text; each found phrase is blanked out of the text returned.

Years: decades ("the 90s", "1980s", "'70s", "the fifties"), "between A and B", "before/after/
since YEAR", "from/in/of YEAR". A negated bound flips: "not before 1990" and "nothing older than
1990" mean from 1990 on. Prices: "under/below/up to/at most/no more than N", "over/above/at least
N", "between A and B" (with "$", "dollars", "bucks").
"""

from __future__ import annotations

import re

_WORD_DECADES = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990,
}  # fmt: skip
_DECADE = re.compile(r"\b(?:the\s+)?(?:(19|20)(\d)0|'?(\d)0)'?s\b")
_WORD_DECADE = re.compile(r"\b(?:the\s+)?(" + "|".join(_WORD_DECADES) + r")\b")
_BETWEEN_YEARS = re.compile(r"\bbetween\s+((?:19|20)\d\d)\s+and\s+((?:19|20)\d\d)\b")
_NOT = r"(?:\b(?:not|no|nothing|never|none)\s+(?:from\s+|made\s+|released\s+)?)?"
_BEFORE = re.compile(_NOT + r"\b(?:before|older than|earlier than|pre-?)\s*((?:19|20)\d\d)\b")
_AFTER = re.compile(_NOT + r"\b(?:after|newer than|later than|since)\s+((?:19|20)\d\d)\b")
_YEAR = re.compile(r"\b(?:from|in|of)\s+((?:19|20)\d\d)\b")
_MONEY = r"\$?\s*(\d+(?:\.\d+)?)\s*(?:dollars|usd|bucks|\$)?"
_PRICE_BETWEEN = re.compile(rf"\bbetween\s+{_MONEY}\s+and\s+{_MONEY}")
_PRICE_MAX = re.compile(
    r"\b(?:under|below|less than|cheaper than|up to|at most|max|no more than|not more than"
    rf"|not over|no higher than|within)\s+{_MONEY}"
)
_PRICE_MIN = re.compile(rf"\b(?:over|above|more than|at least|min)\s+{_MONEY}")


def _decade(match: re.Match[str]) -> tuple[int, int]:
    if match.group(1):
        start = int(match.group(1) + match.group(2) + "0")
    else:
        digit = int(match.group(3))
        start = (2000 if digit <= 2 else 1900) + 10 * digit
    return start, start + 9


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def _negated(match: re.Match[str]) -> bool:
    return match.group(0).split()[0] in ("not", "no", "nothing", "never", "none")


def extract_years(text: str) -> tuple[int | None, int | None, str]:
    """Year bounds and the text without the phrases that gave them."""
    if m := _BETWEEN_YEARS.search(text):
        return int(m.group(1)), int(m.group(2)), _cut(text, m)
    low: int | None = None
    high: int | None = None
    if m := _DECADE.search(text):
        (low, high), text = _decade(m), _cut(text, m)
    elif m := _WORD_DECADE.search(text):
        low, text = _WORD_DECADES[m.group(1)], _cut(text, m)
        high = low + 9
    if m := _BEFORE.search(text):
        year = int(m.group(1))
        if _negated(m):
            low = year
        else:
            high = year - 1
        text = _cut(text, m)
    if m := _AFTER.search(text):
        year = int(m.group(1))
        if _negated(m):
            high = year
        else:
            low = year + (0 if "since" in m.group(0) else 1)
        text = _cut(text, m)
    if low is None and high is None and (m := _YEAR.search(text)):
        low = high = int(m.group(1))
        text = _cut(text, m)
    return low, high, text


def extract_prices(text: str) -> tuple[float | None, float | None, str]:
    """Price bounds and the text without the phrases that gave them."""
    if m := _PRICE_BETWEEN.search(text):
        return float(m.group(1)), float(m.group(2)), _cut(text, m)
    low: float | None = None
    high: float | None = None
    if m := _PRICE_MAX.search(text):
        high, text = float(m.group(1)), _cut(text, m)
    if m := _PRICE_MIN.search(text):
        low, text = float(m.group(1)), _cut(text, m)
    return low, high, text
