"""Candidate sources: each a Retriever (fit / update / score / retrieve)."""
