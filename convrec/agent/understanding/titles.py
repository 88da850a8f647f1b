"""Films the user names ("I loved Heat", "like The Matrix", "the second one") and
factual questions about one ("who directed Heat?").

Titles are matched on the lookup tool's title index: exact keys first, then a sure fuzzy
match; a list of titles after a trigger ("I loved Heat and Alien") is read in one go.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.understanding.extraction import (
    Question,
    QuestionKind,
    TitleMention,
    shown_at,
)
from convrec.agent.understanding.grounding import PERSON_KIND, get_grounder
from convrec.agent.understanding.lexicon import (
    DISLIKE,
    FILLER_AFTER_TRIGGER,
    GENERIC,
    LIKE,
    NOT_SEEN,
    ORDINAL_REF,
    SEEN,
    STOP_WORDS,
)
from convrec.agent.understanding.tokens import (
    Token,
    phrase_at,
    sentence_start,
)
from convrec.agent.understanding.vocab import GENRE_WORDS, AgentVocab, genre_key
from convrec.tools.context import ToolContext
from convrec.tools.lookup import title_key

MAX_TITLE_TOKENS = 10
FUZZY_TITLE = 90.0


class TitleReader:
    """Films named in the turn, and factual questions about a film."""

    ctx: ToolContext
    vocab: AgentVocab

    # questions

    _QUESTIONS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
        ("director", re.compile(r"\bwho\s+(?:directed|made|was the director of|is the "
                                r"director of|directs)\s+(?P<t>.+)", re.I)),
        ("cast", re.compile(r"\bwho(?:'s|\s+is|\s+are|\s+was|\s+were)?\s+(?:in|starring in|"
                            r"stars in|acts in|acted in|plays in|played in|the cast of|the "
                            r"actors in|the stars? of|starred in)\s+(?P<t>.+)", re.I)),
        ("runtime", re.compile(r"\b(?:how long is|how long's|what(?:'s| is) the (?:runtime|"
                               r"running time|length) of|runtime of)\s+(?P<t>.+)", re.I)),
        ("year", re.compile(r"\b(?:when (?:was|did|is)|what year (?:was|did|is)|which year "
                            r"(?:was|did))\s+(?P<t>.+?)(?:\s+(?:come out|came out|released|"
                            r"made|release|out))?\s*\??$", re.I)),
        ("plot", re.compile(r"\b(?:what(?:'s| is| was)\s+(?P<t>.+?)\s+about\b|tell me (?:more"
                            r" )?about\s+(?P<t2>.+)|what happens in\s+(?P<t3>.+)|plot of"
                            r"\s+(?P<t4>.+))", re.I)),
        ("rating", re.compile(r"^(?:is|was)\s+(?P<t>.+?)\s+(?:any good|good|worth (?:it|"
                              r"watching|seeing)|well rated|rated well|better than .+)\W*$"
                              r"|\bhow (?:good|well rated) is\s+(?P<t2>.+)", re.I)),
        ("cast", re.compile(r"^(?:is|was)\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*\s+in\s+"
                            r"(?P<t>.+)", re.I)),
        ("director", re.compile(r"^did\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*\s+(?:direct|make)"
                                r"\s+(?P<t>.+)", re.I)),
    )

    def _question(self, text: str, ledger: Ledger) -> Question | None:
        """A factual question about one film. Asked in one sentence of its own: a post that
        asks for films ("like Heat (1995)? anything similar") is a request, not a question."""
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
        if len(sentences) > 2 or any(_ASKS_FOR_FILMS.search(s) for s in sentences):
            return None
        for kind, pattern in self._QUESTIONS:
            match = next((m for m in map(pattern.search, sentences) if m), None)
            if not match:
                continue
            written = next(g for g in match.groups() if g)
            written = re.sub(r"[?!.\s]+$", "", written).strip(" \"'“”")
            written = re.sub(r"\s+(?:come out|came out|released|made|out)$", "", written,
                             flags=re.I)
            if not written:
                continue
            item_id = self._referenced(written, ledger)
            if item_id is None:
                found = self.match_title(written, loose=True)
                item_id = found[0] if found else None
            return Question(kind=kind, item_id=item_id, title=None if item_id else written)
        return None

    def _referenced(self, written: str, ledger: Ledger) -> int | None:
        """'the first one', 'number 2', 'it', 'that one' -> a film of the last list."""
        if not ledger.last_shown:
            return None
        low = written.lower().strip()
        if low in ("it", "that", "that one", "this one", "this", "that movie", "that film"):
            return ledger.last_shown[0] if len(ledger.last_shown) == 1 else None
        match = ORDINAL_REF.fullmatch(low) or ORDINAL_REF.match(low)
        if match and match.end() >= len(low) - 1:
            return shown_at(match, ledger.last_shown)
        return None


    # films

    def match_title(self, written: str, *, loose: bool = False) -> list[int]:
        """Films titled `written`: an exact key first (best known first), else a sure fuzzy
        match. Empty when nothing is close enough."""
        from convrec.catalog.normalize import split_year

        name, year = split_year(written)
        key = title_key(name)
        index = self.vocab.titles
        if not key:
            return []
        if key in index.titles:
            ids = list(dict.fromkeys(i for i, _, _ in index.titles[key]))
            if year is not None:
                ids.sort(key=lambda i: (abs((index.years.get(i) or 0) - year) > 1,
                                        -index.popularity.get(i, 0.0)))
            else:
                ids.sort(key=lambda i: -index.popularity.get(i, 0.0))
            return ids
        if len(key) < 4 or (not loose and len(name.split()) < 2):
            return []
        hit = process.extractOne(key, index.keys, scorer=fuzz.ratio, score_cutoff=FUZZY_TITLE)
        if hit is None:
            return []
        ids = list(dict.fromkeys(i for i, _, _ in index.titles[hit[0]]))
        ids.sort(key=lambda i: -index.popularity.get(i, 0.0))
        return ids

    def _titles(
        self, tokens: list[Token], ledger: Ledger, asking: bool
    ) -> tuple[list[TitleMention], list[str]]:
        mentions: list[TitleMention] = []
        unresolved: list[str] = []
        i = 0
        while i < len(tokens):
            sentiment, n = self._trigger(tokens, i)
            if tokens[i].text in ('"', "“", "«") and not asking:
                sentiment, n = self._sentiment_of_clause(tokens, i), 0
                end = next((j for j in range(i + 1, len(tokens))
                            if tokens[j].text in ('"', "”", "»")), None)
                if end is not None and end > i + 1:
                    written = " ".join(t.text for t in tokens[i + 1:end])
                    ids = self.match_title(written, loose=True)
                    if ids:
                        mentions.append(self._mention(ids, written, sentiment, position=i))
                        for t in tokens[i:end + 1]:
                            t.used = True
                    else:
                        unresolved.append(written)
                    i = end + 1
                    continue
            if not n:
                i += 1
                continue
            for t in tokens[i:i + n]:
                t.used = True
            j = i + n
            while j < len(tokens) and tokens[j].low in FILLER_AFTER_TRIGGER and not (
                tokens[j].low == "the" and j + 1 < len(tokens) and tokens[j + 1].capitalised
            ):
                j += 1
            j = self._title_list(tokens, j, sentiment, ledger, mentions, unresolved)
            i = max(j, i + 1)
        if not asking:
            self._titles_anywhere(tokens, mentions)
        for m in mentions:
            if m.sentiment == "seen" and sentence_tone(tokens, m.position) > 0:
                m.sentiment = "liked"  # "watched Arrival and still can't stop thinking about it"
        return mentions, unresolved

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
            found = self._sure_title_at(tokens, i)
            if found is None:
                i += 1
                continue
            ids, n = found
            written = " ".join(t.text for t in tokens[i:i + n])
            for t in tokens[i:i + n]:
                t.used = True
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
        return popular and (sentence_tone(tokens, i) != 0 or _beside_title(tokens, i,
                                                                          len(window)))

    def _sure_word(self, tok: Token, popularity: float, tokens: list[Token], i: int) -> bool:
        """A one-word title named without a trigger: a made-up word ("Braveheart") known
        enough, or a real word ("Heat") that is famous and spoken of well or badly."""
        if _beside_title(tokens, i, 1) and tok.capitalised:
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
            if not key or key in GENERIC or genre_key(written) in GENRE_WORDS:
                continue
            year = _year_after(tokens, end)
            ids = self.match_title(f"{written} ({year})" if year else written)
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
            if len(words) == 1 and ((sentence_start(tokens, i) and not _beside_title(
                    tokens, i, 1) and tokens[i + 1].text != ",") or words[0].low in STOP_WORDS
                                    or len(key) < 3 or not self._sure_word(words[0], popularity,
                                                                           tokens, i)):
                continue
            if len(words) >= 2 and popularity < 0.15 and not all(
                    t.capitalised or t.low in TITLE_GLUE for t in window):
                continue
            return ids, end - i
        return None

    def _trigger(self, tokens: list[Token], i: int) -> tuple[str, int]:
        for sentiment, phrases in (("not_seen", NOT_SEEN), ("disliked", DISLIKE),
                                   ("seen", SEEN), ("liked", LIKE)):
            n = phrase_at(tokens, i, phrases)
            if n:
                if sentiment == "liked" and tokens[i].negated:
                    return "disliked", n
                if sentiment == "liked" and tokens[i].low == "like" and i > 0 and tokens[
                    i - 1
                ].low in ("would", "i'd", "'d", "id", "you'd", "we'd", "feel", "look"):
                    return "", 0  # "I'd like a comedy": a request, not a reference
                return sentiment, n
        return "", 0

    def _sentiment_of_clause(self, tokens: list[Token], i: int) -> str:
        for j in range(i - 1, -1, -1):
            if tokens[j].clause != tokens[i].clause:
                break
            sentiment, n = self._trigger(tokens, j)
            if n:
                return sentiment
        return "neutral"

    def _title_list(self, tokens: list[Token], j: int, sentiment: str, ledger: Ledger,
                    mentions: list[TitleMention], unresolved: list[str]) -> int:
        """Titles from token j on, separated by 'and', 'or', commas; returns where it stopped."""
        while j < len(tokens):
            ref = self._ordinal_at(tokens, j, ledger)
            if ref is not None:
                item_ids, n = ref
                written = " ".join(t.text for t in tokens[j:j + n])
                mentions += [TitleMention(i, written, sentiment)  # type: ignore[arg-type]
                             for i in item_ids]
                for t in tokens[j:j + n]:
                    t.used = True
                j += n
            else:
                found = self._title_at(tokens, j)
                if found is None:
                    written = self._capitalised_run(tokens, j)
                    if self._names_person(written):
                        return j  # "a fan of Christopher Nolan films": a person, not a title
                    if written and sentiment != "not_seen":
                        unresolved.append(written)
                        for t in tokens[j:j + len(written.split())]:
                            t.used = True  # an unknown title's words are not a wish
                    return j
                ids, n = found
                written = " ".join(t.text for t in tokens[j:j + n])
                if sentiment == "liked" and tokens[j].negated:
                    sentiment = "disliked"  # "not a huge fan of Titanic"
                year = _year_after(tokens, j + n)
                if year is not None:
                    ids = self.match_title(f"{written} ({year})") or ids
                    n += 3
                mentions.append(self._mention(ids, written, sentiment, position=j))
                for t in tokens[j:j + n]:
                    t.used = True
                j += n
            if j < len(tokens) and tokens[j].low in ("and", "or", ",", "&", "nor"):
                j += 1
                continue
            return j
        return j

    def _ordinal_at(self, tokens: list[Token], j: int, ledger: Ledger
                    ) -> tuple[list[int], int] | None:
        """Films of the last list named by position: 'the second one', 'the first two'."""
        if not ledger.last_shown:
            return None
        shown = ledger.last_shown
        window = " ".join(t.low for t in tokens[j:j + 3])
        several = re.match(r"(?:the\s+)?(first|last|top)\s+(two|three|four|five|2|3|4|5)\b|"
                           r"(both|all of them|all of those|all)\b", window)
        if several:
            if several.group(3):
                return list(shown), len(several.group(0).split())
            count = {"two": 2, "three": 3, "four": 4, "five": 5}.get(several.group(2)) or int(
                several.group(2))
            picked = shown[-count:] if several.group(1) == "last" else shown[:count]
            return list(picked), len(several.group(0).split())
        match = ORDINAL_REF.match(window)
        if not match or match.start() != 0:
            return None
        item_id = shown_at(match, shown)
        if item_id is None:
            return None
        n = len(match.group(0).split())
        if match.group(2):
            n = len(re.findall(r"\S+", match.group(0)))
        return [item_id], n

    def _title_at(self, tokens: list[Token], j: int) -> tuple[list[int], int] | None:
        """The longest run of tokens from j that names a film, and its films (not a person
        named there: "I like Robert Downey Jr." is about him)."""
        if tokens[j].capitalised and self._names_person(
                " ".join(t.text for t in tokens[j:j + 3])):
            return None
        limit = min(len(tokens), j + MAX_TITLE_TOKENS)
        stop = next((k for k in range(j, limit) if tokens[k].text in (".", ",", ";", "!", "?",
                                                                     '"', "“", "”")), limit)
        for end in range(stop, j, -1):
            window = tokens[j:end]
            if any(t.used for t in window):
                continue
            written = " ".join(t.text for t in window)
            key = title_key(written)
            if not key or key in GENERIC or genre_key(written) in GENRE_WORDS or (
                    len(window) == 1 and window[0].low in STOP_WORDS):
                continue
            capitalised = any(t.capitalised for t in window)
            ids = self.match_title(written, loose=capitalised and len(key) >= 5)
            if not ids:
                continue
            popularity = self.vocab.titles.popularity.get(ids[0], 0.0)
            if not capitalised and popularity < (0.45 if len(window) >= 2 else 0.6):
                continue
            return ids, end - j
        return None

    def _capitalised_run(self, tokens: list[Token], j: int) -> str:
        run: list[str] = []
        for tok in tokens[j:j + MAX_TITLE_TOKENS]:
            if tok.capitalised or (run and tok.low in ("of", "the", "a", "and", "in", "on")):
                run.append(tok.text)
            else:
                break
        while run and run[-1].lower() in ("of", "the", "a", "and", "in", "on"):
            run.pop()
        return " ".join(run)

    def _mention(self, ids: list[int], written: str, sentiment: str, position: int = 0
                 ) -> TitleMention:
        pop = self.vocab.titles.popularity
        alternatives = [i for i in ids[1:4] if pop.get(i, 0.0) >= pop.get(ids[0], 0.0) - 0.1]
        return TitleMention(ids[0], written, sentiment, alternatives,  # type: ignore[arg-type]
                            position=position)

    @staticmethod
    def _films(mentions: list[TitleMention], update: LedgerUpdate) -> None:
        for m in mentions:
            if m.sentiment == "liked":
                update.liked_ids.append(m.item_id)
            elif m.sentiment == "disliked":
                update.disliked_ids.append(m.item_id)
            elif m.sentiment == "seen":
                update.seen_ids.append(m.item_id)

    def _ordinal_feedback(self, text: str, tokens: list[Token], ledger: Ledger,
                          update: LedgerUpdate) -> None:
        """'not the second one' -> rejected (triggers like 'seen the first' are handled above)."""
        if not ledger.last_shown:
            return
        for match in ORDINAL_REF.finditer(text):
            before = text[:match.start()].lower()
            if re.search(r"\b(not|no|skip|drop|remove|without)\s*(?:the)?\s*$", before):
                item_id = shown_at(match, ledger.last_shown)
                if item_id is not None:
                    update.rejected_ids.append(item_id)
                    for tok in tokens:
                        if match.start() <= tok.start < match.end():
                            tok.used = True


    def franchise(self, item_ids: list[int]) -> list[int]:
        """Films of the same series ('The Matrix' -> 'The Matrix Reloaded', ...): a user who
        asks for 'like X but funnier' wants something other than more X."""
        index = self.vocab.titles
        names = {series_name(t) for films in index.titles.values()
                 for i, t, kind in films if i in item_ids and kind == "display"}
        names = {n for n in names if len(n) >= 4}
        found = {
            i for films in index.titles.values() for i, t, kind in films
            if kind == "display" and any(series_name(t).startswith((n + " ", n + ":"))
                                         for n in names)
        }
        return sorted(found - set(item_ids))[:30]



def series_name(title: str) -> str:
    """'The Matrix Reloaded' -> 'matrix reloaded' (lower case, no leading article)."""
    text = re.sub(r"^(the|a|an)\s+", "", title.strip().lower())
    return re.sub(r"\s+", " ", text)


_ASKS_FOR_FILMS = re.compile(
    r"\b(recommend\w*|suggest\w*|looking for|anything (?:else )?(?:like|similar)|something "
    r"(?:like|similar)|similar (?:to|films?|movies?)|what (?:else )?should i|more like|any "
    r"(?:others?|recs?|ideas))\b", re.I)
TITLE_GLUE = {"of", "the", "a", "an", "and", "in", "on", "to", "at", "for", "with", "from",
              "&", "vs", "or", "is", "me", "my", "it"}
POSITIVE = re.compile(
    r"\b(lov(?:e|ed|es|ing)|lik(?:e|ed)|enjoy(?:ed)?|great|amazing|awesome|favou?rite|fav|perfect"
    r"|brilliant|fantastic|excellent|cried|hooked|insane|incredible|masterpiece|best|good|fun"
    r"|classic|can'?t stop thinking|still thinking|blew me away|fell in love|obsessed|grew up on"
    r"|gets me|rewatch\w*)\b")
NEGATIVE = re.compile(
    r"\b(hat(?:e|ed)|boring|bored|awful|terrible|disliked|didn'?t (?:like|enjoy)|did not (?:like"
    r"|enjoy)|bad|worst|overrated|meh|annoying|couldn'?t stand|can'?t stand|waste|sucked)\b")


def sentence_tone(tokens: list[Token], i: int) -> int:
    """+1 when the sentence around token i speaks well of what it names, -1 badly, 0 not."""
    start = i
    while start > 0 and tokens[start - 1].text not in (".", "!", "?"):
        start -= 1
    end = i
    while end < len(tokens) and tokens[end].text not in (".", "!", "?"):
        end += 1
    words = " ".join(t.low for t in tokens[start:end] if not t.used or t is tokens[i])
    if NEGATIVE.search(words):
        return -1
    return 1 if POSITIVE.search(words) else 0


def _beside_title(tokens: list[Token], i: int, n: int) -> bool:
    """Whether tokens[i:i+n] stand in a list next to a title already found ("Memento,
    Donnie Darko and Eternal Sunshine")."""
    for j, step in ((i - 1, -1), (i + n, 1)):
        while 0 <= j < len(tokens) and tokens[j].low in (",", "and", "or", "&", "/"):
            j += step
        if 0 <= j < len(tokens) and tokens[j].used and tokens[j].text[:1].isalnum():
            return True
    return False


def _year_after(tokens: list[Token], end: int) -> int | None:
    """The year of "Title (1985)": tokens '(', '1985', ')' right after the title."""
    if end + 2 < len(tokens) and tokens[end].text == "(" and tokens[end + 2].text == ")" and (
            re.fullmatch(r"(?:18|19|20)\d\d", tokens[end + 1].text)):
        return int(tokens[end + 1].text)
    return None
