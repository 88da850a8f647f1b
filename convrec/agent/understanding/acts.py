"""The user's dialogue act: a rejection of the last list, thanks, a greeting, more, an open
request, or an update of what they want."""

from __future__ import annotations

import re

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.understanding.extraction import (
    Question,
    TitleMention,
    UserAct,
)
from convrec.agent.understanding.vocab import AgentVocab
from convrec.tools.context import ToolContext


class ActReader:
    """The user's dialogue act."""

    ctx: ToolContext
    vocab: AgentVocab

    # acts

    def _user_act(self, text: str, update: LedgerUpdate, question: Question | None,
                  ledger: Ledger, mentions: list[TitleMention]) -> UserAct:
        low = text.lower()
        words = re.findall(r"[a-z']+", low)
        short = len(words) <= 8
        if question is not None:
            return "question"
        if re.search(r"\b(seen (them|those|these|all|it)( all)?|already (seen|watched) "
                     r"(them|those|these|all)|watched (them|those|these) all)\b", low):
            update.seen_ids = list(dict.fromkeys([*update.seen_ids, *ledger.last_shown]))
            return "reject"
        if re.search(r"\b(none of (these|those|them|that)|not (these|those|them)\b|don'?t like "
                     r"(these|those|any of)|nothing (here|there) (appeals|works)|no good"
                     r"|not (interested|for me)|meh)\b", low) and not update.liked_ids:
            return "reject"
        social = self._social_act(low, short)
        if social is not None and not mentions and update.model_copy(
            update={"wishes": []}
        ).is_empty():
            update.wishes = []  # "bye", "thanks a lot": not a wish
            return social
        informative = not update.is_empty() or bool(mentions)
        if informative:
            return "inform"
        if re.search(r"\b(more|others?|another|something else|different ones?|anything else"
                     r"|next|keep going|go on|what else)\b", low):
            return "more"
        if re.search(r"\b(recommend|suggest|what should i (watch|see)|what to watch|something to "
                     r"(watch|see)|surprise me|any (ideas|suggestions|recommendations)|movie "
                     r"night|pick (something|a film|a movie|one))\b", low):
            return "request"  # an open request: nothing about what, yet
        return "unclear"

    @staticmethod
    def _social_act(low: str, short: bool) -> UserAct | None:
        if short and re.search(r"\b(thanks|thank you|thx|cheers|ty)\b", low):
            return "thanks"
        if short and re.search(r"\b(i'?ll (watch|take|go with|try)|sounds (good|great)|perfect"
                               r"|that'?s great|great choice|i'?ll check|awesome|love it)\b",
                               low):
            return "accept"
        if short and re.search(r"\b(bye|goodbye|see you|that'?s all|i'?m done|quit|exit)\b",
                               low):
            return "bye"
        if short and re.search(r"\b(hi|hello|hey|hiya|howdy|good (morning|evening|afternoon)"
                               r"|yo|what'?s up|sup)\b", low):
            return "greeting"
        return None

