"""Benchmarks behind ``pulserec bench``: each prints its figures, none is a test."""
