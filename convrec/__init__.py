"""convrec: a conversational movie recommender agent."""

__version__ = "0.1.0"
