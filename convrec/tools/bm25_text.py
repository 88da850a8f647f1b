"""Text analysis for search_bm25: words, stop words and stemmers (see `convrec.tools.bm25`).

Documents and queries go through the same `Analyzer`: lower-cased, accents folded, English
stop words dropped, words stemmed with the stemmer `load_stemmer` picks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from convrec.catalog.normalize import strip_accents
from convrec.errors import ConvrecError

_TOKEN = re.compile(r"(?u)\b\w\w+\b")

STEMMERS = ("auto", "pystemmer", "s-stemmer", "none")


def s_stem(word: str) -> str:
    """Harman's "S" stemmer (1991): folds English plurals and third-person -s only
    ("casinos" -> "casino", "robs" -> "rob", "stories" -> "story"), nothing else."""
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 2 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def load_stemmer(choice: str = "auto") -> tuple[str, Callable[[str], str] | None]:
    """(name, stem function) for a stemmer choice.

    "auto" takes PyStemmer's English Snowball stemmer when PyStemmer is installed and
    otherwise the built-in S stemmer. Without any stemming, "heist crew robs a casino"
    misses every overview that says "casinos" or "robbed": Ocean's Eleven fell from rank 4
    to rank 38 on the real catalog.
    """
    if choice not in STEMMERS:
        raise ConvrecError(f"unknown stemmer {choice!r}; choose one of {', '.join(STEMMERS)}")
    if choice in ("auto", "pystemmer"):
        try:
            import Stemmer  # deferred: PyStemmer is optional
        except ImportError:
            if choice == "pystemmer":
                raise ConvrecError(
                    "the stemmer 'pystemmer' needs PyStemmer: `pip install PyStemmer`"
                ) from None
        else:
            return "pystemmer", Stemmer.Stemmer("english").stemWord
    if choice == "none":
        return "none", None
    return "s-stemmer", s_stem


class Analyzer:
    """Text -> index terms, the same way for documents and queries."""

    def __init__(self, stemmer: Callable[[str], str] | None) -> None:
        from bm25s.stopwords import STOPWORDS_EN  # deferred: bm25s takes ~2 s to import

        self._stem = stemmer
        self._stopwords = frozenset(STOPWORDS_EN)
        self._cache: dict[str, str | None] = {}

    def words(self, text: str) -> list[str]:
        """The words of `text` as a person typed them (lower-cased, accents folded)."""
        return _TOKEN.findall(strip_accents(text.lower()))

    def term(self, word: str) -> str | None:
        """The index term of one word, or None for a stop word."""
        if word not in self._cache:
            if len(self._cache) > 200_000:  # a long-running server sees many odd words
                self._cache.clear()
            if word in self._stopwords:
                self._cache[word] = None
            else:
                self._cache[word] = self._stem(word) if self._stem else word
        return self._cache[word]

    def terms(self, text: str) -> list[tuple[str, str]]:
        """(word, term) pairs of `text`, stop words dropped."""
        pairs = []
        for word in self.words(text):
            term = self.term(word)
            if term:
                pairs.append((word, term))
        return pairs

