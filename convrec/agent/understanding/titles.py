"""Films the user names ("I loved Heat", "like The Matrix", "the second one").

Titles are matched on the lookup tool's title index: exact keys first, then a sure fuzzy
match; a list of titles after a trigger ("I loved Heat and Alien") is read in one go.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.understanding.extraction import (
    TitleMention,
    shown_at,
)
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
from convrec.agent.understanding.questions import QuestionReader
from convrec.agent.understanding.title_spotting import (
    MAX_TITLE_TOKENS,
    TitleSpotter,
    sentence_tone,
    year_after,
)
from convrec.agent.understanding.tokens import (
    Token,
    phrase_at,
)
from convrec.agent.understanding.vocab import AgentVocab
from convrec.catalog.genre_words import REQUEST_WORDS
from convrec.catalog.normalize import split_year, title_key, vocab_key
from convrec.catalog.records import title_year
from convrec.tools.context import ToolContext

FUZZY_TITLE = 90.0


class TitleReader(TitleSpotter, QuestionReader):
    """Films named in the turn: after a trigger, in quotes, by position in the last list,
    or anywhere when surely a title (TitleSpotter); and factual questions (QuestionReader)."""

    ctx: ToolContext
    vocab: AgentVocab

    def match_title(self, written: str, *, loose: bool = False) -> list[int]:
        """Films titled `written`: an exact key first (best known first), else a sure fuzzy
        match. Empty when nothing is close enough."""
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
                            t.used = t.title = True
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
                    if self._names_person(written) or written.lower() in self.vocab.surnames or (
                            written.lower() in self.vocab.first_names):
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
                year = year_after(tokens, j + n)
                if year is not None:
                    ids = self.match_title(title_year(written, year)) or ids
                    n += 3
                mentions.append(self._mention(ids, written, sentiment, position=j))
                for t in tokens[j:j + n]:
                    t.used = t.title = True
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
        if tokens[j].capitalised and (self._names_person(
                " ".join(t.text for t in tokens[j:j + 3])) or (
                tokens[j].low in self.vocab.first_names and not (
                    j + 1 < len(tokens) and tokens[j + 1].capitalised))):
            return None  # "I like Keanu": the person, not the film "Keanu"
        limit = min(len(tokens), j + MAX_TITLE_TOKENS)
        stop = next((k for k in range(j, limit) if tokens[k].text in (".", ",", ";", "!", "?",
                                                                     '"', "“", "”")), limit)
        for end in range(stop, j, -1):
            window = tokens[j:end]
            if any(t.used for t in window):
                continue
            written = " ".join(t.text for t in window)
            key = title_key(written)
            if not key or key in GENERIC or vocab_key(written) in REQUEST_WORDS or (
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


