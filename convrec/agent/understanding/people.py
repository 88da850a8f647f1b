"""People and studios: "with Tom Hanks", "a Tarantino film", "no Pixar".

Names are matched on the catalog's people and TMDB production companies; a surname
alone only when it belongs to one well-known person (a director with several films,
an actor with many credits).
"""

from __future__ import annotations

import re

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.lexicon import (
    GENERIC,
)
from convrec.agent.understanding.tokens import (
    Token,
)
from convrec.agent.understanding.vocab import GENRE_WORDS, AgentVocab
from convrec.tools.context import ToolContext
from convrec.tools.filters import PersonRef, person_key, vocab_key


class PeopleReader:
    """People (full names, well-known surnames) and studios."""

    ctx: ToolContext
    vocab: AgentVocab

    # people

    def _people(self, tokens: list[Token], update: LedgerUpdate) -> None:
        vocab = self.vocab
        for n in (3, 2):
            for i in range(len(tokens) - n + 1):
                window = tokens[i:i + n]
                if any(t.used or not re.match(r"\w", t.text) for t in window):
                    continue
                key = person_key(" ".join(t.text for t in window))
                person = vocab.people.get(key)
                if person is None:
                    continue
                if not any(t.capitalised for t in window) and vocab.credits(person) < 5:
                    continue
                for t in window:
                    t.used = True
                self._add_person(tokens, i, window, person, update)
        for i, tok in enumerate(tokens):
            if tok.used:
                continue
            if i + 1 < len(tokens) and not tokens[i + 1].used and tokens[i + 1].capitalised:
                pair = vocab.surnames.get(f"{tok.low} {tokens[i + 1].low}")
                if pair is not None and tok.capitalised:  # "De Niro"
                    tok.used = tokens[i + 1].used = True
                    self._add_person(tokens, i, [tok, tokens[i + 1]], pair, update)
                    continue
            if len(tok.low) < 4:
                continue
            person = vocab.surnames.get(tok.low)
            prev = tokens[i - 1].low if i else ""
            if person is None or not (tok.capitalised or prev in ("by", "director")):
                continue
            if tok.capitalised and i == 0 and prev == "":
                nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
                if nxt not in ("film", "films", "movie", "movies", "flick", "flicks"):
                    continue
            tok.used = True
            self._add_person(tokens, i, [tok], person, update)

    def _add_person(self, tokens: list[Token], i: int, window: list[Token], person: int,
                    update: LedgerUpdate, role: str | None = None) -> None:
        vocab = self.vocab
        before = " ".join(t.low for t in tokens[max(0, i - 2):i])
        after = " ".join(t.low for t in tokens[i + len(window):i + len(window) + 2])
        if role is None:
            by_name = re.search(r"(directed by|by|director)$", before)
            their_film = after.startswith(("film", "movie", "flick"))
            if (by_name and person in vocab.directors) or (
                their_film and vocab.mainly_directs(person)
            ):
                role = "director"
            elif re.search(r"(with|starring|featuring|actor|actress|stars)$", before):
                role = "actor"
            else:
                role = "any"
        ref = PersonRef(name=vocab.person_name(person), role=role)  # type: ignore[arg-type]
        if window[0].allowed:
            update.people_allow.append(ref.name)
        elif window[0].negated:
            update.people_exclude.append(ref)
        else:
            update.people_include.append(ref)


    def _studios(self, tokens: list[Token], update: LedgerUpdate) -> None:
        """'no Pixar', 'a Studio Ghibli film', 'something from Disney': capitalised (or
        after 'by' / 'from'), matched to the TMDB production companies."""
        for n in (3, 2, 1):
            for i in range(len(tokens) - n + 1):
                window = tokens[i:i + n]
                if any(t.used or not re.match(r"\w", t.text) for t in window):
                    continue
                key = vocab_key(" ".join(t.text for t in window))
                if key not in self.vocab.studios or key in GENERIC or key in GENRE_WORDS:
                    continue
                prev = tokens[i - 1].low if i else ""
                if not (window[0].capitalised or prev in ("by", "from")):
                    continue
                if window[0].capitalised and i == 0 and n == 1 and prev == "":
                    nxt = tokens[1].low if len(tokens) > 1 else ""
                    if nxt not in ("film", "films", "movie", "movies"):
                        continue  # a capital at the start of a sentence proves nothing
                for t in window:
                    t.used = True
                if window[0].allowed:
                    update.studios_allow.append(key)
                elif window[0].negated:
                    update.studios_exclude.append(key)
                else:
                    update.studios_include.append(key)


    def _unknown_negations(self, tokens: list[Token], notes: list[str]) -> None:
        """'no Zorbco': a capitalised name after a negation that nothing matched."""
        for i, tok in enumerate(tokens):
            if (tok.negated and not tok.used and tok.capitalised and len(tok.text) > 2
                    and tok.low not in GENERIC and i > 0):
                notes.append(f"I can't filter out \"{tok.text}\": the catalog doesn't know it")
                tok.used = True

