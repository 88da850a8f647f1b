"""Titles named without a trigger ("Heat is my favourite", "Spirited Away (2001)",
"walk the line wrecked me"): only what is surely a catalog title, with the tone of its
sentence (liked, the default; disliked; or only seen)."""

from __future__ import annotations

import re

from convrec.agent.understanding.extraction import TitleMention
from convrec.agent.understanding.grounding import PERSON_KIND, get_grounder
from convrec.agent.understanding.lexicon import GENERIC, STOP_WORDS
from convrec.agent.understanding.tokens import Token, sentence_start
from convrec.agent.understanding.vocab import AgentVocab
from convrec.catalog.genre_words import REQUEST_WORDS
from convrec.catalog.normalize import title_key, vocab_key
from convrec.catalog.records import title_year
from convrec.tools.context import ToolContext

MAX_TITLE_TOKENS = 10


class TitleSpotter:
    """Titles found anywhere in the turn."""

    ctx: ToolContext
    vocab: AgentVocab

    def match_title(self, written: str, *, loose: bool = False) -> list[int]:
        raise NotImplementedError  # the title reader's

    def _mention(self, ids: list[int], written: str, sentiment: str, position: int = 0
                 ) -> TitleMention:
        raise NotImplementedError  # the title reader's

    def _titles_anywhere(self, tokens: list[Token], mentions: list[TitleMention]) -> None:
        """Titles named without a trigger ("Heat is my favourite", "Spirited Away (2001)"):
        a capitalised run that is surely a catalog title. The sentence's tone says whether
        it was liked (the default), disliked or only seen."""
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.used or tok.negated or tok.dropped or not tok.text[:1].isalnum():
                i += 1
                continue
            if self._names_person(" ".join(t.text for t in tokens[i:i + 3])):
                i += 2  # a person's name: neither word is a title
                continue
            if tok.capitalised and tok.low in self.vocab.first_names and not (
                    i + 1 < len(tokens) and tokens[i + 1].capitalised):
                i += 1  # "Keanu" alone: the person, not the film "Keanu"
                continue
            found = self._sure_title_at(tokens, i)
            if found is None:
                i += 1
                continue
            ids, n = found
            written = " ".join(t.text for t in tokens[i:i + n])
            for t in tokens[i:i + n]:
                t.used = t.title = True
            tone = sentence_tone(tokens, i)
            sentiment = "disliked" if tone < 0 else "liked"
            mentions.append(self._mention(ids, written, sentiment, position=i))
            i += n

    def _names_person(self, written: str) -> bool:
        """Whether a capitalised run starts with a person's name, spelt right or nearly
        ("Dave Chapelle and Jim Brewer"): a person, not an unknown title."""
        words = written.split()
        if len(words) < 2 or (not words[1][:1].isupper() and not words[0].islower()):
            return False
        if any(self.vocab.is_person(" ".join(words[:k])) for k in (2, 3)):
            return True
        hit = get_grounder(self.ctx).spell(" ".join(words[:2]), PERSON_KIND)
        return len(words) >= 2 and hit is not None and hit.method == "spelling"

    def _sure_lowercase(self, window: list[Token], item_id: int, tokens: list[Token],
                        i: int) -> bool:
        """A title typed in lower case with no trigger ("walk the line wrecked me"): two or
        more words that are not all common words, exactly a known film's title, spoken of
        well or badly, or in a list beside another title."""
        words = [t for t in window if re.match(r"\w", t.text)]
        if len(words) < 2 or all(t.low in STOP_WORDS or t.low in GENERIC for t in words):
            return False
        if self.match_title(" ".join(t.text for t in window))[:1] != [item_id]:
            return False
        popular = self.vocab.titles.popularity.get(item_id, 0.0) >= 0.4
        return popular and (sentence_tone(tokens, i) != 0 or beside_title(tokens, i,
                                                                          len(window)))

    def _sure_word(self, tok: Token, popularity: float, tokens: list[Token], i: int) -> bool:
        """A one-word title named without a trigger: a made-up word ("Braveheart") known
        enough, or a real word ("Heat") that is famous and spoken of well or badly."""
        if beside_title(tokens, i, 1) and tok.capitalised:
            return popularity >= 0.2
        if not get_grounder(self.ctx).is_real_word(tok.low):
            return popularity >= 0.3
        return popularity >= 0.5 and sentence_tone(tokens, i) != 0

    def _sure_title_at(self, tokens: list[Token], i: int) -> tuple[list[int], int] | None:
        """The longest capitalised run from token i that is surely a catalog title (a year in
        parentheses after it must agree), and how many tokens it and its year take."""
        limit = min(len(tokens), i + MAX_TITLE_TOKENS)
        stop = next((k for k in range(i, limit) if tokens[k].text in (
            ".", ",", ";", "!", "?", '"', "“", "”", "(", ")")), limit)
        index = self.vocab.titles
        lower = not tokens[i].capitalised and not tokens[i].text[:1].isdigit()
        for end in range(stop, i, -1):
            window = tokens[i:end]
            if any(t.used for t in window):
                continue
            if not lower and not window[-1].capitalised and not window[-1].text[:1].isdigit():
                continue
            written = " ".join(t.text for t in window)
            key = title_key(written)
            if not key or key in GENERIC or vocab_key(written) in REQUEST_WORDS:
                continue
            year = year_after(tokens, end)
            ids = self.match_title(title_year(written, year))
            if not ids:
                continue
            if year is not None:
                if abs((index.years.get(ids[0]) or 0) - year) > 1:
                    continue
                return ids, end - i + 3
            if lower and not self._sure_lowercase(window, ids[0], tokens, i):
                continue
            words = [t for t in window if re.match(r"\w", t.text)]
            popularity = index.popularity.get(ids[0], 0.0)
            if self.vocab.is_person(written) or written.lower() in self.vocab.languages:
                continue  # "Adam Sandler", "American": a name, not the film of that name
            if len(words) == 1 and lower:
                continue
            if len(words) == 1 and ((sentence_start(tokens, i) and not beside_title(
                    tokens, i, 1) and not listed_next(tokens, i)) or words[0].low in STOP_WORDS
                                    or len(key) < 3 or not self._sure_word(words[0], popularity,
                                                                           tokens, i)):
                continue
            if len(words) >= 2 and popularity < 0.15 and not all(
                    t.capitalised or t.low in TITLE_GLUE for t in window):
                continue
            return ids, end - i
        return None


TITLE_GLUE = {"of", "the", "a", "an", "and", "in", "on", "to", "at", "for", "with", "from",
              "&", "vs", "or", "is", "me", "my", "it"}
POSITIVE = re.compile(
    r"\b(lov(?:e|ed|es|ing)|lik(?:e|ed)|enjoy(?:ed)?|great|amazing|awesome|favou?rite|fav|perfect"
    r"|brilliant|fantastic|excellent|cried|hooked|insane|incredible|masterpiece|best|good|fun"
    r"|classic|can'?t stop thinking|still thinking|blew me away|fell in love|obsessed|grew up on"
    r"|gets me|rewatch\w*|comfort|go-?to|got (?:me )?into|wrecked me|cried|hooked)\b")
NEGATIVE = re.compile(
    r"\b(hat(?:e|ed)|boring|bored|awful|terrible|disliked|didn'?t (?:like|enjoy)|did not (?:like"
    r"|enjoy)|bad|worst|overrated|meh|annoying|couldn'?t stand|can'?t stand|waste|sucked"
    r"|didn'?t (?:care for|get the hype)|couldn'?t get (?:into|through)|not impressed)\b")


def sentence_tone(tokens: list[Token], i: int) -> int:
    """+1 when the sentence around token i speaks well of what it names, -1 badly, 0 not."""
    start = i
    while start > 0 and tokens[start - 1].text not in (".", "!", "?"):
        start -= 1
    end = i
    while end < len(tokens) and tokens[end].text not in (".", "!", "?"):
        end += 1
    words = " ".join(t.low for t in tokens[start:end] if not t.title)
    if NEGATIVE.search(words):
        return -1
    return 1 if POSITIVE.search(words) else 0


def beside_title(tokens: list[Token], i: int, n: int) -> bool:
    """Whether tokens[i:i+n] stand in a list next to a title already found ("Memento,
    Donnie Darko and Eternal Sunshine")."""
    for j, step in ((i - 1, -1), (i + n, 1)):
        while 0 <= j < len(tokens) and tokens[j].low in (",", "and", "or", "&", "/"):
            j += step
        if 0 <= j < len(tokens) and tokens[j].used and tokens[j].text[:1].isalnum():
            return True
    return False


def listed_next(tokens: list[Token], i: int) -> bool:
    """Whether a comma follows token i (the first of a list of titles)."""
    return i + 1 < len(tokens) and tokens[i + 1].text == ","


def year_after(tokens: list[Token], end: int) -> int | None:
    """The year of "Title (1985)": tokens '(', '1985', ')' right after the title."""
    if end + 2 < len(tokens) and tokens[end].text == "(" and tokens[end + 2].text == ")" and (
            re.fullmatch(r"(?:18|19|20)\d\d", tokens[end + 1].text)):
        return int(tokens[end + 1].text)
    return None

