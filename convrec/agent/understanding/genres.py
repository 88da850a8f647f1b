"""Genres (and the words people use for them), subgenre keywords ("no zombies") and original
languages."""

from __future__ import annotations

import re

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.lexicon import (
    GENERIC,
    GENRE_DETERMINERS,
    GENRE_NOUNS,
    LANGUAGE_NOUNS,
    SUBGENRES,
)
from convrec.agent.understanding.tokens import (
    Token,
)
from convrec.agent.understanding.vocab import GENRE_WORDS, AgentVocab, genre_key
from convrec.tools.context import ToolContext
from convrec.tools.filters import vocab_key


class GenreReader:
    """Genres, subgenre keywords and original languages."""

    ctx: ToolContext
    vocab: AgentVocab

    # genres

    def _genres(self, tokens: list[Token], update: LedgerUpdate, notes: list[str]) -> None:
        found: list[tuple[int, tuple[str, ...], Token]] = []
        genres = self.vocab.filters.genre_ids
        for n in (3, 2, 1):
            for i in range(len(tokens) - n + 1):
                window = tokens[i:i + n]
                if any(t.used for t in window):
                    continue
                key = genre_key(" ".join(t.text for t in window))
                names = GENRE_WORDS.get(key)
                if names is None and key in self.vocab.filters.genre_keys:
                    names = (self.vocab.filters.genre_keys[key],)
                if not names or not all(g in genres for g in names):
                    continue
                if n == 1 and key in ("period", "music", "family", "war", "history", "kids",
                                      "children", "laugh", "heist", "doc", "docs", "sf"):
                    # words that are genres only in some sentences
                    prev = tokens[i - 1].low if i else ""
                    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
                    if nxt not in GENRE_NOUNS and prev not in GENRE_DETERMINERS:
                        continue
                for t in window:
                    t.used = True
                found.append((i, names, window[0]))
        found.sort(key=lambda f: f[0])
        include: list[str] = []
        mode = "any"
        for idx, (i, names, tok) in enumerate(found):
            if tok.allowed:
                update.genres_allow.extend(g for g in names if g not in update.genres_allow)
            elif tok.negated:
                update.genres_exclude.extend(g for g in names if g not in update.genres_exclude)
            else:
                if len(names) > 1:
                    mode = "all"
                if include and idx > 0 and found[idx - 1][2].clause == tok.clause:
                    between = {t.low for t in tokens[found[idx - 1][0] + 1:i]}
                    if "or" not in between and "," not in between:
                        mode = "all"
                include.extend(g for g in names if g not in include)
        both = [g for g in include if g in update.genres_exclude]
        if both:
            notes.append(f"you asked both for {' and '.join(both)} and for no "
                         f"{' and '.join(both)}; I left {'them' if len(both) > 1 else 'it'} out")
            include = [g for g in include if g not in both]
            update.genres_exclude = [g for g in update.genres_exclude if g not in both]
        if include:
            update.genres_include = include
            clauses = {tok.clause for _, _, tok in found}
            update.genres_add = any(
                t.clause in clauses and (
                    t.low in ("also", "plus", "additionally")
                    or (t.low == "too" and (k + 1 == len(tokens)
                                            or tokens[k + 1].clause != t.clause))
                )
                for k, t in enumerate(tokens)
            )
            # "make it a comedy too": films that are that as well
            update.genre_mode = "all" if update.genres_add else mode  # type: ignore[assignment]


    def _term(self, text: str) -> str | None:
        """A TMDB keyword or MovieLens tag for `text` (singular or plural), or None."""
        filters = self.vocab.filters
        for key in (vocab_key(text), vocab_key(text).removesuffix("s")):
            if key and (key in filters.keywords or key in filters.tags):
                return filters.term_names.get(key, key)
        return None

    def _keywords(self, tokens: list[Token], update: LedgerUpdate, notes: list[str]) -> None:
        """A negated keyword or tag is a hard exclusion ('no zombies', 'no Pixar')."""
        for n in (2, 1):
            for i in range(len(tokens) - n + 1):
                window = tokens[i:i + n]
                if any(t.used or not re.match(r"\w", t.text) for t in window):
                    continue
                words = " ".join(t.low for t in window)
                if genre_key(words) in GENRE_WORDS or words in GENERIC:
                    continue
                if not window[0].negated or window[0].allowed:
                    continue  # wanted subgenres stay soft wishes: tagging is sparse
                term = self._term(SUBGENRES.get(words, words))
                if term is None:
                    continue
                for t in window:
                    t.used = True
                if term not in update.keywords_exclude:
                    update.keywords_exclude.append(term)
                    self._note_sparse_term(term, notes)

    def _note_sparse_term(self, term: str, notes: list[str]) -> None:
        filters = self.vocab.filters
        key = vocab_key(term)
        tagged = len(filters.keywords.get(key, ())) + len(filters.tags.get(key, ()))
        if tagged < 30:
            notes.append(f"the catalog has no studio or franchise data; I left out the films "
                         f"tagged '{term}', but untagged ones may slip through")


    # languages

    def _languages(self, tokens: list[Token], update: LedgerUpdate) -> None:
        if any(t.low == "language" for t in tokens) and re.search(
            r"any language|language doesn'?t matter|subtitles are fine",
            " ".join(t.low for t in tokens),
        ):
            update.languages_clear = True
            return
        for i, tok in enumerate(tokens):
            if tok.used or tok.negated:
                continue
            name = self.vocab.languages.get(tok.low)
            if name is None:
                continue
            prev = tokens[i - 1].low if i else ""
            nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
            if prev == "in" and nxt == ":":
                continue  # "sorry, in English: ..." is about the message, not the film
            if prev in ("in",) or nxt in LANGUAGE_NOUNS or genre_key(nxt) in GENRE_WORDS:
                tok.used = True
                if name not in update.languages:
                    update.languages.append(name)

