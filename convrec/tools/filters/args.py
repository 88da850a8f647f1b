"""The filter tool's arguments: FilterArgs, PersonRef, decades, and the language names.

FilterArgs is the tool's argument schema and the one source of the constraint fields
(see the package docstring).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from convrec.catalog.normalize import person_key, vocab_key
from convrec.tools.base import ToolArgs

Role = Literal["actor", "director", "any"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# ISO 639-1 codes (and TMDB's 'cn' for Cantonese, 'xx' for no language) with English names.
LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali",
    "bs": "Bosnian", "ca": "Catalan", "cn": "Cantonese", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz",
    "la": "Latin", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "nb": "Norwegian Bokmål",
    "ne": "Nepali", "nl": "Dutch", "no": "Norwegian", "pa": "Punjabi", "pl": "Polish",
    "ps": "Pashto", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "wo": "Wolof", "xx": "No Language",
    "yi": "Yiddish", "zh": "Chinese (Mandarin)", "zu": "Zulu",
}
# Other ways people name a language (lower case) -> codes.
LANGUAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "chinese": ("zh", "cn"), "mandarin": ("zh",), "farsi": ("fa",), "norwegian": ("no", "nb"),
    "bokmal": ("nb",), "flemish": ("nl",), "filipino": ("tl",), "castilian": ("es",),
    "francais": ("fr",), "espanol": ("es",), "deutsch": ("de",), "italiano": ("it",),
    "portugues": ("pt",), "nihongo": ("ja",), "silent": ("xx",), "none": ("xx",),
}



class PersonRef(ToolArgs):
    """A person the films must (or must not) have, as the user named them."""

    name: Name = Field(description="The person's name as the user said it, e.g. 'Adam Sandler'.")
    role: Role = Field(
        "any",
        description="'actor' (in the cast), 'director', or 'any' credit (cast, director, "
        "writer, or a MovieLens tag naming them).",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        """Accept a bare name: 'Adam Sandler' -> {'name': 'Adam Sandler'}."""
        return {"name": data} if isinstance(data, str) else data


def _as_list(value: Any) -> Any:
    """Accept one value where a list is expected (a common slip in LLM tool calls)."""
    return [value] if isinstance(value, str | dict | PersonRef) else value


_DECADE_RE = re.compile(r"^(?:the\s+)?['’]?(\d{2}|\d{4})\s*['’]?s?$")


def parse_decade(value: Any) -> Any:
    """1990, 1995, '1990s', "'90s" or '90s' -> 1990.

    A year inside a decade names that decade. Two-digit decades are 19xx except
    '00s' and '10s' (2000s, 2010s): the catalog's films end in the 2010s.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _DECADE_RE.match(value.strip().lower())
        if not match:
            raise ValueError(f"decade must look like 1990, '1990s' or '90s', got {value!r}")
        value = int(match.group(1))
        if len(match.group(1)) == 2:
            value += 2000 if value in (0, 10) else 1900
    if isinstance(value, int) and 0 <= value < 100:
        value += 2000 if value in (0, 10) else 1900
    if not isinstance(value, int) or not 1870 <= value <= 2100:
        raise ValueError(f"decade must be a year between 1870 and 2100, got {value!r}")
    return value - value % 10


GenreList = Annotated[list[Name], BeforeValidator(_as_list), Field(max_length=30)]
NameList = Annotated[list[Name], BeforeValidator(_as_list), Field(max_length=50)]
PeopleList = Annotated[list[PersonRef], BeforeValidator(_as_list), Field(max_length=30)]


class FilterArgs(ToolArgs):
    """Hard constraints over the catalog. Every constraint given must hold; at least one is needed.

    Films whose attribute is unknown (no runtime, no year, no original language, no
    rating) do not satisfy a constraint on that attribute.
    """

    genres_any: GenreList = Field(
        default_factory=list, description="At least one of these genres, e.g. ['Comedy', 'Drama']."
    )
    genres_all: GenreList = Field(
        default_factory=list, description="Every one of these genres, e.g. ['Comedy', 'Romance']."
    )
    genres_none: GenreList = Field(
        default_factory=list, description="None of these genres, e.g. ['Horror']."
    )
    year_from: int | None = Field(
        None, ge=1870, le=2100, description="Earliest release year, inclusive."
    )
    year_to: int | None = Field(
        None, ge=1870, le=2100, description="Latest release year, inclusive."
    )
    decade: Annotated[
        int | None,
        BeforeValidator(parse_decade),
        WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}),
    ] = Field(
        None,
        description="A decade: 1990 (or '90s', '1990s') means 1990-1999. With year_from/year_to "
        "the range is their overlap.",
    )
    runtime_min: int | None = Field(None, ge=0, le=1000, description="Minimum runtime in minutes.")
    runtime_max: int | None = Field(None, ge=0, le=1000, description="Maximum runtime in minutes.")
    languages: NameList = Field(
        default_factory=list,
        description="Original languages as ISO 639-1 codes ('fr') or names ('French'); any of "
        "them.",
    )
    min_rating: float | None = Field(
        None,
        ge=0,
        le=10,
        description="Minimum rating on a 0-10 scale (TMDB vote average where the film has "
        "TMDB votes, else the MovieLens mean rating x 2).",
    )
    min_votes: int | None = Field(
        None,
        ge=0,
        description="Minimum number of votes (TMDB vote count, else MovieLens rating count).",
    )
    people_include: PeopleList = Field(
        default_factory=list,
        description="People who must be in each film, e.g. [{'name': 'Robin Williams', "
        "'role': 'actor'}]; every one of them.",
    )
    people_exclude: PeopleList = Field(
        default_factory=list,
        description="People who must not be in any film, e.g. [{'name': 'Adam Sandler'}].",
    )
    keywords_any: NameList = Field(
        default_factory=list,
        description="At least one of these TMDB keywords or MovieLens tags, e.g. ['time travel'] "
        "(case-insensitive).",
    )
    studios_any: NameList = Field(
        default_factory=list,
        description="Made by at least one of these studios (TMDB production companies), e.g. "
        "['Pixar'] or ['Studio Ghibli']; a name matches every company it is part of.",
    )
    studios_none: NameList = Field(
        default_factory=list,
        description="Made by none of these studios, e.g. ['Pixar', 'Disney']. Films without "
        "company data (those not in TMDB) cannot be checked and are left out.",
    )
    keywords_none: NameList = Field(
        default_factory=list,
        description="None of these TMDB keywords or MovieLens tags, e.g. ['pixar', 'zombie'].",
    )
    exclude_ids: list[int] = Field(
        default_factory=list,
        description="Catalog ids to leave out (seen, rejected or already shown).",
    )
    limit: int | None = Field(
        None, ge=1, description="Keep at most this many films, most popular first; default all."
    )

    @field_validator("exclude_ids", mode="before")
    @classmethod
    def _one_id(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @model_validator(mode="after")
    def _consistent(self) -> FilterArgs:
        if not self.has_constraints():
            raise ValueError(
                "give at least one constraint (genres, years, decade, runtime, languages, "
                "rating, votes, people, keywords or exclude_ids)"
            )
        start, end = self.year_from, self.year_to
        if start is not None and end is not None and start > end:
            raise ValueError(f"year_from ({start}) is after year_to ({end})")
        low, high = self.year_bounds()
        if low is not None and high is not None and low > high:
            years = range_words(self.year_from, self.year_to)
            raise ValueError(f"decade {self.decade}s and the years {years} do not overlap")
        if (
            self.runtime_min is not None
            and self.runtime_max is not None
            and self.runtime_min > self.runtime_max
        ):
            raise ValueError(
                f"runtime_min ({self.runtime_min}) is above runtime_max ({self.runtime_max})"
            )
        self._check_overlaps()
        return self

    def _check_overlaps(self) -> None:
        def keys(names: Iterable[str]) -> set[str]:
            return {vocab_key(n) for n in names}

        both = keys(self.genres_all) & keys(self.genres_none)
        if both:
            raise ValueError(f"genres_all and genres_none both name {sorted(both)}")
        if self.genres_any and keys(self.genres_any) <= keys(self.genres_none):
            raise ValueError("every genre in genres_any is also in genres_none")
        for out in self.people_exclude:
            for inc in self.people_include:
                same = person_key(out.name) == person_key(inc.name)
                if same and out.role in ("any", inc.role):
                    raise ValueError(
                        f"people_include and people_exclude both name {out.name!r}"
                    )

    def has_constraints(self) -> bool:
        return any(
            value not in (None, [])
            for name, value in self
            if name != "limit"
        )

    def year_bounds(self) -> tuple[int | None, int | None]:
        """The release-year range: year_from/year_to intersected with the decade."""
        low, high = self.year_from, self.year_to
        if self.decade is not None:
            low = self.decade if low is None else max(low, self.decade)
            high = self.decade + 9 if high is None else min(high, self.decade + 9)
        return low, high

def range_words(low: float | None, high: float | None, unit: str = "") -> str:
    if low is not None and high is not None:
        return f"{low}-{high}{unit}" if low != high else f"{low}{unit}"
    return f"from {low}{unit}" if low is not None else f"until {high}{unit}"
