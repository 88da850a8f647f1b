"""The deterministic extractor: a user turn -> a ledger update, grounded in the catalog.

It always runs (the LLM may refine its output when a capable one is configured).
Everything it recognises is checked against the catalog's vocabularies, so what
reaches the ledger is a real genre, a real person, a real film id:

- films, after a trigger ("like", "loved", "hated", "seen") or in quotes, matched
  on the title index (exact keys first, then a sure fuzzy match), lists included
  ("I loved Heat and Alien"); "the second one" refers to the last list shown;
- people (full names; a director's surname: "a Tarantino film"), genres and the
  words people use for them, years, decades and ranges, runtime limits, original
  languages, "highly rated";
- negation, scoped to its clause: "a comedy, nothing with Adam Sandler, no horror";
- relaxation: "the 90s are fine", "any length", "horror is ok";
- the rest (mood, themes, plot) becomes a soft wish when the catalog knows its words;
- the user's dialogue act: a factual question, more, a rejection of the last list,
  thanks, a greeting, or an update of what they want.

The text never reaches SQL or a prompt as an instruction; prompt-injection
phrases are recognised and dropped from the wish.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from convrec.agent.ledger import Ledger, LedgerUpdate
from convrec.agent.lexicon import (
    ALLOW_AFTER,
    ALLOW_BEFORE,
    CLAUSE_BREAK,
    CLAUSE_WORDS,
    COMPARATIVE,
    DISLIKE,
    FILLER_AFTER_TRIGGER,
    GENERIC,
    GENRE_DETERMINERS,
    GENRE_NOUNS,
    INJECTION,
    LANGUAGE_NOUNS,
    LIKE,
    NEGATORS,
    NOT_SEEN,
    ORDINAL_REF,
    ORDINALS,
    SEEN,
    SUBGENRES,
    TOKEN,
)
from convrec.agent.multilingual import looks_foreign, translate_common
from convrec.agent.spans import parse_minutes, year_span
from convrec.agent.vocab import GENRE_WORDS, AgentVocab, genre_key, get_agent_vocab, known_words
from convrec.tools.context import ToolContext
from convrec.tools.filters import PersonRef, person_key, vocab_key
from convrec.tools.lookup import title_key

UserAct = Literal[
    "empty", "greeting", "thanks", "bye", "accept", "question", "more", "reject", "inform",
    "request", "unclear",
]
QuestionKind = Literal["director", "cast", "runtime", "year", "plot", "rating", "general"]

MAX_CHARS = 1_000  # a turn is cut here before extraction (a note says so)
MAX_TITLE_TOKENS = 10
FUZZY_TITLE = 90.0

@dataclass
class Token:
    text: str
    low: str
    start: int
    end: int
    clause: int = 0
    negated: bool = False
    allowed: bool = False
    used: bool = False

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


@dataclass
class Question:
    kind: QuestionKind
    item_id: int | None
    title: str | None  # as the user wrote it, when no film was found


@dataclass
class TitleMention:
    item_id: int
    written: str
    sentiment: Literal["liked", "disliked", "seen", "neutral"]
    alternatives: list[int] = field(default_factory=list)


@dataclass
class Extraction:
    text: str
    update: LedgerUpdate
    user_act: UserAct
    question: Question | None = None
    mentions: list[TitleMention] = field(default_factory=list)
    unresolved_titles: list[str] = field(default_factory=list)
    injection: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "user_act": self.user_act,
            "update": self.update.model_dump(exclude_defaults=True),
            "question": None if self.question is None else self.question.__dict__,
            "unresolved_titles": self.unresolved_titles,
            "injection": self.injection,
            "notes": self.notes,
        }


# ----------------------------------------------------------------------------- text


def sanitize(text: str) -> str:
    """NFC, control characters and emoji removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", str(text))
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat.startswith("C") or cat in ("So", "Sk", "Cs"):
            kept.append(" ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).replace("’", "'").split())


def tokenize(text: str) -> list[Token]:
    tokens = [Token(m.group(), m.group().lower(), m.start(), m.end())
              for m in TOKEN.finditer(text)]
    clause = 0
    for tok in tokens:
        if tok.text in CLAUSE_BREAK or tok.low in CLAUSE_WORDS:
            clause += 1
        tok.clause = clause
    return tokens


def _phrase_at(tokens: list[Token], i: int, phrases: tuple[str, ...] | set[str]) -> int:
    """Length in tokens of the longest phrase starting at token i, 0 if none."""
    best = 0
    for phrase in phrases:
        words = phrase.split()
        n = len(words)
        if i + n <= len(tokens) and [t.low for t in tokens[i:i + n]] == words:
            best = max(best, n)
    return best


def _mark_negation(text: str, tokens: list[Token]) -> None:
    """A negator negates the rest of its clause; 'X is fine' / 'don't mind X' allow X."""
    negators = tuple(NEGATORS)
    for i, tok in enumerate(tokens):
        n = _phrase_at(tokens, i, negators)
        if not n:
            continue
        before = text[:tok.start].lower()
        if ALLOW_BEFORE.search(before + " " + " ".join(t.low for t in tokens[i:i + n])):
            continue
        if tok.low in ("don't", "dont", "do") and i + 1 < len(tokens) and tokens[i + 1].low in (
            "mind",
        ):
            continue
        for later in tokens[i + n:]:
            if later.clause != tok.clause:
                break
            later.negated = True
    for i, tok in enumerate(tokens):
        rest = text[tok.end:]
        before = text[:tok.start]
        if ALLOW_BEFORE.search(before.lower()):
            for later in tokens[i:]:
                if later.clause != tok.clause:
                    break
                later.allowed, later.negated = True, False
            break
        if ALLOW_AFTER.match(rest.lower()):
            j = i
            while j >= 0 and tokens[j].clause == tok.clause:
                tokens[j].allowed, tokens[j].negated = True, False
                j -= 1


# ----------------------------------------------------------------------------- the extractor


class Extractor:
    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.vocab: AgentVocab = get_agent_vocab(ctx)

    # the entry point

    def extract(self, raw: str, ledger: Ledger) -> Extraction:
        text = sanitize(raw)
        notes: list[str] = []
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS].rsplit(" ", 1)[0]
            notes.append(f"the message was long; I read its first {MAX_CHARS} characters")
        if not text:
            return Extraction(text="", update=LedgerUpdate(), user_act="empty", notes=notes)
        injection = bool(INJECTION.search(text))
        if injection:
            text = _drop_injection(text)
        foreign = looks_foreign(text)
        text = translate_common(text)
        tokens = tokenize(text)
        _mark_negation(text, tokens)
        update = LedgerUpdate()
        question = self._question(text, ledger)
        if question is not None:
            return Extraction(text=text, update=LedgerUpdate(), user_act="question",
                              question=question, injection=injection, notes=notes)
        mentions, unresolved = self._titles(tokens, ledger, question is not None)
        self._films(mentions, update)
        self._ordinal_feedback(text, tokens, ledger, update)
        self._drops(text, tokens, update)
        self._people(tokens, update)
        self._studios(tokens, update)
        self._keywords(tokens, update, notes)
        self._genres(tokens, update, notes)
        self._relative(tokens, mentions, ledger, update)
        self._era(text, tokens, ledger, update, notes)
        self._runtime(text, tokens, update)
        self._languages(tokens, update)
        self._rating(text, tokens, update)
        if foreign:
            notes.append("I understand English best; I used what I recognised")
        else:
            self._wishes(tokens, mentions, update)
        self._unknown_negations(tokens, notes)
        if re.search(r"\bany\b(?:\s+[\w'’-]+){0,3}?\s+(?:films?|movies?|ones?)\b", text, re.I) and (
            not update.genres_include
        ):
            update.genres_clear = True  # "any Meg Ryan film": whatever the genre
        if re.search(r"\b(start (over|again|afresh)|reset|new search|forget (all|everything|"
                     r"it all|what i said)|clear (all|everything|the filters))\b", text, re.I):
            update.reset = True
        elif re.search(r"\b(actually|instead|rather|forget|change of plans?|scratch that)\b",
                       text, re.I):
            update.clear_wishes = True
        act = self._user_act(text, update, question, ledger, mentions)
        if act == "reject" and ledger.last_shown and not update.seen_ids:
            update.rejected_ids = list(ledger.last_shown)
        return Extraction(
            text=text, update=update, user_act=act, question=question, mentions=mentions,
            unresolved_titles=unresolved, injection=injection, notes=notes,
        )

    # acts

    def _user_act(self, text: str, update: LedgerUpdate, question: Question | None,
                  ledger: Ledger, mentions: list[TitleMention]) -> UserAct:
        low = text.lower()
        words = re.findall(r"[a-z']+", low)
        short = len(words) <= 8
        if question is not None:
            return "question"
        if re.search(r"\b(seen (them|those|these|all|it)( all)?|already (seen|watched) "
                     r"(them|those|these|all)|watched (them|those|these) all)\b", low):
            update.seen_ids = list(dict.fromkeys([*update.seen_ids, *ledger.last_shown]))
            return "reject"
        if re.search(r"\b(none of (these|those|them|that)|not (these|those|them)\b|don'?t like "
                     r"(these|those|any of)|nothing (here|there) (appeals|works)|no good"
                     r"|not (interested|for me)|meh)\b", low) and not update.liked_ids:
            return "reject"
        social = self._social_act(low, short)
        if social is not None and not mentions and update.model_copy(
            update={"wishes": []}
        ).is_empty():
            update.wishes = []  # "bye", "thanks a lot": not a wish
            return social
        informative = not update.is_empty() or bool(mentions)
        if informative:
            return "inform"
        if re.search(r"\b(more|others?|another|something else|different ones?|anything else"
                     r"|next|keep going|go on|what else)\b", low):
            return "more"
        if re.search(r"\b(recommend|suggest|what should i (watch|see)|what to watch|something to "
                     r"(watch|see)|surprise me|any (ideas|suggestions|recommendations)|movie "
                     r"night|pick (something|a film|a movie|one))\b", low):
            return "request"  # an open request: nothing about what, yet
        return "unclear"

    @staticmethod
    def _social_act(low: str, short: bool) -> UserAct | None:
        if short and re.search(r"\b(thanks|thank you|thx|cheers|ty)\b", low):
            return "thanks"
        if short and re.search(r"\b(i'?ll (watch|take|go with|try)|sounds (good|great)|perfect"
                               r"|that'?s great|great choice|i'?ll check|awesome|love it)\b",
                               low):
            return "accept"
        if short and re.search(r"\b(bye|goodbye|see you|that'?s all|i'?m done|quit|exit)\b",
                               low):
            return "bye"
        if short and re.search(r"\b(hi|hello|hey|hiya|howdy|good (morning|evening|afternoon)"
                               r"|yo|what'?s up|sup)\b", low):
            return "greeting"
        return None

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
        ("rating", re.compile(r"\b(?:is|was)\s+(?P<t>.+?)\s+(?:any good|good|worth (?:it|"
                              r"watching|seeing)|well rated|rated well)\b|\bhow (?:good|well "
                              r"rated) is\s+(?P<t2>.+)", re.I)),
    )

    def _question(self, text: str, ledger: Ledger) -> Question | None:
        for kind, pattern in self._QUESTIONS:
            match = pattern.search(text)
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
            return _shown_at(match, ledger.last_shown)
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
        if len(key) < 4 or (not loose and len(key.split()) < 2):
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
                        mentions.append(self._mention(ids, written, sentiment))
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
        return mentions, unresolved

    def _trigger(self, tokens: list[Token], i: int) -> tuple[str, int]:
        for sentiment, phrases in (("not_seen", NOT_SEEN), ("disliked", DISLIKE),
                                   ("seen", SEEN), ("liked", LIKE)):
            n = _phrase_at(tokens, i, phrases)
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
                    if written and sentiment != "not_seen":
                        unresolved.append(written)
                        for t in tokens[j:j + len(written.split())]:
                            t.used = True  # an unknown title's words are not a wish
                    return j
                ids, n = found
                written = " ".join(t.text for t in tokens[j:j + n])
                mentions.append(self._mention(ids, written, sentiment))
                for t in tokens[j:j + n]:
                    t.used = True
                j += n
                if j < len(tokens) and re.fullmatch(r"\(?\d{4}\)?", tokens[j].text):
                    tokens[j].used = True
                    j += 1
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
        item_id = _shown_at(match, shown)
        if item_id is None:
            return None
        n = len(match.group(0).split())
        if match.group(2):
            n = len(re.findall(r"\S+", match.group(0)))
        return [item_id], n

    def _title_at(self, tokens: list[Token], j: int) -> tuple[list[int], int] | None:
        """The longest run of tokens from j that names a film, and its films."""
        limit = min(len(tokens), j + MAX_TITLE_TOKENS)
        stop = next((k for k in range(j, limit) if tokens[k].text in (".", ",", ";", "!", "?",
                                                                     '"', "“", "”")), limit)
        for end in range(stop, j, -1):
            window = tokens[j:end]
            if any(t.used for t in window):
                continue
            written = " ".join(t.text for t in window)
            key = title_key(written)
            if not key or key in GENERIC or genre_key(written) in GENRE_WORDS:
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

    def _mention(self, ids: list[int], written: str, sentiment: str) -> TitleMention:
        pop = self.vocab.titles.popularity
        alternatives = [i for i in ids[1:4] if pop.get(i, 0.0) >= pop.get(ids[0], 0.0) - 0.1]
        return TitleMention(ids[0], written, sentiment, alternatives)  # type: ignore[arg-type]

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
                item_id = _shown_at(match, ledger.last_shown)
                if item_id is not None:
                    update.rejected_ids.append(item_id)
                    for tok in tokens:
                        if match.start() <= tok.start < match.end():
                            tok.used = True

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

    # era

    def _masked(self, text: str, tokens: list[Token]) -> str:
        chars = list(text)
        for tok in tokens:
            if tok.used:
                chars[tok.start:tok.end] = " " * (tok.end - tok.start)
        return "".join(chars).lower()

    def _era(self, text: str, tokens: list[Token], ledger: Ledger, update: LedgerUpdate,
             notes: list[str]) -> None:
        low = self._masked(text, tokens)
        if re.search(r"\b(any (era|year|decade|time period)|era doesn'?t matter|(year|era|"
                     r"decade) (doesn'?t|does not) matter|regardless of (year|era))\b", low):
            update.era_clear = True
        span = year_span(low, self.vocab.max_year)
        if span is None:
            return
        start, end, kind, (pos, stop) = span
        _consume(tokens, pos, stop)
        rest = low[:pos] + " " * (stop - pos) + low[stop:]
        other = year_span(rest, self.vocab.max_year)
        if other is not None and (other[0], other[1]) != (start, end) and kind != "decade":
            notes.append("I can only use one range of years at a time; I used the first one")
        negated = _negated_at(tokens, pos)
        allowed = _allowed_at(tokens, pos) or bool(
            re.search(r"\b(are|is|would be)\s+(fine|ok|okay|alright|good)\b", low[pos:pos + 40])
        )
        if allowed:
            # widen what the ledger has so this span fits in it
            earlier = ledger.year_from
            if earlier is not None and start is not None and earlier.value > start:
                update.year_from = start
            if ledger.year_to is not None and end is not None and ledger.year_to.value < end:
                update.year_to = end
            return
        if negated:
            if kind == "before":  # "nothing before 2000"
                update.year_from = end + 1 if end is not None else None
            elif kind == "after":  # "nothing after 1990"
                update.year_to = start - 1 if start is not None else None
            elif start is not None and end is not None:  # "not from the 80s": newer
                update.year_from = end + 1
            return
        update.year_from, update.year_to = start, end


    # runtime

    def _runtime(self, text: str, tokens: list[Token], update: LedgerUpdate) -> None:
        low = text.lower()
        if re.search(r"\b(any length|length doesn'?t matter|(long|length|runtime|longer ones?) "
                     r"(is|are) (fine|ok|okay)|don'?t mind (long|longer)|regardless of "
                     r"length)\b", low):
            update.runtime_clear = True
            return
        number = (r"(\d+(?:\.\d+)?|an? hour and a half|one and a half|half an|an?|one|two"
                  r"|three|four|ninety)")
        unit = r"\s*-?\s*(hours?|hrs?|h|minutes?|mins?|m)\b"
        found = False
        for match in re.finditer(
            r"\b(under|less than|shorter than|below|at most|no more than|no longer than|"
            r"max(?:imum)?(?: of)?|within|up to|tops|not over|over|more than|longer than|"
            r"at least|above|minimum(?: of)?)\s+" + number + unit, low
        ):
            minutes = parse_minutes(match.group(2), match.group(3))
            if minutes is None or not 20 <= minutes <= 600:
                continue
            _consume(tokens, *match.span())
            at_least = match.group(1) in ("over", "more than", "longer than", "at least",
                                          "above") or match.group(1).startswith("minimum")
            if _negated_at(tokens, match.start()):
                at_least = not at_least  # "nothing longer than two hours"
            if at_least:
                update.runtime_min = minutes
            else:
                update.runtime_max = minutes
            found = True
        if found:
            return
        if re.search(r"\b(not too long|nothing too long|not very long|not long|not a long|"
                     r"nothing long)\b", low):
            update.runtime_max = 120
        elif re.search(r"\b(short|shortish|quick|brief)\b(?! (story|stories|film festival))", low):
            update.runtime_max = 100
        elif re.search(r"\b(long|epic|lengthy)\s+(movies?|films?|ones?|epics?)\b", low):
            update.runtime_min = 150

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

    # rating

    def _rating(self, text: str, tokens: list[Token], update: LedgerUpdate) -> None:
        low = text.lower()
        match = re.search(r"\brated\s+(?:above|over|at least|higher than|more than)\s+"
                          r"(\d+(?:\.\d+)?)(\s*(?:/\s*5|stars?|out of 5))?", low)
        if match:
            value = float(match.group(1)) * (2 if match.group(2) else 1)
            if 0 < value <= 10:
                update.min_rating = value
                _consume(tokens, *match.span())
                return
        if re.search(r"\b(highly rated|well rated|top rated|critically acclaimed|acclaimed|"
                     r"well reviewed|good reviews|award winning|masterpieces?|the best)\b", low):
            update.min_rating = 7.0

    # slots dropped by name, keywords, negated names the catalog cannot filter on

    _DROP = re.compile(
        r"\b(?:drop|remove|forget|ignore|lose|clear|scrap|skip|no need for)\s+(?:the\s+|that\s+)?"
        r"(language|era|years?|decade|dates?|runtime|length|time limit|genres?|rating|actors?|"
        r"directors?|people|cast)\b|\b(language|era|year|decade|runtime|length|genre|rating)"
        r"\s+(?:doesn'?t|does not|don'?t) matter\b", re.I)

    def _drops(self, text: str, tokens: list[Token], update: LedgerUpdate) -> None:
        for match in self._DROP.finditer(text):
            slot = (match.group(1) or match.group(2)).lower()
            _consume(tokens, *match.span())
            if slot in ("language",):
                update.languages_clear = True
            elif slot in ("era", "year", "years", "decade", "date", "dates"):
                update.era_clear = True
            elif slot in ("runtime", "length", "time limit"):
                update.runtime_clear = True
            elif slot.startswith("genre"):
                update.genres_clear = True
            elif slot == "rating":
                update.rating_clear = True
            else:
                update.people_clear = True

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

    def _unknown_negations(self, tokens: list[Token], notes: list[str]) -> None:
        """'no Zorbco': a capitalised name after a negation that nothing matched."""
        for i, tok in enumerate(tokens):
            if (tok.negated and not tok.used and tok.capitalised and len(tok.text) > 2
                    and tok.low not in GENERIC and i > 0):
                notes.append(f"I can't filter out \"{tok.text}\": the catalog doesn't know it")
                tok.used = True

    # "like X but shorter / newer / older"

    def _relative(self, tokens: list[Token], mentions: list[TitleMention], ledger: Ledger,
                  update: LedgerUpdate) -> None:
        """'like X but shorter / newer / older', X named now or liked earlier."""
        liked = [m.item_id for m in mentions if m.sentiment == "liked"] or list(ledger.liked)
        if not liked:
            return
        films = [self.vocab.filters.films[i] for i in liked if i in self.vocab.filters.films]
        runtimes = [f.runtime for f in films if f.runtime]
        years = [f.year for f in films if f.year]
        for tok in tokens:
            if tok.used or tok.negated:
                continue
            if tok.low == "shorter" and runtimes and update.runtime_max is None:
                update.runtime_max = max(60, min(runtimes) - 15)
            elif tok.low == "longer" and runtimes and update.runtime_min is None:
                update.runtime_min = max(runtimes) + 15
            elif tok.low in ("newer", "recent") and years and update.year_from is None:
                update.year_from = max(years) + 1
            elif tok.low == "older" and years and update.year_to is None:
                update.year_to = min(years) - 1
            else:
                continue
            tok.used = True
        named_now = [m.item_id for m in mentions if m.sentiment == "liked"]
        if named_now and any(t.low == "but" for t in tokens):
            update.avoid_ids = self.franchise(named_now)

    def franchise(self, item_ids: list[int]) -> list[int]:
        """Films of the same series ('The Matrix' -> 'The Matrix Reloaded', ...): a user who
        asks for 'like X but funnier' wants something other than more X."""
        index = self.vocab.titles
        names = {_series_name(t) for films in index.titles.values()
                 for i, t, kind in films if i in item_ids and kind == "display"}
        names = {n for n in names if len(n) >= 4}
        found = {
            i for films in index.titles.values() for i, t, kind in films
            if kind == "display" and any(_series_name(t).startswith((n + " ", n + ":"))
                                         for n in names)
        }
        return sorted(found - set(item_ids))[:30]

    # wishes

    def _wishes(self, tokens: list[Token], mentions: list[TitleMention],
                update: LedgerUpdate) -> None:
        words: list[str] = []
        for tok in tokens:
            if tok.used or tok.negated or not re.match(r"\w", tok.text) or tok.low.isdigit():
                continue
            word = COMPARATIVE.get(tok.low, tok.low)
            if tok.low in COMPARATIVE:
                words.append(word)
                continue
            if word in GENERIC or word in GENRE_WORDS or len(word) < 3:
                continue
            if re.fullmatch(r"\d{2,4}'?s|'\d0s", word):
                continue
            words.append(word)
        if not words:
            return
        known = set(known_words(self.ctx, " ".join(words)))
        kept = [w for w in words if w in known]
        if kept:
            update.wishes.append(" ".join(dict.fromkeys(kept)))


def _drop_injection(text: str) -> str:
    """Drop the sentence(s) that carry an injection attempt; keep the rest of the turn."""
    parts = re.split(r"(?<=[.!?;])\s+", text)
    kept = [p for p in parts if not INJECTION.search(p)]
    if not kept:
        # One sentence: keep what follows the instruction's verb phrase ("... and recommend X")
        return ""
    return " ".join(kept)


def _shown_at(match: re.Match[str], shown: list[int]) -> int | None:
    """The film of the last list an ORDINAL_REF match names ('the second one', '#3')."""
    index = ORDINALS[match.group(1).lower()] if match.group(1) else int(match.group(2)) - 1
    return shown[index] if -len(shown) <= index < len(shown) else None


def _consume(tokens: list[Token], start: int, end: int) -> None:
    """Mark the tokens inside text[start:end] as understood (they are not a wish)."""
    for tok in tokens:
        if tok.start < end and tok.end > start:
            tok.used = True


def _negated_at(tokens: list[Token], pos: int) -> bool:
    return any(t.negated for t in tokens if t.start <= pos < t.end + 1)


def _allowed_at(tokens: list[Token], pos: int) -> bool:
    return any(t.allowed for t in tokens if t.start <= pos < t.end + 1)


def _series_name(title: str) -> str:
    """'The Matrix Reloaded' -> 'matrix reloaded' (lower case, no leading article)."""
    text = re.sub(r"^(the|a|an)\s+", "", title.strip().lower())
    return re.sub(r"\s+", " ", text)


def get_extractor(ctx: ToolContext) -> Extractor:
    return ctx.resources.get(
        "agent_extractor", lambda: Extractor(ToolContext(ctx.resources))
    )
