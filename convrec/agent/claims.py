"""The claim checker: every content-bearing assertion of a reply, checked against the turn's data.

A reply written by a language model may only say what the turn can ground. `check_claims`
splits the text into claims and looks each one up in `Grounds`, which is built from the turn
alone (`Grounds.build`): the ledger's chips, constraints and wishes, the films the user
liked, the user's own message, and the cards (title, year, genres, runtime, directors,
cast, overview, the reason written from the tools' evidence). Nothing else is allowed
except a short closed list of function and phrasing words ("here are some", "you might
enjoy", "films", "picks").

Claims, by kind:

- name: a run of capitalised words (not a lone sentence-initial word), split at
  possessives. It must be covered, whole, by names of the turn: card titles (with or
  without a leading article), people (full names or surnames), genres, languages, studios,
  keywords, liked titles, and capitalised runs of the message and the evidence texts.
  Each word of a title existing somewhere is not enough: the title must.
- genre: a genre of the catalog, in any of its forms ("comedies", "romantic", "sci-fi").
  Supported when the user asked for it (ledger, a leaning, the message) or at least half
  of the cards carry it; a genre that merely appears in some reason is not asked for.
- year, decade, number: a year must be a card's year, a ledger bound or written in the
  turn's texts; a decade ("90s", "1990s", "nineties") must overlap the ledger's era, be
  written in the message, or hold every card's year; other numbers must appear in the
  turn's texts (the number of cards counts).
- word: any other content word (nouns, adjectives, verbs: plot words, moods, praise). Its
  stem must occur in the turn's texts (a card with directors or cast also grounds
  "directed" or "starring", `ROLE_WORDS`). Hyphenated words count when whole or every part does.

Whatever matches something the user excluded ("no Horror", "no Adam Sandler") is
unsupported unless a negation precedes it in the same sentence.

Stemming is a small suffix stripper applied alike to both sides ("comedies" ~ "comedy",
"animated" ~ "animation"); genre forms come from `GENRE_FORMS`, keyed by the catalog's genre
names (a genre not listed there is matched by its own name only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ClaimKind = Literal["name", "genre", "year", "decade", "number", "word"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_WORDS = _words("""
a an the and or but nor so yet if then than that this these those there here it its it's
i me my we us our you your yours he him his she her they them their what which who whom
whose when where why how all any both each every either neither some such no not only own
same too very just also even more most much many few several other another is are was were
be been being am do does did doing have has had having will would shall should can could
may might must to of in on at by for with about from into onto over under up down out off
as like unlike through during before after above below between among within without along
across around until since while because though although whether again once ever never
nothing none one ones something anything everything someone anyone let let's get got
""")

PHRASING_WORDS = _words("""
film films movie movies pick picks title titles suggestion suggestions recommendation
recommendations option options choice choices list selection lineup enjoy enjoyed like liked
love loved want wanted ask asked asking look looking looked find found try check watch
watching fit fits fitting match matches matching hope think fan fans please thanks
couple bunch few
""")

NEGATIONS = _words("no not without never none nothing avoid avoiding skip skipping isn't "
                   "aren't don't doesn't n't minus except instead")

# The catalog's genres and the other forms that say the same (keys are genre names).
GENRE_FORMS: dict[str, tuple[str, ...]] = {
    "Action": ("action",),
    "Adventure": ("adventure", "adventurous"),
    "Animation": ("animation", "animated", "cartoon"),
    "Comedy": ("comedy", "comedic", "comic", "funny"),
    "Crime": ("crime", "criminal"),
    "Documentary": ("documentary", "doc"),
    "Drama": ("drama", "dramatic"),
    "Family": ("family", "kids"),
    "Fantasy": ("fantasy", "fantastical"),
    "Film-Noir": ("film-noir", "noir"),
    "History": ("history", "historical"),
    "Horror": ("horror", "scary"),
    "Music": ("music",),
    "Musical": ("musical",),
    "Mystery": ("mystery", "mysterious"),
    "Romance": ("romance", "romantic", "romcom", "rom-com"),
    "Science Fiction": ("science fiction", "sci-fi", "scifi"),
    "TV Movie": ("tv movie",),
    "Thriller": ("thriller", "thrilling"),
    "War": ("war",),
    "Western": ("western",),
}
DEFAULT_GENRES = tuple(GENRE_FORMS)

NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20}
DECADE_WORDS = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
                "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
ROLE_WORDS = {"directors": "directed director directors", "cast": "starring stars cast"}
CONNECTORS = _words("of the a an and in on to de la le du von van der da di & vs")

_TOKEN = re.compile(r"'?\d+(?:[.,]\d+)*(?:'?s)?|[^\W\d_]+(?:['’\-][^\W\d_]+)*(?:['’]s?)?")
_SENTENCE_END = re.compile(r"[.!?:;\n—–]\s*$|^\s*$")
_DECADE = re.compile(r"^'?(\d{2}|\d{3}0)'?s$")
_POSSESSIVE = re.compile(r"['’]s?$")
_SCOPE_END = re.compile(r"\n|[.!?](?=\s)")
NOT_ASKED = "neither asked for nor most of the films"
_LIST_MARKER = re.compile(r"(?m)^[ \t]*\d{1,2}[.)](?=\s)")  # "1. " starts a list line


class CardFacts(Protocol):
    """What the checker reads of a recommendation card (convrec.agent.respond.Card)."""

    title: str
    year: int | None
    genres: list[str]
    runtime: int | None
    directors: list[str]
    cast: list[str]
    overview: str
    reason: str


# ----------------------------------------------------------------------------- words


def stem(word: str) -> str:
    """A crude stem, the same for both sides: lower case, no possessive, one suffix off."""
    w = _POSSESSIVE.sub("", word.lower().replace("’", "'")).strip("'-")
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ss", "us", "is")):
        return w
    for suffix in ("ions", "ion", "ings", "ing", "edly", "ed", "ers", "er", "es", "s", "ly",
                   "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[:-len(suffix)]
    return w


def _norm(word: str) -> str:
    return re.sub(r"[^\w]", "", _POSSESSIVE.sub("", word.lower().replace("’", "'")))


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    sentence_start: bool

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper() and self.text != "I"


def tokens(text: str) -> list[Token]:
    out = []
    for match in _TOKEN.finditer(text):
        before = text[:match.start()]
        out.append(Token(match.group(0), match.start(), bool(_SENTENCE_END.search(before))))
    return out


def _number(text: str) -> float | None:
    try:
        return float(text.strip("'").replace(",", ""))
    except ValueError:
        return None


def _decade(text: str) -> int | None:
    low = text.lower().replace("’", "'")
    if low in DECADE_WORDS:
        return DECADE_WORDS[low]
    match = _DECADE.match(low)
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 4:
        return int(digits)
    if not digits.endswith("0"):
        return None
    value = int(digits)
    return 2000 + value if value < 30 else 1900 + value


# ----------------------------------------------------------------------------- grounds


@dataclass
class Grounds:
    """What the turn can ground: stems, names, genres, years and numbers (see `build`)."""

    stems: set[str] = field(default_factory=set)
    names: set[tuple[str, ...]] = field(default_factory=set)
    genre_forms: dict[str, str] = field(default_factory=dict)  # a form's stem -> genre
    genres_ok: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    era: tuple[int | None, int | None] = (None, None)
    card_years: list[int] = field(default_factory=list)
    decades_said: set[int] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    excluded_stems: set[str] = field(default_factory=set)
    excluded_names: set[tuple[str, ...]] = field(default_factory=set)
    excluded_genres: set[str] = field(default_factory=set)
    genre_titles: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def build(cls, *, ledger: Any = None, cards: Sequence[CardFacts] = (), message: str = "",
              liked_titles: Iterable[str] = (), genres: Iterable[str] = DEFAULT_GENRES
              ) -> Grounds:
        """The grounds of one turn. `ledger` is a convrec.agent.ledger.Ledger (or None),
        `liked_titles` the titles of the films it marks liked, `genres` the catalog's."""
        g = cls()
        for genre in genres:
            for form in (genre.lower(), *GENRE_FORMS.get(genre, ())):
                g.genre_forms[_form_key(form)] = genre
        texts = [message, *liked_titles]
        people: list[str] = []
        titles: list[str] = list(liked_titles)
        if ledger is not None:
            texts += [c.label for c in ledger.chips() if c.hard or not c.label.startswith(
                "rather not")]
            texts += [w.text for w in ledger.wishes] + [ledger.context or ""]
            texts += [*ledger.keywords_include, *ledger.studios_include, *ledger.languages]
            people += [p.name for p in ledger.people_include.values()]
            g.genres_ok |= set(ledger.genres_include)
            g.genres_ok |= {p.value for p in ledger.soft.values()
                            if p.kind == "genre" and p.polarity > 0}
            g.excluded_genres |= set(ledger.genres_exclude)
            g.excluded_genres |= {p.value for p in ledger.soft.values()
                                  if p.kind == "genre" and p.polarity < 0}
            for bad in (*ledger.keywords_exclude, *ledger.studios_exclude):
                g.excluded_stems |= {stem(t.text) for t in tokens(bad)}
                g.excluded_names.add(_name_key(bad))
            for pref in ledger.people_exclude.values():
                g.excluded_names |= _person_keys(pref.name)
            low = int(ledger.year_from.value) if ledger.year_from else None
            high = int(ledger.year_to.value) if ledger.year_to else None
            g.era = (low, high)
            g.years |= {y for y in (low, high) if y is not None}
        for card in cards:
            # the fields say how the people relate to the film
            texts += [ROLE_WORDS["directors"]] if card.directors else []
            texts += [ROLE_WORDS["cast"]] if card.cast else []
            titles.append(card.title)
            for genre in card.genres:
                g.genre_titles.setdefault(genre, set()).add(_name_key(card.title))
            people += [*card.directors, *card.cast]
            texts += [card.title, card.overview, card.reason, " ".join(card.genres)]
            if card.year:
                g.years.add(card.year)
                g.card_years.append(card.year)
            if card.runtime:
                g.numbers.add(float(card.runtime))
        if cards:
            g.numbers.add(float(len(cards)))
            for genre in {x for c in cards for x in c.genres}:
                if 2 * sum(genre in c.genres for c in cards) >= len(cards):
                    g.genres_ok.add(genre)
        texts += titles + people
        for text in texts:
            toks = tokens(text)
            g.stems |= {stem(t.text) for t in toks}
            for t in toks:
                value, decade = _number(t.text), _decade(t.text)
                if value is not None:
                    g.numbers.add(value)
                if decade is not None and text == message:
                    g.decades_said.add(decade)
            g.names |= {tuple(_norm(t.text) for t in run) for run in _runs(toks, all_runs=True)}
        for form, genre in g.genre_forms.items():
            if genre in g.genres_ok or (form and _mentions(message, form)):
                g.genres_ok.add(genre)
        for title in titles:
            key = _name_key(title)
            g.names.add(key)
            if key and key[0] in ("the", "a", "an"):
                g.names.add(key[1:])
        for person in people:
            g.names |= _person_keys(person)
        for genre in g.genre_forms.values():
            g.names.add(_name_key(genre))
        g.excluded_stems |= {k for k, v in g.genre_forms.items() if v in g.excluded_genres}
        g.names.discard(())
        return g


def _form_key(form: str) -> str:
    return " ".join(stem(w) for w in re.split(r"[\s]+", form.lower()))


def _mentions(text: str, form_key: str) -> bool:
    stems = [stem(t.text) for t in tokens(text)]
    words = form_key.split()
    return any(stems[i:i + len(words)] == words for i in range(len(stems) - len(words) + 1))


def _name_key(text: str) -> tuple[str, ...]:
    return tuple(k for k in (_norm(t.text) for t in tokens(text)) if k)


def _person_keys(name: str) -> set[tuple[str, ...]]:
    key = _name_key(name)
    return {key, key[-1:]} if len(key) > 1 else {key}


# ----------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """One assertion of the text: what it says, of which kind, and whether the turn grounds it."""

    text: str
    kind: ClaimKind
    supported: bool
    why: str = ""
    at: int = 0  # where in the text


@dataclass
class ClaimCheck:
    """Every claim of a text; `unsupported` are those the turn does not ground."""

    text: str
    claims: list[Claim] = field(default_factory=list)

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def describe(self) -> str:
        """The unsupported claims in one line, for logs and reports."""
        return "; ".join(f"{c.kind} {c.text!r}" for c in self.unsupported) or "none"


def _runs(toks: Sequence[Token], *, all_runs: bool = False) -> list[list[Token]]:
    """Runs of capitalised words (connectors allowed inside), split after a possessive.

    With all_runs, every capitalised word starts or joins a run (for the grounds); otherwise
    a lone sentence-initial word is an ordinary word, not a name."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    pending: list[Token] = []

    def close() -> None:
        nonlocal current, pending
        if current and (all_runs or len(current) > 1 or not current[0].sentence_start):
            runs.append(current)
        current, pending = [], []

    for tok in toks:
        if tok.capitalised and not tok.text[:1].isdigit():
            if current and tok.sentence_start:
                close()
            current += [*pending, tok]
            pending = []
            if _POSSESSIVE.search(tok.text) and tok.text[-2:].lower() in ("'s", "’s"):
                close()
        elif current and tok.text.lower() in CONNECTORS and not tok.sentence_start:
            pending.append(tok)
        else:
            close()
    close()
    return runs


def _covered(words: list[str], names: set[tuple[str, ...]], longest: int) -> bool:
    """Whether the run's words are a sequence of known names (connectors may sit between)."""
    ok = [False] * (len(words) + 1)
    ok[0] = True
    for i in range(len(words)):
        if not ok[i]:
            continue
        if words[i] in CONNECTORS:
            ok[i + 1] = True
        for size in range(1, min(longest, len(words) - i) + 1):
            if tuple(words[i:i + size]) in names:
                ok[i + size] = True
    return ok[-1]


def _merge_possessives(runs: list[list[Token]], toks: Sequence[Token], grounds: Grounds,
                       longest: int) -> list[list[Token]]:
    """A run split at a possessive joins the next one when together they are a known name
    ("Wayne's World", "Ocean's Eleven")."""
    out: list[list[Token]] = []
    position = {t.start: i for i, t in enumerate(toks)}
    for run in runs:
        if out and position[run[0].start] == position[out[-1][-1].start] + 1:
            merged = out[-1] + run
            if _covered([_norm(t.text) for t in merged], grounds.names, longest) and not (
                    _covered([_norm(t.text) for t in out[-1]], grounds.names, longest)
                    and _covered([_norm(t.text) for t in run], grounds.names, longest)):
                out[-1] = merged
                continue
        out.append(run)
    return out


def _negated(toks: Sequence[Token], index: int) -> bool:
    for j in range(index - 1, max(-1, index - 5), -1):
        if toks[j].text.lower().replace("’", "'") in NEGATIONS or toks[j].text.lower().endswith(
                "n't"):
            return True
        if toks[j + 1].sentence_start:
            break
    return False


def check_claims(text: str, grounds: Grounds) -> ClaimCheck:
    """Every content claim of `text`, each marked supported or not by `grounds`."""
    toks = tokens(_LIST_MARKER.sub(lambda m: " " * len(m.group(0)), text))
    result = ClaimCheck(text=text)
    in_name: set[int] = set()
    longest = max((len(n) for n in grounds.names), default=1)
    index_of = {t.start: i for i, t in enumerate(toks)}
    for run in _merge_possessives(_runs(toks), toks, grounds, longest):
        words = [_norm(t.text) for t in run]
        # a sentence-initial phrasing word before a name is not part of it ("Since Alien")
        while words and run[0].sentence_start and (words[0] in FUNCTION_WORDS
                                                   or words[0] in PHRASING_WORDS):
            in_name.add(index_of[run[0].start])
            run, words = run[1:], words[1:]
        if not run:
            continue
        in_name |= {index_of[t.start] for t in run}
        phrase = " ".join(t.text for t in run)
        genre = grounds.genre_forms.get(" ".join(stem(t.text) for t in run))
        if genre is not None:
            result.claims.append(_genre_claim(phrase, genre, grounds, toks,
                                              index_of[run[0].start]))
            continue
        if all(w in CONNECTORS for w in words):
            continue
        excluded = tuple(w for w in words if w not in CONNECTORS)
        if (any(excluded[i:i + len(n)] == n for n in grounds.excluded_names
                for i in range(len(excluded)))
                and not _negated(toks, index_of[run[0].start])):
            result.claims.append(Claim(phrase, "name", False, "the user excluded it"))
            continue
        ok = _covered(words, grounds.names, longest)
        result.claims.append(Claim(phrase, "name", ok, "" if ok else "no such name in the turn"))
    i = 0
    while i < len(toks):
        if i in in_name:
            i += 1
            continue
        tok = toks[i]
        low = tok.text.lower().replace("’", "'")
        # multi-word genre forms first ("science fiction", "tv movie")
        pair = " ".join(stem(t.text) for t in toks[i:i + 2]) if i + 1 < len(toks) else ""
        if pair and pair in grounds.genre_forms and i + 1 not in in_name:
            result.claims.append(_genre_claim(f"{tok.text} {toks[i + 1].text}",
                                              grounds.genre_forms[pair], grounds, toks, i))
            i += 2
            continue
        claim = _word_claim(tok, low, grounds, toks, i)
        if claim is not None:
            result.claims.append(claim)
        i += 1
    for n, claim in enumerate(result.claims):
        if claim.kind == "genre" and claim.why == NOT_ASKED:
            genre = grounds.genre_forms.get(" ".join(stem(w) for w in claim.text.split()))
            if genre is not None and _said_of_a_film(claim, text, genre, grounds):
                result.claims[n] = Claim(claim.text, "genre", True, "said of a film that has it",
                                         claim.at)
    return result


def _genre_claim(text: str, genre: str, grounds: Grounds, toks: Sequence[Token], index: int
                 ) -> Claim:
    at = toks[index].start
    if genre in grounds.excluded_genres:
        ok = _negated(toks, index)
        return Claim(text, "genre", ok, "" if ok else "the user excluded it", at)
    ok = genre in grounds.genres_ok
    return Claim(text, "genre", ok, "" if ok else NOT_ASKED, at)


def _said_of_a_film(claim: Claim, text: str, genre: str, grounds: Grounds) -> bool:
    """A genre said in the same sentence or list line as a card that has it ("Amelie (2001),
    a comedy")."""
    starts = [0, *(m.end() for m in _SCOPE_END.finditer(text))]
    begin = max(s for s in starts if s <= claim.at)
    after = [s for s in starts if s > claim.at]
    words = [_norm(t.text) for t in tokens(text[begin:after[0] if after else len(text)])]
    return any(words[i:i + len(key)] == list(key) for key in grounds.genre_titles.get(genre, ())
               if key for i in range(len(words) - len(key) + 1))


def _word_claim(tok: Token, low: str, grounds: Grounds, toks: Sequence[Token], index: int
                ) -> Claim | None:
    decade = _decade(low)
    if decade is not None:
        low_bound, high_bound = grounds.era
        overlaps = ((low_bound is not None or high_bound is not None)
                    and (low_bound or 0) <= decade + 9 and decade <= (high_bound or 9999))
        every = bool(grounds.card_years) and all(
            decade <= y <= decade + 9 for y in grounds.card_years)
        ok = overlaps or every or decade in grounds.decades_said
        return Claim(tok.text, "decade", ok, "" if ok else "not the era asked for or shown")
    value = _number(low) if low[:1].isdigit() or low[:1] == "'" else None
    if value is None and low in NUMBER_WORDS:
        value = float(NUMBER_WORDS[low])
    if value is not None:
        if value.is_integer() and 1870 <= value <= 2039 and "." not in low:
            ok = int(value) in grounds.years or value in grounds.numbers
            return Claim(tok.text, "year", ok, "" if ok else "no such year in the turn")
        ok = value in grounds.numbers
        return Claim(tok.text, "number", ok, "" if ok else "no such number in the turn")
    if low in FUNCTION_WORDS or low in PHRASING_WORDS or _norm(low) in FUNCTION_WORDS:
        return None
    key = stem(low)
    if key in grounds.genre_forms:
        return _genre_claim(tok.text, grounds.genre_forms[key], grounds, toks, index)
    if key in grounds.excluded_stems and not _negated(toks, index):
        return Claim(tok.text, "word", False, "the user excluded it")
    if key in grounds.stems:
        return Claim(tok.text, "word", True)
    parts = [p for p in re.split(r"[-']", low) if p]
    if len(parts) > 1 and all(p in FUNCTION_WORDS or stem(p) in grounds.stems for p in parts):
        return Claim(tok.text, "word", True)
    return Claim(tok.text, "word", False, "not in the turn's data")
