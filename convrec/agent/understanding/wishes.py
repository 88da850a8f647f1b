"""The soft wish: the words left over (mood, themes, plot) that the catalog knows."""

from __future__ import annotations

import re

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.extraction import (
    TitleMention,
)
from convrec.agent.understanding.lexicon import (
    COMPARATIVE,
    GENERIC,
)
from convrec.agent.understanding.tokens import (
    Token,
)
from convrec.agent.understanding.vocab import GENRE_WORDS, AgentVocab, known_words
from convrec.tools.context import ToolContext


class WishReader:
    """The soft wish: what is left that the catalog has words for."""

    ctx: ToolContext
    vocab: AgentVocab

    # wishes

    def _wishes(self, tokens: list[Token], mentions: list[TitleMention],
                update: LedgerUpdate) -> None:
        words: list[str] = []
        for tok in tokens:
            if tok.used or tok.negated or not re.match(r"\w", tok.text) or tok.low.isdigit():
                continue
            word = COMPARATIVE.get(tok.low, tok.low)
            if tok.low in COMPARATIVE:
                words.append(word)
                continue
            if word in GENERIC or word in GENRE_WORDS or len(word) < 3:
                continue
            if re.fullmatch(r"\d{2,4}'?s|'\d0s", word):
                continue
            words.append(word)
        if not words:
            return
        known = set(known_words(self.ctx, " ".join(words)))
        kept = [w for w in words if w in known]
        if kept:
            update.wishes.append(" ".join(dict.fromkeys(kept)))


