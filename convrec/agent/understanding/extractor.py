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
from convrec.agent.understanding.extraction import Extraction
from convrec.agent.understanding.genres import GenreReader
from convrec.agent.understanding.injection import drop_injection
from convrec.agent.understanding.multilingual import looks_foreign, translate_common
from convrec.agent.understanding.numbers import NumberReader
from convrec.agent.understanding.people import PeopleReader
from convrec.agent.understanding.titles import TitleReader
from convrec.agent.understanding.tokens import mark_negation, sanitize, tokenize
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
            return Extraction(text="", update=LedgerUpdate(), user_act="empty", notes=notes)
        text, injection = drop_injection(text)
        if not text:
            return Extraction(text="", update=LedgerUpdate(), user_act="unclear",
                              injection=injection, notes=notes)
        foreign = looks_foreign(text)
        text = translate_common(text)
        tokens = tokenize(text)
        mark_negation(text, tokens)
        update = LedgerUpdate()
        question = self._question(text, ledger)
        if question is not None:
            return Extraction(text=text, update=LedgerUpdate(), user_act="question",
                              question=question, injection=injection, notes=notes)
        mentions, unresolved = self._titles(tokens, ledger, question is not None)
        self._films(mentions, update)
        self._ordinal_feedback(text, tokens, ledger, update)
        self._drops(text, tokens, update)
        self._people(tokens, update)
        self._studios(tokens, update)
        self._keywords(tokens, update, notes)
        self._genres(tokens, update, notes)
        self._relative(tokens, mentions, ledger, update)
        self._era(text, tokens, ledger, update, notes)
        self._runtime(text, tokens, update)
        self._languages(tokens, update)
        self._rating(text, tokens, update)
        if foreign:
            notes.append("I understand English best; I used what I recognised")
        else:
            self._wishes(tokens, mentions, update)
        self._unknown_negations(tokens, notes)
        if re.search(r"\bany\b(?:\s+[\w'’-]+){0,3}?\s+(?:films?|movies?|ones?)\b", text, re.I) and (
            not update.genres_include
        ):
            update.genres_clear = True  # "any Meg Ryan film": whatever the genre
        if re.search(r"\b(start (over|again|afresh)|reset|new search|forget (all|everything|"
                     r"it all|what i said)|clear (all|everything|the filters))\b", text, re.I):
            update.reset = True
        elif re.search(r"\b(actually|instead|rather|forget|change of plans?|scratch that)\b",
                       text, re.I):
            update.clear_wishes = True
        act = self._user_act(text, update, question, ledger, mentions)
        if act == "reject" and ledger.last_shown and not update.seen_ids:
            update.rejected_ids = list(ledger.last_shown)
        return Extraction(
            text=text, update=update, user_act=act, question=question, mentions=mentions,
            unresolved_titles=unresolved, injection=injection, notes=notes,
        )


def get_extractor(ctx: ToolContext) -> Extractor:
    return ctx.resources.get(
        "agent_extractor", lambda: Extractor(ToolContext(ctx.resources))
    )
