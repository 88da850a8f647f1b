"""Ground words outside the extractor's lists: by spelling (rapidfuzz) and by meaning (MiniLM).

The deterministic extractor knows exact words. People also write "horor", "spielburg" or
"something spooky and mind-bending"; this module says which catalog entry they most
likely mean, with a confidence and the method, so the caller can act on it *visibly*
(`Grounding.describe()` goes into the trace) and decide how much to trust it: a spelling
correction with a clear winner may become a constraint, a meaning grounding is only ever a
soft leaning.

Spelling keeps precision high with a few rules, each guarding against a failure seen on the
real catalog:

* the word needs `MIN_LETTERS` letters for the table it is matched against (4 for genres,
  5 for languages and keyword / tag terms, 6 for a lone surname: shorter words are one edit
  from too many names), and terms need `SPELL_MIN_FILMS` films, so a rare tag never
  captures a typo;
* a word that is itself an entry of any kind is never "corrected" to another entry, and a
  real word is not a typo: "horse" is not Horror, "heist" stays "heist";
* the score is rapidfuzz's normalised Indel similarity (`fuzz.ratio`), and the best entry
  must reach the kind's threshold and beat the best *different* entry by `MARGIN`
  ("comedy" and "comedies" both mean Comedy and do not compete);
* a word is corrected only to entries with its first letter: unrelated words one edit from
  an entry mostly differ there ("lair" / Blair, "rime" / Crime).

"Real word" evidence is the embedding model's WordPiece vocabulary (~21k whole English
words and common names: "sigh", "margin"), inflections of those ("stoned", "obsessing"),
stop words, and words in `REAL_WORD_MIN_DF`+ documents of the BM25 index. Spelling
thresholds were read off the table in tests/agent/test_grounding.py: one edit in a 5-letter
word scores 0.89-0.91 ("horor", "comdy"), a substitution or swap in a 6-letter word 0.83
("frensh", "hroror": allowed for the small genre and language tables only), two edits in a
9-letter surname 0.89 ("spielburg"). Of the 19.6k words the BM25 index has in at most 2
documents (rare words, foreign words, misspelt names: the hardest negatives) ~0.9% are
corrected, most of them to the person they misspell ("dicarpio", "pfeifer", "schraeder").

Meaning (moods.py says what is embedded) takes, per source (genre anchors, catalog terms,
curated moods), the lowest cosine threshold that keeps precision >= 0.9 on the labelled dev
list tests/agent/data/grounding_meaning_dev.json (51 phrases that mean something, 26 that
mean nothing), in steps of 0.025. The grounder as a whole then shows 109 groundings for the
dev list, 95% of them right, with a right one for 50 of the 51 phrases and one of the 26
empty phrases grounded ("on a friday night" -> date night). On the 39 held-out phrases of
the tests the best grounding is right for 30 of 31, and 1 of 8 empty phrases grounds.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from convrec.agent.understanding.grounding_tables import (
    SPELL_MIN_FILMS,
    SUFFIXES,
    GroundKind,
    by_initial,
    closest,
    exact_tables,
    model_words,
    ratio,
    spelling_tables,
    term_counts,
)
from convrec.agent.understanding.moods import (
    MeaningIndex,
    build_meaning_index,
    encode_phrase,
)
from convrec.agent.understanding.vocab import AgentVocab, get_agent_vocab
from convrec.catalog.normalize import vocab_key
from convrec.tools.bm25 import Bm25Index, load_bm25, s_stem
from convrec.tools.context import ToolContext

Method = Literal["exact", "spelling", "meaning", "ambiguous"]
GENRE_KIND: tuple[GroundKind, ...] = ("genre",)
KEYWORD_KIND: tuple[GroundKind, ...] = ("keyword",)
PERSON_KIND: tuple[GroundKind, ...] = ("person",)
ALL_KINDS: tuple[GroundKind, ...] = ("genre", "keyword", "person", "language")

RESOURCE = "agent_grounder"
MEANING_RESOURCE = "agent_grounder_meaning"
KIND_ORDER: tuple[GroundKind, ...] = ("genre", "language", "person", "keyword")

# Fewest letters a word needs to be corrected, per table: a 4-5 letter word is one edit away
# from too many surnames ("alle" / Allen, "sade" / Spade) and languages ("tami" / Tamil).
MIN_LETTERS: dict[str, int] = {"genre": 4, "language": 5, "keyword": 5, "person": 4, "surname": 6}
REAL_WORD_MIN_DF = 3  # a word in this many catalog documents is a real word
SPELL_THRESHOLDS: dict[str, float] = {
    "genre": 0.83,
    "language": 0.83,
    "person": 0.86,
    "keyword": 0.88,
}
MARGIN = 0.05
CACHE_SIZE = 4096

# Cosine thresholds per meaning source, chosen on the dev list (see module doc); each source
# alone: genre P 1.00 (0.600: 0.89), term P 0.95 (0.625: 0.88), mood P 0.92 (0.575: 0.88).
MEANING_THRESHOLDS: dict[str, float] = {"genre": 0.625, "term": 0.65, "mood": 0.6}


@dataclass(frozen=True)
class Grounding:
    """A catalog entry the user's words were read as, with how sure and how."""

    kind: GroundKind
    value: str  # the catalog's name: "Horror", "Steven Spielberg", "music", "French"
    score: float  # confidence 0..1 (similarity for spelling, cosine for meaning)
    method: Method
    written: str  # the user's words
    others: tuple[str, ...] = ()  # method "ambiguous": the entries about as close

    def describe(self) -> str:
        """What the trace shows: "Horror (from 'horor', spelling 0.91)"."""
        return f"{self.value} (from {self.written!r}, {self.method} {self.score:.2f})"


class Grounder:
    """Spelling and meaning grounding over one catalog; built once per Resources."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        vocab = get_agent_vocab(ctx)
        self.vocab: AgentVocab = vocab
        self.bm25: Bm25Index = load_bm25(ctx)
        self.counts = term_counts(ctx)
        self.exact: dict[GroundKind, dict[str, str]] = exact_tables(vocab, self.counts)
        self.tables = {
            name: by_initial(table) for name, table in spelling_tables(vocab, self.counts).items()
        }
        self.dictionary = model_words()
        self._df = self.bm25.retriever.scores["indptr"]
        self._cache: dict[tuple[str, frozenset[str]], Grounding | None] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ spelling

    def spell(self, written: str, kinds: Collection[GroundKind]) -> Grounding | None:
        """The vocabulary entry `written` misspells, when one is clearly closest (None when
        nothing is close; method "ambiguous", with `others`, when two entries are about as
        close: the caller asks rather than guesses). A word that is an entry of a
        requested kind comes back as an exact grounding."""
        cache_key = (written, frozenset(kinds))
        with self._lock:
            if cache_key in self._cache:
                return self._cache[cache_key]
        found = self._spell(written, cache_key[1])
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[cache_key] = found
        return found

    def _spell(self, written: str, kinds: frozenset[str]) -> Grounding | None:
        key = vocab_key(written)
        if not key:
            return None
        exact = self._exact(key)
        if exact is not None:  # an entry is never corrected to another entry
            kind, value = exact
            return Grounding(kind, value, 1.0, "exact", written) if kind in kinds else None
        words = key.split()
        stemmed = " ".join([*words[:-1], s_stem(words[-1])])
        variant = self._exact(stemmed) if stemmed != key else None
        if variant is not None:  # "actions" -> Action, "westerns" -> Western
            kind, value = variant
            if kind not in kinds:
                return None
            return Grounding(kind, value, ratio(key, stemmed), "spelling", written)
        letters = len(key.replace(" ", ""))
        known: bool | None = None  # computed once, when a table needs it
        scored: dict[tuple[GroundKind, str], float] = {}
        for kind in KIND_ORDER:
            if kind not in kinds:
                continue
            table: str = kind
            if kind == "person" and len(words) == 1:
                table = "surname"  # one word is read as a surname
            if table not in self.tables or letters < MIN_LETTERS[table]:
                continue
            # A multi-word name close to a famous full name is that person even when each
            # word is real ("tom hank"); anything else must contain a word that is no word.
            if table != "person":
                if known is None:
                    known = all(self.is_real_word(w) for w in words)
                if known:
                    continue
            candidates = self.tables[table].get(key[0], {})
            for value, score in closest(key, candidates).items():
                scored[(kind, value)] = max(scored.get((kind, value), 0.0), score)
        if not scored:
            return None
        # One entry per meaning: genre Comedy and the keyword "comedy" do not compete; the
        # kind earlier in KIND_ORDER speaks for both.
        merged: dict[str, tuple[float, int, GroundKind, str]] = {}
        for (kind, value), score in scored.items():
            option = (score, -KIND_ORDER.index(kind), kind, value)
            merged[vocab_key(value)] = max(merged.get(vocab_key(value), option), option)
        ranked = sorted(merged.values(), reverse=True)
        best, _, kind, value = ranked[0]
        runner = ranked[1][0] if len(ranked) > 1 else 0.0
        if best < SPELL_THRESHOLDS[kind]:
            return None
        if best - runner < MARGIN:
            # two entries about as close ("musicl": Music or Musical?): the caller asks
            return Grounding(kind, value, round(best, 3), "ambiguous", written,
                             tuple(v for s, _, k, v in ranked[1:3] if s >= SPELL_THRESHOLDS[k]))
        return Grounding(kind, value, round(best, 3), "spelling", written)

    def _exact(self, key: str) -> tuple[GroundKind, str] | None:
        """The entry `key` names. A word that is both a common term and a surname ("love":
        95 films, and Faizon Love) is the term; a rarer term ("hitchcock") is the person."""
        common_term = self.counts.get(key, 0) >= SPELL_MIN_FILMS
        order: tuple[GroundKind, ...] = (
            ("genre", "language", "keyword", "person")
            if common_term
            else ("genre", "language", "person", "keyword")
        )
        for kind in order:
            value = self.exact[kind].get(key)
            if value is not None:
                return kind, value
        return None

    def is_real_word(self, word: str) -> bool:
        """Whether `word` is a real word, not a typo: a stop word, a whole word of the
        embedding model's WordPiece vocabulary (~21k common English words and names), an
        inflection of one ("stoned", "obsessing"), or a word in `REAL_WORD_MIN_DF`+ catalog
        documents (the catalog's texts have their own words: "heist", "noir")."""
        if word in self.dictionary:
            return True
        for suffix in SUFFIXES:
            stem = word[: -len(suffix)]
            if (
                word.endswith(suffix)
                and len(stem) >= 3
                and (stem in self.dictionary or stem + "e" in self.dictionary)
            ):
                return True
        term = self.bm25.analyzer.term(word)
        if term is None:
            return True
        tid = self.bm25.vocab.get(term)
        if tid is None or tid + 1 >= len(self._df):
            return False
        return int(self._df[tid + 1] - self._df[tid]) >= REAL_WORD_MIN_DF

    # ------------------------------------------------------------------ meaning

    @property
    def meaning_index(self) -> MeaningIndex:
        """The embedded genres, terms and moods (built on first use, kept per Resources)."""
        return self.ctx.resources.get(
            MEANING_RESOURCE,
            lambda: build_meaning_index(
                self.ctx, self.vocab.filters.genre_ids, self.counts, self.vocab.filters.term_names
            ),
        )

    def meaning(
        self, phrase: str, kinds: Collection[GroundKind] = ("genre", "keyword"), k: int = 3
    ) -> list[Grounding]:
        """Catalog genres / keywords nearest in meaning to `phrase` ("spooky" -> Horror,
        "about music" -> music keywords, "mind-bending" -> "twist ending"...), best first,
        only those above the kind's threshold. Only genres and keywords have a meaning side."""
        if not phrase.strip() or k <= 0:
            return []
        index = self.meaning_index
        query = encode_phrase(self.ctx, phrase.strip())
        scores = index.scores(query)
        best: dict[tuple[str, str], float] = {}
        for row in scores.argsort()[::-1]:
            entry = index.entries[row]
            score = float(scores[row])
            if score < min(MEANING_THRESHOLDS.values()):
                break
            if score < MEANING_THRESHOLDS[entry.source]:
                continue
            for rank, (kind, value) in enumerate(entry.grounds):
                if kind in kinds:
                    # A mood's later terms lean a little less than its first.
                    shown = score * (1.0 - 0.02 * rank)
                    best[(kind, value)] = max(best.get((kind, value), 0.0), shown)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [
            Grounding(kind, value, round(min(max(s, 0.0), 1.0), 3), "meaning", phrase)  # type: ignore[arg-type]
            for (kind, value), s in ranked
        ]


def get_grounder(ctx: ToolContext) -> Grounder:
    """The grounder of this process's Resources (built once: ~1 s of tables)."""
    return ctx.resources.get(RESOURCE, lambda: Grounder(ctx))
