"""Genres (and the words people use for them), subgenre keywords ("no zombies") and original
languages."""

from __future__ import annotations

import re

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.grounding import (
    GENRE_KIND,
    KEYWORD_KIND,
    get_grounder,
)
from convrec.agent.understanding.grounding_tables import TERMS_RESOURCE, term_counts
from convrec.agent.understanding.lexicon import (
    GENERIC,
    GENRE_DETERMINERS,
    GENRE_NOUNS,
    LANGUAGE_NOUNS,
    STOP_WORDS,
    SUBGENRES,
)
from convrec.agent.understanding.tokens import (
    Token,
    word_windows,
)
from convrec.agent.understanding.vocab import AgentVocab
from convrec.catalog.genre_words import REQUEST_WORDS
from convrec.catalog.normalize import vocab_key
from convrec.tools.context import ToolContext
from convrec.tools.soft import SoftPreference

SOMETIMES_GENRES = {"period", "music", "family", "war", "history", "kid", "children", "laugh",
                    "heist", "doc", "sf"}
# Adjectives for a genre: the genre only when they describe the films ("something funny").
DESCRIBING = {"funny", "hilarious", "comedic", "scary", "spooky", "frightening",
              "suspenseful", "romantic", "dramatic", "animated", "historical"}

GenreMention = tuple[int, tuple[str, ...], Token]  # (token index, genres, first token)


class GenreReader:
    """Genres, subgenre keywords and original languages."""

    ctx: ToolContext
    vocab: AgentVocab

    # genres

    def _genre_mentions(self, tokens: list[Token], update: LedgerUpdate) -> list[GenreMention]:
        """The genres named in the sentence (longest word windows first), as (token index,
        genres, first token), their tokens marked used; a describing word about the films
        ("it was so funny") goes to `update.soft` as a leaning instead."""
        found: list[GenreMention] = []
        genres = self.vocab.filters.genre_ids
        for i, window in word_windows(tokens, (3, 2, 1)):
            n = len(window)
            key = vocab_key(" ".join(t.text for t in window))
            names = REQUEST_WORDS.get(key)
            if names is None and key in self.vocab.filters.genre_keys:
                names = (self.vocab.filters.genre_keys[key],)
            if not names or not all(g in genres for g in names):
                continue
            before = [t.low for t in tokens[max(0, i - 3):i] if t.low not in (
                "a", "an", "the", "some")]
            if before and before[-1] in ("about", "involving", "featuring"):
                continue  # "a drama about a family": what it is about, a wish
            prev = tokens[i - 1].low if i else ""
            nxt = tokens[i + n].low if i + n < len(tokens) else ""
            if n == 1 and key.removesuffix("ies").removesuffix("s") + (
                    "y" if key.endswith("ies") else "") in SOMETIMES_GENRES:
                # words that are genres only in some sentences
                kids = key in ("family", "kids", "children") and prev == "for"
                if nxt not in GENRE_NOUNS and prev not in GENRE_DETERMINERS and not kids:
                    continue
            if n == 1 and key in DESCRIBING and not self._describes_films(tokens, i):
                # "it was so funny": a leaning; "he's very funny": a person, nothing
                if not _about_a_person(tokens, i):
                    window[0].used = True
                    update.soft.extend(SoftPreference(
                        kind="genre", value=g, polarity=-1 if window[0].negated else 1,
                        weight=0.3, written=window[0].text) for g in names)
                continue
            if key == "action" and prev in ("live", "live-"):
                continue  # "live action" is how a film is made, not what it is
            for t in window:
                t.used = True
                t.subgenre = n == 1 and vocab_key(t.low) not in self.vocab.filters.genre_keys
            found.append((i, names, window[0]))
        return found

    def _genres(self, tokens: list[Token], update: LedgerUpdate, notes: list[str],
                groundings: list[str]) -> None:
        found = self._genre_mentions(tokens, update)
        found += self._misspelt_genres(tokens, notes, groundings, update.soft)
        found.sort(key=lambda f: f[0])
        include: list[str] = []
        mode = "any"
        compounds = 0  # "rom-com": Comedy and Romance at once
        for idx, (i, names, tok) in enumerate(found):
            if tok.dropped:
                update.drop.extend(f"genre:{g}" for g in names)
            elif tok.allowed:
                update.genres_allow.extend(g for g in names if g not in update.genres_allow)
            elif tok.refused:
                update.genres_exclude.extend(g for g in names if g not in update.genres_exclude)
            elif tok.negated:
                update.soft.extend(SoftPreference(kind="genre", value=g, polarity=-1,
                                                  weight=0.6, written=tok.text) for g in names)
            else:
                if len(names) > 1:
                    compounds += 1
                if include and idx > 0 and found[idx - 1][2].clause == tok.clause:
                    between = {t.low for t in tokens[found[idx - 1][0] + 1:i]} - {"-"}
                    if not between or (between <= {"but", "also", "and"} and "also" in between):
                        mode = "all"  # "a horror comedy", "scary but also funny"
                include.extend(g for g in names if g not in include)
        wanted = [f for f in found if not (f[2].allowed or f[2].negated or f[2].dropped)]
        if compounds == 1 and len(wanted) == 1:
            mode = "all"  # only a rom-com; "a sci-fi or a rom-com" can't be both at once
        # "Japanese animated films ... not the violent action anime stuff": what is wanted
        # outright wins over a lukewarm aside about the same genre
        update.soft = [p for p in update.soft if not (
            p.kind == "genre" and p.polarity < 0 and p.value in include)]
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
            # "make it a comedy too", "an animated one": films that are that as well
            update.genres_add = update.genres_add or any(
                k + 1 < len(tokens) and tokens[k + 1].low in ("one", "ones") and not tok.negated
                for k, _, tok in found)
            update.genre_mode = "all" if update.genres_add else mode  # type: ignore[assignment]


    @staticmethod
    def _describes_films(tokens: list[Token], i: int) -> bool:
        """Whether an adjective for a genre ("funny", "scary") describes the films wanted:
        "something funny", "a scary movie", "funny or romantic", not "he's very funny"."""
        prev = tokens[i - 1].low if i else ""
        nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
        if nxt in GENRE_NOUNS or nxt in ("one", "ones", "stuff", "or", "and", "/", ","):
            return True
        return prev in ("something", "anything", "nothing", "some", "a", "an", "more", "and",
                        "or", "/", "but", "really", "super", "pretty", "kinda", "bit")

    def _misspelt_genres(self, tokens: list[Token], notes: list[str], groundings: list[str],
                         pending: list[SoftPreference]
                         ) -> list[tuple[int, tuple[str, ...], Token]]:
        """Genre words misspelt ("horor", "comdy"): corrected when one genre is clearly the
        closest (grounding.py), and the correction is said."""
        found: list[tuple[int, tuple[str, ...], Token]] = []
        grounder = get_grounder(self.ctx)
        for i, tok in enumerate(tokens):
            if tok.used or len(tok.low) < 4 or not tok.low.isalpha() or tok.low in GENERIC:
                continue
            hit = grounder.spell(tok.low, GENRE_KIND)
            if hit is None or hit.method not in ("spelling", "ambiguous"):
                continue
            tok.used = True
            if hit.method == "ambiguous":  # "musicl": Music or Musical? ask, lean meanwhile
                pending.append(SoftPreference(kind="genre", value=hit.value, weight=0.4,
                                              written=tok.text, ask=True))
                groundings.append(hit.describe())
                continue
            found.append((i, (hit.value,), tok))
            groundings.append(hit.describe())
            notes.append(f"I read \"{tok.text}\" as {hit.value.lower()}")
        return found

    def _term(self, text: str) -> str | None:
        """A TMDB keyword or MovieLens tag for `text` (singular or plural), or None."""
        filters = self.vocab.filters
        key = vocab_key(text)
        for form in (key.removesuffix("s"), key):  # "aliens": the keyword alien first
            if form and form in filters.keywords:
                return filters.term_names.get(form, form)
        for form in (key, key.removesuffix("s")):
            if form and form in filters.tags:
                return filters.term_names.get(form, form)
        return None

    def _keywords(self, tokens: list[Token], update: LedgerUpdate, notes: list[str]) -> None:
        """A subject the user refuses outright ('no zombies', 'without vampires') is a hard
        exclusion when the catalog tags it well; one they are lukewarm about ('not too
        bloody', 'nothing with too much violence') is a leaning away."""
        for n in (2, 1):
            for i in range(len(tokens) - n + 1):
                window = tokens[i:i + n]
                if any(t.used or not re.match(r"[a-z]", t.low) for t in window):
                    continue
                words = " ".join(t.low for t in window)
                if vocab_key(words) in REQUEST_WORDS or words in GENERIC or any(
                        t.low in STOP_WORDS or t.low in GENERIC or vocab_key(t.low) in REQUEST_WORDS
                        for t in window) or len(words) < 4:
                    continue
                if not window[0].negated or window[0].allowed:
                    continue  # wanted subjects stay soft wishes: tagging is sparse
                term = self._term(SUBGENRES.get(words, words))
                strong = term is not None and (words in SUBGENRES or self._tagged(term) >= 15)
                if window[0].refused and strong and term is not None:
                    for t in window:
                        t.used = True
                    if term not in update.keywords_exclude:
                        update.keywords_exclude.append(term)
                        self._note_sparse_term(term, notes)
                    continue
                term = term if strong else self._aspect(words) if n == 1 else None
                if term is None:
                    continue
                for t in window:
                    t.used = True
                update.soft.append(SoftPreference(kind="keyword", value=term, polarity=-1,
                                                  weight=0.5, written=words))

    def _tagged(self, term: str) -> int:
        """How many films carry the keyword or tag `term`."""
        counts = self.ctx.resources.get(TERMS_RESOURCE, lambda: term_counts(self.ctx))
        return counts.get(vocab_key(term), 0)

    def _aspect(self, word: str) -> str | None:
        """The well-tagged term an aspect word means: 'bloody' -> blood, 'violent' ->
        violence (its own form first, then by meaning)."""
        for form in (word, word.removesuffix("y"), word.removesuffix("ies") + "y"):
            term = self._term(form)
            if term is not None and self._tagged(term) >= 5:
                return term
        hits = get_grounder(self.ctx).meaning(word, KEYWORD_KIND, k=1)
        return hits[0].value if hits else None

    def _note_sparse_term(self, term: str, notes: list[str]) -> None:
        key = vocab_key(term)
        if self._tagged(key) < 50:
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
            name = self.vocab.languages.get(tok.low.removesuffix("-language"))
            if name is None:
                continue
            prev = tokens[i - 1].low if i else ""
            nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
            if prev == "in" and nxt == ":":
                continue  # "sorry, in English: ..." is about the message, not the film
            listed = nxt in ("or", "and", ",", "/") and i + 2 < len(tokens) and (
                tokens[i + 2].low.removesuffix("-language") in self.vocab.languages)
            if prev in ("in", "something", "anything") or nxt in LANGUAGE_NOUNS or listed or (
                    vocab_key(nxt) in REQUEST_WORDS or tok.low.endswith("-language")):
                tok.used = True
                if name not in update.languages:
                    update.languages.append(name)



_PERSON_WORDS = {"he", "she", "they", "him", "her", "his", "he's", "she's", "they're", "actor",
                 "actress", "comedian", "guy", "girl", "man", "woman", "director"}


def _about_a_person(tokens: list[Token], i: int) -> bool:
    """Whether the adjective at token i is said of a person ("he's very funny", "Danny
    DeVito is hilarious"), looking back over its clause."""
    for tok in reversed(tokens[:i]):
        if tok.clause != tokens[i].clause:
            break
        if tok.low in _PERSON_WORDS or (tok.used and tok.capitalised and not tok.title):
            return True
        if tok.low in ("it", "it's", "this", "that", "movie", "film", "one", "these", "those"):
            return False
    return False
