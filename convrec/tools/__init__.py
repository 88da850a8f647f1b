"""Recommendation tools: typed arguments in, catalog ids with scores and evidence out."""
