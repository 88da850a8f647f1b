"""The paraphrase suite: short scripted conversations and the ledger each should leave.

Each line of the suite file is {"id", "class", "split", "turns": [...], "expect": {...}}.
The turns go through the extractor and the ledger's folding from an empty ledger (turns
1, 2, ...); the final ledger and the last extraction are compared with `expect` as a set
of (slot, value) pairs:

* hard slots (genres, genre_mode, not_genres, people, not_people, year_from, year_to,
  runtime_min, runtime_max, min_rating, languages, not_keywords, and keyword / studio
  slots, which `expect` cannot name) are always checked: a slot absent from `expect` must
  be empty, so every value the ledger holds there is a false positive;
* films (liked, disliked, seen: catalog "Title (Year)"), always checked likewise;
* soft_likes / soft_dislikes (kind and value, or kind and low / high), only when present:
  then every soft item of that polarity not expected is a false positive;
* themes (groups of stems; a group is found when one of its stems is a case-insensitive
  substring of a wish or a soft value), no_wish_words (each one found in a wish is a false
  positive), act, injection and confirm (a value found among the extraction's `pending`
  confirmations), only when present.
A case is exact when it has no false positive and no miss.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convrec.agent.ledger import Ledger
from convrec.catalog.normalize import person_key, vocab_key
from convrec.errors import ConvrecError
from convrec.eval.extraction.slots import Soft, hard_of, ledger_soft, soft_of

Pair = tuple[str, str]
TitleResolver = Callable[[str], int | None]
SCALARS = ("year_from", "year_to", "runtime_min", "runtime_max", "min_rating")
FILM_SLOTS = ("liked", "disliked", "seen")


@dataclass(frozen=True)
class Case:
    id: str
    cls: str
    split: str
    turns: tuple[str, ...]
    expect: dict[str, Any]


def load_suite(path: Path) -> list[Case]:
    """The suite's cases in file order; a malformed line is a one-line error."""
    if not path.is_file():
        raise ConvrecError(f"no paraphrase suite at {path}")
    cases: list[Case] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            turns = tuple(t if isinstance(t, str) else t["text"] for t in row["turns"])
            cases.append(Case(str(row["id"]), str(row["class"]), str(row["split"]), turns,
                              dict(row["expect"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConvrecError(f"{path}:{n}: not a suite case ({exc})") from exc
    return cases


@dataclass
class Comparison:
    """The pairs of one case: found (expected and predicted), missed and unexpected."""

    found: list[Pair] = field(default_factory=list)
    missed: list[Pair] = field(default_factory=list)
    unexpected: list[Pair] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.missed and not self.unexpected

    def match(self, slot: str, expected: list[str], predicted: list[str],
              same: Callable[[str, str], bool] | None = None) -> None:
        """Pair up expected and predicted values of one slot (each used once)."""
        same = same or (lambda a, b: a == b)
        left = list(predicted)
        for value in expected:
            hit = next((p for p in left if same(value, p)), None)
            if hit is None:
                self.missed.append((slot, value))
            else:
                left.remove(hit)
                self.found.append((slot, value))
        self.unexpected += [(slot, p) for p in left]


def _names(values: Any) -> list[str]:
    return [str(v) for v in (values or [])]


def _people_same(a: str, b: str) -> bool:
    return person_key(a) == person_key(b)


def _term_same(a: str, b: str) -> bool:
    return vocab_key(a) == vocab_key(b)


def _number(value: Any) -> str:
    return f"{float(value):g}"


def _soft_label(s: Soft) -> str:
    if s.kind in ("era", "runtime", "rating") and (s.low is not None or s.high is not None):
        low = "" if s.low is None else _number(s.low)
        high = "" if s.high is None else _number(s.high)
        return f"{s.kind}:{low}-{high}"
    return f"{s.kind}:{vocab_key(s.value)}"


def _expected_soft(item: dict[str, Any]) -> str:
    if "value" in item:
        return f"{item['kind']}:{vocab_key(str(item['value']))}"
    low = "" if item.get("low") is None else _number(item["low"])
    high = "" if item.get("high") is None else _number(item["high"])
    return f"{item['kind']}:{low}-{high}"


def compare(ledger: Ledger, extraction: Any, expect: dict[str, Any],
            resolve: TitleResolver) -> Comparison:
    """The case's pairs (module docstring) from the final ledger and last extraction."""
    out = Comparison()
    hard = hard_of(ledger)
    out.match("genres", _names(expect.get("genres")), sorted(hard.genres_include))
    mode = [hard.genre_mode] if "genre_mode" in expect or hard.genre_mode != "any" else []
    out.match("genre_mode", _names([expect["genre_mode"]] if "genre_mode" in expect else []),
              mode)
    out.match("not_genres", _names(expect.get("not_genres")), sorted(hard.genres_exclude))
    out.match("people", _names(expect.get("people")), list(hard.people_include), _people_same)
    out.match("not_people", _names(expect.get("not_people")), list(hard.people_exclude),
              _people_same)
    for slot in SCALARS:
        value = getattr(hard, slot)
        out.match(slot, [_number(expect[slot])] if expect.get(slot) is not None else [],
                  [] if value is None else [_number(value)])
    out.match("languages", _names(expect.get("languages")), sorted(hard.languages), _term_same)
    out.match("not_keywords", _names(expect.get("not_keywords")), sorted(hard.keywords_exclude),
              _term_same)
    out.match("keywords", [], sorted(hard.keywords_include))
    out.match("studios", [], sorted(hard.studios_include))
    out.match("not_studios", [], sorted(hard.studios_exclude))
    for slot in FILM_SLOTS:
        held: dict[int, int] = getattr(ledger, slot)
        wanted = _names(expect.get(slot))
        ids = {title: resolve(title) for title in wanted}
        predicted = [str(i) for i in held]
        out.match(slot, [str(ids[t]) if ids[t] is not None else f"{t} (not in catalog)"
                         for t in wanted], predicted)
    _soft(out, ledger, expect)
    _words(out, ledger, extraction, expect)
    return out


def _soft(out: Comparison, ledger: Ledger, expect: dict[str, Any]) -> None:
    soft = ledger_soft(ledger)
    for key, polarity in (("soft_likes", 1), ("soft_dislikes", -1)):
        if key in expect:
            out.match(key, [_expected_soft(i) for i in expect[key] or []],
                      [_soft_label(s) for s in soft if s.polarity == polarity])


def _words(out: Comparison, ledger: Ledger, extraction: Any, expect: dict[str, Any]) -> None:
    wishes = [w.text.lower() for w in ledger.wishes]
    texts = wishes + [s.value.lower() for s in ledger_soft(ledger)]
    for group in expect.get("themes") or []:
        stems = [str(s).lower() for s in group]
        pair = ("themes", "|".join(stems))
        (out.found if any(s in t for s in stems for t in texts) else out.missed).append(pair)
    for word in expect.get("no_wish_words") or []:
        if any(str(word).lower() in w for w in wishes):
            out.unexpected.append(("no_wish_words", str(word)))
    if "act" in expect:
        out.match("act", [str(expect["act"])], [str(extraction.user_act)])
    if "injection" in expect:
        out.match("injection", [str(bool(expect["injection"]))],
                  [str(bool(extraction.injection))])
    if "confirm" in expect:
        pending = [s.value for s in soft_of(getattr(extraction, "pending", []) or [])]
        out.match("confirm", [str(expect["confirm"])], pending, _term_same)
