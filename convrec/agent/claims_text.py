"""The words of a reply as the claim checker reads them (convrec.agent.claims): tokens,
stems, numbers and decades, runs of capitalised words, and the closed word lists (function
and phrasing words, negations, the genres' other forms)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from convrec.catalog.normalize import POSSESSIVE, word_key


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
SCOPE_END = re.compile(r"\n|[.!?](?=\s)")
LIST_MARKER = re.compile(r"(?m)^[ \t]*\d{1,2}[.)](?=\s)")  # "1. " starts a list line

# ----------------------------------------------------------------------------- words


def stem(word: str) -> str:
    """A crude stem, the same for both sides: lower case, no possessive, one suffix off."""
    w = POSSESSIVE.sub("", word.lower().replace("’", "'")).strip("'-")
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ss", "us", "is")):
        return w
    for suffix in ("ions", "ion", "ings", "ing", "edly", "ed", "ers", "er", "es", "s", "ly",
                   "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[:-len(suffix)]
    return w


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


def number(text: str) -> float | None:
    try:
        return float(text.strip("'").replace(",", ""))
    except ValueError:
        return None


def decade(text: str) -> int | None:
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



def form_key(form: str) -> str:
    return " ".join(stem(w) for w in re.split(r"[\s]+", form.lower()))


def mentions(text: str, form_key: str) -> bool:
    stems = [stem(t.text) for t in tokens(text)]
    words = form_key.split()
    return any(stems[i:i + len(words)] == words for i in range(len(stems) - len(words) + 1))


def name_key(text: str) -> tuple[str, ...]:
    return tuple(k for k in (word_key(t.text) for t in tokens(text)) if k)


def runs(toks: Sequence[Token], *, all_runs: bool = False) -> list[list[Token]]:
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
            if POSSESSIVE.search(tok.text) and tok.text[-2:].lower() in ("'s", "’s"):
                close()
        elif current and tok.text.lower() in CONNECTORS and not tok.sentence_start:
            pending.append(tok)
        else:
            close()
    close()
    return runs
