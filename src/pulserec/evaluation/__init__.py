"""Offline evaluation: metrics, split protocols, the runner and its report (BENCHMARKS.md)."""
