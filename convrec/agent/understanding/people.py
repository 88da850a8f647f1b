"""People and studios: "with Tom Hanks", "a Tarantino film", "no Pixar".

Names are matched on the catalog's people and TMDB production companies; a surname
alone only when it belongs to one well-known person (a director with several films,
an actor with many credits).
"""

from __future__ import annotations

import re

from convrec.agent.ledger import LedgerUpdate
from convrec.agent.understanding.grounding import (
    PERSON_KIND,
    get_grounder,
)
from convrec.agent.understanding.grounding_tables import TERMS_RESOURCE, term_counts
from convrec.agent.understanding.lexicon import (
    GENERIC,
    NEGATORS,
    STOP_WORDS,
)
from convrec.agent.understanding.tokens import (
    Token,
    sentence_start,
    word_windows,
)
from convrec.agent.understanding.vocab import AgentVocab
from convrec.catalog.genre_words import REQUEST_WORDS
from convrec.catalog.normalize import person_key, vocab_key
from convrec.tools.context import ToolContext
from convrec.tools.filters import PersonRef
from convrec.tools.soft import SoftPreference


class PeopleReader:
    """People (full names, well-known surnames) and studios."""

    ctx: ToolContext
    vocab: AgentVocab

    # people

    def _people(self, tokens: list[Token], update: LedgerUpdate, notes: list[str]) -> None:
        vocab = self.vocab
        for i, window in word_windows(tokens, (3, 2)):
            n = len(window)
            written = re.sub(r"'s$", "", " ".join(t.text for t in window))
            person = vocab.people.get(person_key(written))
            if person is None and n == 2 and all(
                    t.low.isalpha() and len(t.low) >= 3 and t.low not in STOP_WORDS
                    for t in window):
                person = self._misspelt_person(written, notes)
            if person is None:
                continue
            if not any(t.capitalised for t in window) and vocab.credits(person) < 3:
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
            if len(tok.low) < 4 or not tok.low.isalpha():
                continue
            prev = tokens[i - 1].low if i else ""
            nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
            cue = prev in PERSON_CUES or nxt in FILM_NOUNS
            person = vocab.surnames.get(tok.low)
            if person is None and tok.capitalised and tok.low in vocab.first_names and not (
                    sentence_start(tokens, i) or _in_capitalised_run(tokens, i)
                    or self._subject_word(tok.low) or prev in ("the", "a", "an")):
                person = vocab.first_names[tok.low]  # "I really like Keanu"
            if person is None and (cue or tok.capitalised) and tok.low not in GENERIC:
                hit = get_grounder(self.ctx).spell(tok.low, PERSON_KIND)
                if hit is not None and hit.method == "spelling" and len(tok.low) >= 6:
                    person = vocab.people.get(person_key(hit.value))
                    if person is not None:
                        notes.append(f"I read \"{tok.text}\" as {hit.value}")
            grounder = get_grounder(self.ctx)
            unusual = not grounder.is_real_word(tok.low)
            # a director's surname that is no English word reads as the director even in
            # lower case and uncued ("kubrick for me"), though the catalog's texts use it
            unusual = unusual or (person is not None and vocab.mainly_directs(person)
                                  and tok.low not in grounder.dictionary)
            if person is None or not (tok.capitalised or cue or unusual):
                continue
            if not tok.capitalised and prev not in ("by", "director", "directed") and not (
                    (vocab.mainly_directs(person) or unusual) and not self._subject_word(tok.low)):
                continue  # "a good movie" is not Meagan Good, "zombie movies" not Rob Zombie;
                # "a nolan movie" is Nolan
            if tok.capitalised and not cue and (
                sentence_start(tokens, i) or _in_capitalised_run(tokens, i)
            ):
                continue  # a capital at a sentence start proves nothing; "Black Panther"
            tok.used = True
            self._add_person(tokens, i, [tok], person, update)

    def _subject_word(self, word: str) -> bool:
        counts = self.ctx.resources.get(TERMS_RESOURCE, lambda: term_counts(self.ctx))
        return counts.get(vocab_key(word), 0) >= SUBJECT_FILMS

    def _misspelt_person(self, written: str, notes: list[str]) -> int | None:
        """A famous name misspelt ("Leonardo Decaprio", "seth rogan"): the grounder's one
        clear closest person, said in a note."""
        hit = get_grounder(self.ctx).spell(written, PERSON_KIND)
        if hit is None or hit.method != "spelling":
            return None
        person = self.vocab.people.get(person_key(hit.value))
        if person is not None:
            notes.append(f"I read \"{written}\" as {hit.value}")
        return person

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
        clause = [t.low for t in tokens[:i] if t.clause == window[0].clause]
        if re.search(r"\b(seen|watched|saw)\s+(?:pretty much\s+|nearly\s+|almost\s+)?(?:all|every"
                     r"|everything)\b", " ".join(clause)):
            return  # "I've seen all of Miyazaki": what they have seen, not what they want
        if window[0].dropped:
            update.drop.append(f"person:{ref.name}")
        elif window[0].allowed:
            update.people_allow.append(ref.name)
        elif window[0].refused:
            update.people_exclude.append(ref)
        elif window[0].negated:
            update.soft.append(SoftPreference(kind="person", value=ref.name, polarity=-1,
                                              weight=0.6, written=" ".join(t.text for t in window)))
        else:
            update.people_include.append(ref)


    def _studios(self, tokens: list[Token], update: LedgerUpdate) -> None:
        """'no Pixar', 'a Studio Ghibli film', 'something from Disney': capitalised (or
        after 'by' / 'from'), matched to the TMDB production companies."""
        for i, window in word_windows(tokens, (3, 2, 1)):
            n = len(window)
            key = vocab_key(" ".join(t.text for t in window))
            if key not in self.vocab.studios or key in GENERIC or key in REQUEST_WORDS:
                continue
            nxt = tokens[i + n].low if i + n < len(tokens) else ""
            prev = tokens[i - 1].low if i else ""
            if not window[0].capitalised:
                continue  # "by house or room" is not a studio
            cued = nxt in STUDIO_NOUNS or nxt in FILM_NOUNS or prev in ("by", "from")
            named = cued or self.vocab.studios[key] >= MIN_BARE_STUDIO_FILMS
            if (sentence_start(tokens, i) and not cued) or (
                    not named and _in_capitalised_run(tokens, i, n)):
                continue  # a capital at the start of a sentence proves nothing
            for t in window:
                t.used = True
            if window[0].allowed:
                update.studios_allow.append(key)
            elif window[0].refused:
                update.studios_exclude.append(key)
            elif window[0].negated:
                update.soft.append(SoftPreference(kind="studio", value=key, polarity=-1,
                                                  weight=0.5, written=key))
            else:
                update.studios_include.append(key)


    def _unknown_negations(self, tokens: list[Token], notes: list[str]) -> None:
        """'no Zorbco': a capitalised name after a negation that nothing matched."""
        for i, tok in enumerate(tokens):
            if (tok.negated and not tok.used and tok.capitalised and len(tok.text) > 2
                    and tok.low not in GENERIC and i > 0):
                notes.append(f"I can't filter out \"{tok.text}\": the catalog doesn't know it")
                tok.used = True



MIN_BARE_STUDIO_FILMS = 40  # a studio named with no cue ("Disney ideally") is a big one
SUBJECT_FILMS = 8  # a word this many films are tagged with is a subject, not a surname

PERSON_CUES = {"by", "director", "with", "starring", "featuring", "actor", "actress", "directed"}
FILM_NOUNS = {"film", "films", "movie", "movies", "flick", "flicks", "picture", "pictures"}
STUDIO_NOUNS = {"studio", "studios", "productions", "animation", "pictures", "films"}


def _in_capitalised_run(tokens: list[Token], i: int, n: int = 1) -> bool:
    """Whether tokens[i:i+n] sit beside other capitalised words: part of a longer name or a
    title ("Black Panther", "The Rock"), not a name of their own."""
    before = tokens[i - 1] if i else None
    after = tokens[i + n] if i + n < len(tokens) else None
    if before is not None and before.text == "&" and i >= 2:
        before = tokens[i - 2] if tokens[i - 2].capitalised else before  # "Hobbs & Shaw"
    return any(t is not None and t.capitalised and not t.used and t.low.isalpha()
               and not (t is before and sentence_start(tokens, i - 1) and (
                   t.low in STOP_WORDS or t.low in NEGATORS))
               for t in (before, after)) or (
        before is not None and before.low == "the" and before.capitalised)
