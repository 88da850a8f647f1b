"""Understanding a user's turn: the deterministic extractor and its slot readers.

The extractor reads a message into a `LedgerUpdate` and a user act with rules grounded in
the catalog's vocabularies (genres, people, titles, languages, eras, runtimes, quantities,
wishes); each slot has its own reader module. No model is needed: a capable LLM may add to
the reading afterwards (`agent/refine.py`). It may import `tools` (for the vocabularies),
`catalog` and the agent's ledger, nothing above the agent.
"""

from convrec.agent.understanding.extraction import (
    Extraction,
    Question,
    QuestionKind,
    TitleMention,
    UserAct,
)
from convrec.agent.understanding.extractor import Extractor, get_extractor
from convrec.agent.understanding.tokens import sanitize

__all__ = ["Extraction", "Extractor", "Question", "QuestionKind", "TitleMention", "UserAct",
           "get_extractor", "sanitize"]
