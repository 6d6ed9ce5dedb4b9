"""Text normal forms shared by the catalog's labels and the chat's words."""

from __future__ import annotations

import unicodedata


def without_accents(text: str) -> str:
    """``text`` with its combining accents removed ("Björk" -> "Bjork", "café" -> "cafe")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
