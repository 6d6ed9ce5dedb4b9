"""Experiments: deterministic assignment, team-draft interleaving and the statistics of a
report, with the user as the unit of analysis."""
