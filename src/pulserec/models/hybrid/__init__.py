"""Ranking: top-k selection, fusion, filters, diversity."""
