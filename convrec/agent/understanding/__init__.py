"""Understanding a user's turn: the deterministic extractor and its slot readers."""

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
