"""Recommendation tools: typed arguments in, catalog ids with scores and evidence out.

Each tool has pydantic arguments, runs deterministic code over the catalog and its
indexes (SQL filtering in `filters/`, BM25, dense retrieval in `dense/`, the user profile
in `profiles/`, collaborative filtering, the learned ranker in `ranking/`, title lookup),
and returns scored ids with the evidence for each. The registry (`registry.py`) is what the
planner may call. It may import `catalog`, `cf` and the shared modules; never `agent` or
anything above it.
"""
