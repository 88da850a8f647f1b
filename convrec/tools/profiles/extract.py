"""Profile extraction: each MovieLens rater's and critic's evidence, the standardised
effects and confidences of the package docstring, and the entries kept."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from convrec.catalog.db import Catalog
from convrec.catalog.normalize import match_fold, norm_name, norm_theme, strip_accents
from convrec.progress import Progress
from convrec.tools.profiles.facts import (
    _NAME_TOKEN_RE,
    _RUNTIME_WORDS,
    _SENTENCE_SPLIT,
    NON_THEMES,
    ItemKeys,
    _CatalogFacts,
    _Evidence,
    _phrase_pattern,
)
from convrec.tools.profiles.model import (
    CAPS,
    CRITIC_SCALE,
    MIN_CONFIDENCE,
    MIN_CRITIC_REVIEWS,
    MIN_EFFECT,
    MIN_SUPPORT,
    ML_SCALE,
    OWN_TAG_MIN_SUPPORT,
    PROVENANCE_PER_ENTRY,
    SPREAD_FLOOR,
    Polarity,
    ProfileEntry,
    Provenance,
    UserInfo,
    confidence,
    key_kind,
)


@dataclass
class UserProfile:
    """An extracted profile, before edits."""

    info: UserInfo
    entries: list[ProfileEntry]


def _review_text_keys(review_id: int, text: str, facts: _CatalogFacts) -> set[str]:
    """Keys a critic's own words give a review: genre words, theme keywords, full names."""
    folded = match_fold(text)
    keys = {f"genre:{g}" for word in facts.genre_words.findall(folded)
            for g in facts.genre_of_word.get(word.lower(), ())}
    keys |= {f"keyword:{t}" for t in facts.review_themes.get(review_id, ())}
    tokens = _NAME_TOKEN_RE.findall(folded)
    capital = [t[0].isupper() for t in tokens]
    for n in (2, 3):
        for i in range(len(tokens) - n + 1):
            if not all(capital[i:i + n]):
                continue
            window = tokens[i:i + n]
            last = window[-1][:-2] if window[-1].endswith("'s") else window[-1]
            pid = facts.people_by_norm.get(norm_name(" ".join([*window[:-1], last])))
            if pid is not None:
                keys.add(f"person:{pid}")
    return keys


def _ml_evidence(catalog: Catalog, facts: _CatalogFacts) -> Iterator[tuple[int, list[_Evidence]]]:
    """(MovieLens user id, one piece of evidence per rated film: the latest rating)."""
    own_tags: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for row in catalog.query("SELECT user_id, item_id, tag FROM tags ORDER BY ts"):
        theme = norm_theme(row[2])
        if theme and theme not in NON_THEMES:
            own_tags[(row[0], row[1])].setdefault(f"keyword:{theme}", row[2].strip())
    users = [r[0] for r in catalog.query(
        "SELECT user_id FROM ratings UNION SELECT user_id FROM tags ORDER BY 1")]
    latest: dict[int, dict[int, float]] = defaultdict(dict)
    for row in catalog.query(
            "SELECT user_id, item_id, rating FROM ratings ORDER BY ts, ml_movie_id"):
        latest[row[0]][row[1]] = row[2]
    for user in users:
        evidence = []
        for item_id, rating in sorted(latest.get(user, {}).items()):
            tags = own_tags.get((user, item_id), {})
            keys = facts.item_keys.profile_keys(item_id) | set(tags)
            evidence.append(_Evidence(value=rating, rating=rating, keys=keys, item_id=item_id,
                                      tags=dict(tags)))
        yield user, evidence


def _critic_evidence(
    catalog: Catalog, facts: _CatalogFacts, critics: Collection[str] | None = None,
) -> Iterator[tuple[str, list[_Evidence]]]:
    """(critic, one piece of evidence per review with text), critics in name order."""
    where = "critic IS NOT NULL AND text <> ''"
    params: list[Any] = []
    if critics is not None:
        where += f" AND critic IN ({','.join('?' * len(critics))})"
        params = list(critics)
    rows = catalog.query(
        f"SELECT review_id, rt_movie_id, item_id, critic, text, score, fresh FROM reviews "
        f"WHERE {where} ORDER BY critic, review_id", params,
    )
    current: str | None = None
    evidence: list[_Evidence] = []
    for row in rows:
        if row["critic"] != current:
            if current is not None:
                yield current, evidence
            current, evidence = row["critic"], []
        fresh = None if row["fresh"] is None else bool(row["fresh"])
        if row["score"] is not None:
            value = float(row["score"])
        elif fresh is not None:
            value = facts.fresh_score if fresh else facts.rotten_score
        else:
            continue
        item_id = row["item_id"]
        if item_id is not None:
            keys = facts.item_keys.profile_keys(item_id)
            people = facts.credited.get(item_id, ())
        else:
            keys = set(facts.rt_keys.get(row["rt_movie_id"], ()))
            people = facts.rt_people.get(row["rt_movie_id"], ())
        keys |= _review_text_keys(row["review_id"], row["text"], facts)
        evidence.append(_Evidence(
            value=value, rating=row["score"], keys=keys, item_id=item_id,
            review_id=row["review_id"], text=row["text"], fresh=fresh, people=people,
        ))
    if current is not None:
        yield current, evidence


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_SPLIT.split(text.strip()) if s]


def _term_pattern(key: str, facts: _CatalogFacts, value: str) -> re.Pattern[str] | None:
    kind, _, rest = key.partition(":")
    if kind == "genre":
        return facts.genre_patterns.get(rest)
    if kind == "keyword":
        return _phrase_pattern([rest])
    if kind == "person":
        return re.compile(rf"(?<!\w){re.escape(strip_accents(value))}(?!\w)", re.I)
    if kind == "era":
        decade = int(rest[:4])
        return re.compile(rf"(?<!\w)(?:{decade}s|'{decade % 100:02d}s|{str(decade)[:3]}\d)\b")
    if kind == "runtime":
        return _RUNTIME_WORDS
    return None


def _mentioning_sentence(
    ev: _Evidence, pattern: re.Pattern[str] | None, person_id: int | None,
) -> tuple[str | None, bool]:
    """The first sentence of the review naming the entry's term, else its first sentence."""
    if not ev.text:
        return None, False
    sentences = _sentences(ev.text)
    surname = None
    if person_id is not None:
        name = next((n for p, n in ev.people if p == person_id), None)
        if name and len(name.split()) > 1 and len(name.split()[-1]) >= 3:
            surname = re.compile(rf"(?<!\w){re.escape(strip_accents(name.split()[-1]))}(?!\w)")
    for sentence in sentences:
        plain = match_fold(sentence)
        if (pattern is not None and pattern.search(plain)) or (
                surname is not None and surname.search(plain)):
            return sentence, True
    return (sentences[0] if sentences else None), False


def _extract_profile(
    user_id: str, evidence: Sequence[_Evidence], facts: _CatalogFacts, scale: tuple[float, float],
) -> UserProfile:
    """The entries one user's evidence supports (see the module docstring for the rules)."""
    n_user = len(evidence)
    kind = user_id.partition(":")[0]
    linked = sum(e.item_id is not None for e in evidence)
    if n_user == 0:
        return UserProfile(UserInfo(user_id, kind, 0, 0, None, None, 0), [])
    values = [e.value for e in evidence]
    mu = statistics.fmean(values)
    spread = max(statistics.pstdev(values), SPREAD_FLOOR * (scale[1] - scale[0]))
    groups: dict[str, list[int]] = defaultdict(list)
    own_tagged: set[str] = set()
    for i, ev in enumerate(evidence):
        for key in ev.keys:
            groups[key].append(i)
        own_tagged.update(ev.tags)
    candidates: list[tuple[float, str, float, list[int]]] = []
    min_support = {k[0]: n for k, n in MIN_SUPPORT.items()}  # the kinds' initials differ
    for key, idx in groups.items():
        n = len(idx)
        if n < min_support[key[0]] and not (n >= OWN_TAG_MIN_SUPPORT and key in own_tagged):
            continue
        effect = sum(values[i] - mu for i in idx) / n / spread
        if abs(effect) < MIN_EFFECT:
            continue
        conf = confidence(effect, n, n_user)
        if conf < MIN_CONFIDENCE:
            continue
        candidates.append((conf, key, effect, idx))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    taken: dict[tuple[str, str], int] = defaultdict(int)
    entries: list[ProfileEntry] = []
    is_critic = kind == "critic"
    for conf, key, effect, idx in candidates:
        polarity: Polarity = "like" if effect > 0 else "dislike"
        slot = (key_kind(key), polarity)
        if taken[slot] >= CAPS[slot]:
            continue
        taken[slot] += 1
        entries.append(_make_entry(user_id, key, conf, idx, evidence, facts, mu, polarity,
                                   is_critic))
    info = UserInfo(user_id, kind, n_user, linked, round(mu, 4), round(spread, 4), len(entries))
    return UserProfile(info, entries)


def _make_entry(
    user_id: str, key: str, conf: float, idx: list[int],
    evidence: Sequence[_Evidence], facts: _CatalogFacts, mu: float, polarity: Polarity,
    is_critic: bool,
) -> ProfileEntry:
    kind = key_kind(key)
    rest = key.partition(":")[2]
    person_id = int(rest) if kind == "person" else None
    value = facts.names.get(person_id, rest) if person_id is not None else rest
    direction = -1 if polarity == "like" else 1
    pattern = _term_pattern(key, facts, value) if is_critic else None
    scored = []
    for i in idx:
        ev = evidence[i]
        if direction * (ev.value - mu) > -1e-9:
            continue  # only films / reviews on the entry's side of the user's mean support it
        sentence, mentions = (
            _mentioning_sentence(ev, pattern, person_id) if is_critic else (None, False))
        pop = facts.popularity.get(ev.item_id, (0, 0)) if ev.item_id is not None else (0, 0)
        rank = (key not in ev.tags, not mentions, ev.item_id is None, direction * ev.value,
                -pop[0], -pop[1], ev.item_id or 0, ev.review_id or 0)
        scored.append((rank, ev, sentence, mentions))
    scored.sort(key=lambda s: s[0])
    provenance = tuple(
        Provenance(
            item_id=ev.item_id,
            label=facts.labels.get(ev.item_id) if ev.item_id is not None else None,
            rating=ev.rating, review_id=ev.review_id, sentence=sentence, mentions=mentions,
            fresh=ev.fresh, tag=ev.tags.get(key),
        )
        for _, ev, sentence, mentions in scored[:PROVENANCE_PER_ENTRY]
    )
    values = [evidence[i].value for i in idx]
    return ProfileEntry(
        user_id=user_id, key=key, kind=kind, value=value, person_id=person_id,
        polarity=polarity, confidence=round(conf, 4), support=len(idx),
        mean=round(statistics.fmean(values), 4), baseline=round(mu, 4),
        fresh_count=sum(bool(evidence[i].fresh) for i in idx) if is_critic else None,
        scale="score" if is_critic else "rating", provenance=provenance,
    )


def extract_all(
    catalog: Catalog, *, progress: Progress | None = None, item_keys: ItemKeys | None = None,
) -> Iterator[UserProfile]:
    """Profiles of every MovieLens rater and every critic with >= MIN_CRITIC_REVIEWS reviews."""
    facts = _CatalogFacts.load(catalog, item_keys)
    raters = list(_ml_evidence(catalog, facts))
    for done, (user, evidence) in enumerate(raters, 1):
        yield _extract_profile(f"ml:{user}", evidence, facts, ML_SCALE)
        if progress and (done % 50 == 0 or done == len(raters)):
            progress("MovieLens raters", done, len(raters))
    critics = [r[0] for r in catalog.query(
        "SELECT critic FROM reviews WHERE critic IS NOT NULL AND text <> '' "
        "GROUP BY critic HAVING count(*) >= ? ORDER BY critic", [MIN_CRITIC_REVIEWS])]
    done = 0
    for critic, evidence in _critic_evidence(catalog, facts):
        if len(evidence) < MIN_CRITIC_REVIEWS:
            continue
        yield _extract_profile(f"critic:{critic}", evidence, facts, CRITIC_SCALE)
        done += 1
        if progress and (done % 100 == 0 or done == len(critics)):
            progress("critics", done, len(critics))
