"""The deterministic extractor: a user turn -> a ledger update, grounded in the catalog.

It always runs (the LLM may refine its output when a capable one is configured).
Everything it recognises is checked against the catalog's vocabularies, so what
reaches the ledger is a real genre, a real person, a real film id. Each slot family
has its own reader (titles, people, genres, numbers, wishes, acts); this module runs
them in order over one tokenised turn.

The text never reaches SQL or a prompt as an instruction; prompt-injection phrases
are recognised and dropped (`injection.py`), keeping the request beside them.
"""

from __future__ import annotations

import re

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.understanding.acts import ActReader
from convrec.agent.understanding.extraction import Extraction, UserAct
from convrec.agent.understanding.genres import GenreReader
from convrec.agent.understanding.grounding import ALL_KINDS, get_grounder
from convrec.agent.understanding.injection import drop_injection
from convrec.agent.understanding.multilingual import looks_foreign, translate_common
from convrec.agent.understanding.numbers import NumberReader
from convrec.agent.understanding.people import PeopleReader
from convrec.agent.understanding.titles import TitleReader
from convrec.agent.understanding.tokens import Token, mark_negation, sanitize, tokenize
from convrec.agent.understanding.vocab import AgentVocab, get_agent_vocab
from convrec.agent.understanding.wishes import WishReader
from convrec.tools.context import ToolContext

MAX_CHARS = 1_000  # a turn is cut here before extraction (a note says so)


class Extractor(TitleReader, PeopleReader, GenreReader, NumberReader, WishReader, ActReader):
    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.vocab: AgentVocab = get_agent_vocab(ctx)

    def extract(self, raw: str, ledger: Ledger) -> Extraction:
        text = sanitize(raw)
        notes: list[str] = []
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS].rsplit(" ", 1)[0]
            notes.append(f"the message was long; I read its first {MAX_CHARS} characters")
        if not text:
            act: UserAct = "empty"  # nothing readable: only emoji, control characters
            return Extraction(text="", update=LedgerUpdate(), user_act=act, notes=notes)
        text, injection = drop_injection(text)
        if not text:
            return Extraction(text="", update=LedgerUpdate(), user_act="unclear",
                              injection=injection, notes=notes)
        foreign = looks_foreign(text)
        text = translate_common(text)
        tokens = tokenize(text)
        mark_negation(text, tokens)
        update = LedgerUpdate()
        groundings: list[str] = []
        answer = _answer_to_confirm(text, ledger)
        if answer is not None:
            return Extraction(text=text, update=answer, user_act="inform", notes=notes)
        if self._gibberish(tokens):
            return Extraction(text=text, update=update, user_act="unclear",
                              injection=injection, notes=notes)
        question = self._question(text, ledger)
        if question is not None:
            return Extraction(text=text, update=LedgerUpdate(), user_act="question",
                              question=question, injection=injection, notes=notes)
        mentions, unresolved = self._titles(tokens, ledger, question is not None)
        self._films(mentions, update)
        self._ordinal_feedback(text, tokens, ledger, update)
        self._drops(text, tokens, update)
        self._people(tokens, update, notes)
        self._studios(tokens, update)
        self._keywords(tokens, update, notes)
        self._genres(tokens, update, notes, groundings)
        self._relative(tokens, mentions, ledger, update)
        self._quantities(text, tokens, ledger, update, notes)
        self._languages(tokens, update)
        if foreign:
            notes.append("I understand English best; I used what I recognised")
        else:
            self._wishes(tokens, update, groundings)
        self._unknown_negations(tokens, notes)
        if re.search(r"\bany\b(?:\s+[\w'’-]+){0,3}?\s+(?:films?|movies?|ones?)\b", text, re.I) and (
            not update.genres_include
        ):
            update.genres_clear = True  # "any Meg Ryan film": whatever the genre
        if re.search(r"\b(start (over|again|afresh)|reset|new search|forget (all|everything|"
                     r"it all|what i said)|clear (all|everything|the filters))\b", text, re.I):
            update.reset = True
        elif update.wishes and re.search(
                r"\b(actually|instead|rather|forget|change of plans?|scratch that)\b", text, re.I):
            update.clear_wishes = True  # a new wish replaces the old ones
        act = self._user_act(text, update, question, ledger, mentions)
        if act == "reject" and ledger.last_shown and not update.seen_ids:
            update.rejected_ids = list(ledger.last_shown)
        return Extraction(
            text=text, update=update, user_act=act, question=question, mentions=mentions,
            unresolved_titles=unresolved, injection=injection, notes=notes,
            groundings=groundings,
        )

    def _gibberish(self, tokens: list[Token]) -> bool:
        """Mostly no words at all ("asdkjh qwpoe", "lorem ipsum dolor sit amet"): nothing in
        it is read, so nothing random becomes a constraint or a wish."""
        words = [t.low for t in tokens if t.low.isalpha() and len(t.low) > 2
                 and not t.capitalised]  # a capitalised name may be a title it doesn't know
        if len(words) < 2:
            return False
        grounder = get_grounder(self.ctx)
        unknown = [w for w in words if not grounder.is_real_word(w)]
        if len(unknown) / len(words) <= 0.5:
            return False
        # a misspelt genre or name ("somthing by quentin tarantnio") is no gibberish
        return not any(grounder.spell(w, ALL_KINDS) is not None for w in unknown)


_YES = re.compile(r"^\W*(yes|yeah|yep|yup|sure|right|correct|exactly|that'?s right|that one"
                  r"|i did|i do|ya|ok|okay)\b", re.I)
_NO = re.compile(r"^\W*(no|nope|nah|not that|wrong|neither)\b", re.I)


def _answer_to_confirm(text: str, ledger: Ledger) -> LedgerUpdate | None:
    """'yes' / 'no' to "Did you mean musical?": confirm the asked leanings (they become
    hard) or drop them. None when nothing was asked or the turn says more than that."""
    asked = [k for k, p in ledger.soft.items() if p.ask]
    if not asked or len(text.split()) > 4:
        return None
    if _YES.search(text):
        return LedgerUpdate(confirm=asked)
    if _NO.search(text):
        return LedgerUpdate(drop=asked)
    return None

def get_extractor(ctx: ToolContext) -> Extractor:
    return ctx.resources.get(
        "agent_extractor", lambda: Extractor(ToolContext(ctx.resources))
    )
