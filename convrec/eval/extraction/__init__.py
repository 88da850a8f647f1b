"""Measurements of the constraint extractor against hand-judged messages.

The suites of judged messages, the adapter that folds an extractor's reading into a
ledger, the scorer and the runner behind `convrec bench extract`. Part of `eval`: it may
import the agent's understanding and the tools' vocabularies, nothing above `eval`.
"""
