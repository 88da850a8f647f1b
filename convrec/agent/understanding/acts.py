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
        if ledger.last_shown and re.search(
                r"\b(seen (them|those|these|all|it)( all)?|already (seen|watched) "
                r"(them|those|these|all)|watched (them|those|these) all)\b", low):
            update.seen_ids = list(dict.fromkeys([*update.seen_ids, *ledger.last_shown]))
            return "reject"
        if re.search(r"\b(none of (these|those|them|that)|not (these|those|them)\b|don'?t like "
                     r"(these|those|any of)|nothing (here|there) (appeals|works)|no good"
                     r"|not (interested|for me)|meh)\b", low) and not update.liked_ids and (
                         ledger.last_shown and short):
            return "reject"
        social = self._social_act(low, short)
        if social is not None and not mentions and update.model_copy(
            update={"wishes": []}
        ).is_empty():
            update.wishes = []  # "bye", "thanks a lot": not a wish
            return social
        informative = not update.is_empty() or bool(mentions)
        if informative:
            # asking for films, or saying what they want now, is a request; telling what
            # they saw, liked or can't stand (and nothing else) informs
            cue = bool(REQUEST_CUE.search(low))
            return "request" if cue or _wants(update) else "inform"
        if re.search(r"\b(more|others?|another|something else|different ones?|anything else"
                     r"|next|keep going|go on|what else)\b", low):
            return "more"
        if re.search(r"\b(recommend|suggest|what should i (watch|see)|what to watch|something to "
                     r"(watch|see)|surprise me|any (ideas|suggestions|recommendations|recs)|movie "
                     r"night|pick (something|a film|a movie|one)|anything|whatever|you (choose|"
                     r"pick|decide)|dealer'?s choice|need a (movie|film)|give me something|"
                     r"i'?m bored|go ahead)\b", low):
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



REQUEST_CUE = re.compile(
    r"\?|\b(recommend\w*|suggest\w*|recs?|ideas?|looking for|look for|searching for|after "
    r"(?:a|an|some|something|more)|want|wanna|need|find me|show me|give me|get me|in the "
    r"mood|mood for|something|anything|any good|what (?:should|can|could|would)|how about|"
    r"what about|can you|could you|would like|i'd like|id like|let'?s|make it|prefer"
    r"|what else|what(?:'s| is) next|what (?:are|should|can) we (?:watch|see)\w*|what to watch"
    r"|(?:has|have|needs?) to be|must be"
    r"|please|pls|plz|hit me|options?|similar|like it|like that|like this)\b"
)


def _wants(update: LedgerUpdate) -> bool:
    """Whether the update says what the user wants now (not only what to leave out)."""
    return bool(
        update.genres_include or update.people_include or update.year_from is not None
        or update.year_to is not None or update.runtime_min is not None
        or update.runtime_max is not None or update.languages or update.min_rating is not None
        or update.keywords_include or update.studios_include
        or update.genres_exclude or update.people_exclude or update.keywords_exclude
        or any(p.polarity > 0 for p in update.soft)
        or (bool(update.wishes) and not _dislikes(update) and not update.liked_ids)
    )


def _dislikes(update: LedgerUpdate) -> bool:
    """Whether the update tells what the user dislikes or has seen."""
    return bool(update.genres_exclude or update.people_exclude or update.keywords_exclude
                or update.disliked_ids or update.seen_ids
                or any(p.polarity < 0 for p in update.soft))
