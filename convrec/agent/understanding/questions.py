"""Factual questions about one film ("who directed Heat?", "is The Prestige worth
watching?"), asked in a sentence of their own: a post that asks for films is a request."""

from __future__ import annotations

import re

from convrec.agent.ledger import Ledger
from convrec.agent.understanding.extraction import Question, QuestionKind, shown_at
from convrec.agent.understanding.lexicon import ORDINAL_REF
from convrec.agent.understanding.vocab import AgentVocab
from convrec.tools.context import ToolContext


class QuestionReader:
    """Factual questions about a film."""

    ctx: ToolContext
    vocab: AgentVocab

    def match_title(self, written: str, *, loose: bool = False) -> list[int]:
        raise NotImplementedError  # the title reader's

    # questions

    _QUESTIONS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
        ("director", re.compile(r"\bwho\s+(?:directed|made|was the director of|is the "
                                r"director of|directs)\s+(?P<t>.+)", re.I)),
        ("cast", re.compile(r"\bwho(?:'s|\s+is|\s+are|\s+was|\s+were)?\s+(?:in|starring in|"
                            r"stars in|acts in|acted in|plays in|played in|the cast of|the "
                            r"actors in|the stars? of|starred in)\s+(?P<t>.+)", re.I)),
        ("runtime", re.compile(r"\b(?:how long is|how long's|what(?:'s| is) the (?:runtime|"
                               r"running time|length) of|runtime of)\s+(?P<t>.+)", re.I)),
        ("year", re.compile(r"\b(?:when (?:was|did|is)|what year (?:was|did|is)|which year "
                            r"(?:was|did))\s+(?P<t>.+?)(?:\s+(?:come out|came out|released|"
                            r"made|release|out))?\s*\??$", re.I)),
        ("plot", re.compile(r"\b(?:what(?:'s| is| was)\s+(?P<t>.+?)\s+about\b|tell me (?:more"
                            r" )?about\s+(?P<t2>.+)|what happens in\s+(?P<t3>.+)|plot of"
                            r"\s+(?P<t4>.+))", re.I)),
        ("rating", re.compile(r"^(?:is|was)\s+(?P<t>.+?)\s+(?:any good|good|worth (?:it|"
                              r"watching|seeing)|well rated|rated well|better than .+)\W*$"
                              r"|\bhow (?:good|well rated) is\s+(?P<t2>.+)", re.I)),
        ("cast", re.compile(r"^(?:is|was)\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*\s+in\s+"
                            r"(?P<t>.+)", re.I)),
        ("director", re.compile(r"^did\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*\s+(?:direct|make)"
                                r"\s+(?P<t>.+)", re.I)),
    )

    def _question(self, text: str, ledger: Ledger) -> Question | None:
        """A factual question about one film. Asked in one sentence of its own: a post that
        asks for films ("like Heat (1995)? anything similar") is a request, not a question."""
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
        if len(sentences) > 2 or any(_ASKS_FOR_FILMS.search(s) for s in sentences):
            return None
        for kind, pattern in self._QUESTIONS:
            match = next((m for m in map(pattern.search, sentences) if m), None)
            if not match:
                continue
            written = next(g for g in match.groups() if g)
            written = re.sub(r"[?!.\s]+$", "", written).strip(" \"'“”")
            written = re.sub(r"\s+(?:come out|came out|released|made|out)$", "", written,
                             flags=re.I)
            if not written:
                continue
            item_id = self._referenced(written, ledger)
            if item_id is None:
                found = self.match_title(written, loose=True)
                item_id = found[0] if found else None
            return Question(kind=kind, item_id=item_id, title=None if item_id else written)
        return None

    def _referenced(self, written: str, ledger: Ledger) -> int | None:
        """'the first one', 'number 2', 'it', 'that one' -> a film of the last list."""
        if not ledger.last_shown:
            return None
        low = written.lower().strip()
        if low in ("it", "that", "that one", "this one", "this", "that movie", "that film"):
            return ledger.last_shown[0] if len(ledger.last_shown) == 1 else None
        match = ORDINAL_REF.fullmatch(low) or ORDINAL_REF.match(low)
        if match and match.end() >= len(low) - 1:
            return shown_at(match, ledger.last_shown)
        return None


    # films


_ASKS_FOR_FILMS = re.compile(
    r"\b(recommend\w*|suggest\w*|looking for|anything (?:else )?(?:like|similar)|something "
    r"(?:like|similar)|similar (?:to|films?|movies?)|what (?:else )?should i|more like|any "
    r"(?:others?|recs?|ideas))\b", re.I)
