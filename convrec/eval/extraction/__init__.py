"""Measurements of the constraint extractor against hand-judged messages."""
