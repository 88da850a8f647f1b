"""The soft wish: what the user wants the films to be about, in words the catalog knows.

Content words the catalog's texts use become the wish (stop words and chat filler such
as "only", "ones", "tonight" never do; a tagged two-word subject like "time travel" stays
whole); the wish is also grounded by meaning in moods and subjects ("uplifting" ->
feel-good), each grounding a leaning shown in the notes with its confidence.

In a long post the wish comes from the sentences that ask for something ("I'm after
thoughtful sci-fi"); the other sentences (the story around it) go to retrieval as
context, never as one giant wish.
"""

from __future__ import annotations

import re

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.acts import REQUEST_CUE
from convrec.agent.understanding.grounding import get_grounder
from convrec.agent.understanding.grounding_tables import TERMS_RESOURCE, term_counts
from convrec.agent.understanding.lexicon import COMPARATIVE, GENERIC, STOP_WORDS
from convrec.agent.understanding.tokens import Token
from convrec.agent.understanding.vocab import AgentVocab, known_words
from convrec.catalog.normalize import vocab_key
from convrec.tools.context import ToolContext
from convrec.tools.soft import SoftPreference

MIN_TERM_FILMS = 8  # a wish word names a subject the catalog tags at least this often
MAX_CONTEXT_CHARS = 400
SHORT_POST = 2  # sentences: a message this short is all intent even without a request cue
MAX_WISH_WORDS = 8  # a wish is a few words; the rest of a long post is context
MAX_GROUNDED = 3  # words of a wish grounded by meaning (one encode each)
POSSESSIVES = {"my", "our", "his", "her", "their", "your"}
FILM_TALK = {"movie", "movies", "film", "films", "flick", "flicks", "story", "stories", "stuff",
             "kind", "genre", "genres", "ones", "like", "love", "loved", "into", "fan", "hooked",
             "about", "enjoy", "enjoyed"}
MIN_MEANING_KEYWORD = 0.72  # a mood read as a subject leaning only when this close
MIN_MEANING_GENRE = 0.8  # and as a genre leaning only when closer still


class WishReader:
    """The soft wish: what is left that the catalog has words for."""

    ctx: ToolContext
    vocab: AgentVocab

    def _wishes(self, tokens: list[Token], update: LedgerUpdate, groundings: list[str]) -> None:
        sentences = _sentences(tokens)
        asking = [s for s in sentences if _asks(s)]
        # a long story that asks nothing has no intent sentence: only its film talk counts
        intent = asking if len(sentences) > 1 else sentences
        if not asking and len(sentences) <= SHORT_POST:
            intent = sentences
        if len(sentences) > 1:
            rest = [s for s in sentences if s not in intent]
            context = " ".join(" ".join(t.text for t in s) for s in rest)
            update.context = context[:MAX_CONTEXT_CHARS] or None
        words: list[str] = []
        for sentence in sentences:
            found = self._subject_words(sentence)
            if sentence not in intent:  # the story around the request: its subjects only
                found = [w for w in found if self._talked_subject(w, sentence)]
            words += found
        words = list(dict.fromkeys(words))[:MAX_WISH_WORDS]
        if words:
            update.wishes.append(" ".join(words))
            counts = self.ctx.resources.get(TERMS_RESOURCE, lambda: term_counts(self.ctx))
            untagged = [w for w in words if counts.get(vocab_key(w), 0) < MIN_TERM_FILMS]
            for word in untagged[:MAX_GROUNDED]:  # moods the catalog doesn't tag: "uplifting"
                self._ground_meaning(word, update, groundings)

    def _subject_words(self, sentence: list[Token]) -> list[str]:
        """The sentence's content words the catalog's texts use (its BM25 vocabulary),
        stop words and chat filler left out; a tagged two-word subject kept whole."""
        counts = self.ctx.resources.get(TERMS_RESOURCE, lambda: term_counts(self.ctx))
        words: list[str] = []
        for k, tok in enumerate(sentence):
            if tok.negated or tok.dropped or tok.cue or not tok.low.replace("-", "").isalpha():
                continue
            if tok.used and not (tok.subgenre and counts.get(vocab_key(tok.low), 0)
                                 >= MIN_TERM_FILMS):
                continue  # a subgenre word ("slasher", "gangster") is a genre and a wish
            if (k and sentence[k - 1].low in POSSESSIVES) or (k > 1 and sentence[k - 2].low in (
                    POSSESSIVES) and sentence[k - 1].low.isalpha() and not sentence[k - 1].used):
                continue  # "my nephew", "our date nights": the user's life, not the film's
            if k + 1 < len(sentence) and sentence[k + 1].low in ("fan", "fans"):
                continue  # "a huge fan of": how much, not what
            if tok.low in COMPARATIVE:
                words.append(COMPARATIVE[tok.low])
                continue
            nxt = sentence[k + 1] if k + 1 < len(sentence) else None
            if nxt is not None and not nxt.used and counts.get(
                    vocab_key(f"{tok.low} {nxt.low}"), 0) >= MIN_TERM_FILMS:
                words.append(tok.low)  # the first half of "time travel"
                continue
            second_half = bool(words) and sentence[k - 1].low == words[-1] and counts.get(
                vocab_key(f"{words[-1]} {tok.low}"), 0) >= MIN_TERM_FILMS
            if (tok.low in GENERIC or tok.low in STOP_WORDS or len(tok.low) < 3) and (
                    not second_half):
                continue
            words.append(tok.low)
        if not words:
            return []
        known = set(known_words(self.ctx, " ".join(words)))
        return [w for w in words if w in known or w in COMPARATIVE.values()]

    def _talked_subject(self, word: str, sentence: list[Token]) -> bool:
        """A well-tagged subject in a clause that talks about films ("big fan of heist
        movies", "survival stories basically"), not the user's own situation."""
        counts = self.ctx.resources.get(TERMS_RESOURCE, lambda: term_counts(self.ctx))
        if counts.get(vocab_key(word), 0) < MIN_TERM_FILMS:
            return False
        clause = next((t.clause for t in sentence if t.low == word), None)
        return any(t.clause == clause and t.low in FILM_TALK for t in sentence)

    def _ground_meaning(self, phrase: str, update: LedgerUpdate, groundings: list[str]
                        ) -> None:
        """Moods and subjects the wish means ('uplifting' -> feel-good): leanings, said."""
        for hit in get_grounder(self.ctx).meaning(phrase, ("genre", "keyword"), k=2):
            if hit.score < (MIN_MEANING_KEYWORD if hit.kind == "keyword" else MIN_MEANING_GENRE):
                continue
            if any(p.kind == hit.kind and p.value == hit.value for p in update.soft):
                continue
            if hit.kind == "genre" and hit.value in update.genres_include:
                continue
            update.soft.append(SoftPreference(kind=hit.kind, value=hit.value, polarity=1,
                                              weight=round(0.6 * hit.score, 3),
                                              written=phrase))
            groundings.append(hit.describe())


def _sentences(tokens: list[Token]) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for tok in tokens:
        out[-1].append(tok)
        if tok.text in (".", "!", "?"):
            out.append([])
    return [s for s in out if any(re.match(r"\w", t.text) for t in s)]


def _asks(sentence: list[Token]) -> bool:
    """Whether a sentence asks for films (a request cue or a question mark)."""
    return bool(REQUEST_CUE.search(" ".join(t.low for t in sentence)))
