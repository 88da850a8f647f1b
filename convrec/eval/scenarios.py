"""Scenario sources for the simulated users, with a fixed, documented dev / test split.

Protocol (every number here is a constant of this module, so a scenario set is reproducible):

* Split. MovieLens raters and critics are split by person, not by rating: the sorted ids are
  shuffled with `SPLIT_SEED` and alternate dev / test, so a person is in one split only. ReDial
  keeps its own split: the test dialogues are `test`, the training dialogues we have are `dev`.
* MovieLens (`movielens`): a rater with at least `MIN_ML_RATINGS` ratings. The target is one
  film they rated at least `ML_TARGET_RATING`, drawn with a per-user seed (from `SPLIT_SEED`)
  among such films that have TMDB metadata (so the user can describe it); the user's other
  films rated >= 4 are what they liked. The target rating is held out (see `holdout.py`).
* Critics (`critics`): a critic with at least `MIN_CRITIC_REVIEWS` reviews of catalog films.
  The target is one film they reviewed favourably (fresh, and a score of at least
  `CRITIC_TARGET_SCORE` when they gave one), drawn like the MovieLens target; their other
  favourable reviews are what they liked. The target review is held out.
* ReDial (`redial`): a dialogue whose recommender suggested films that the seeker said they
  liked (the seeker's answer; the recommender's when the seeker gave none). Those films, where
  the catalog has metadata for them, are the targets (any one is a hit; the simulator describes
  the first). The opening message is what the seeker wrote before the recommender's first
  suggestion, with @ids written as titles; films the seeker mentioned and liked are what they
  liked. ReDial scenarios have no dataset user.
* Sampling. `load_scenarios(source, split, n, seed)` draws n scenarios of the split with `seed`
  (all of them when there are fewer), in a stable order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, get_args

import numpy as np

from convrec.catalog.db import Catalog
from convrec.errors import ConvrecError
from convrec.eval.records import Scenario, Source, Split

if TYPE_CHECKING:
    from convrec.eval.bench_retrieval import Message

SPLIT_SEED = 20_261_123
SOURCES: tuple[str, ...] = get_args(Source)
SPLITS: tuple[str, ...] = get_args(Split)
MIN_ML_RATINGS = 20
ML_TARGET_RATING = 4.5
ML_LIKED_RATING = 4.0
MIN_CRITIC_REVIEWS = 6
CRITIC_TARGET_SCORE = 0.7
MAX_LIKED = 50
MAX_OPENING_CHARS = 400


def parse_spec(spec: str) -> tuple[str, str]:
    """'movielens:test' -> ('movielens', 'test'); a bare source means its test split."""
    source, _, split = spec.partition(":")
    split = split or "test"
    if source not in SOURCES:
        raise ConvrecError(f"unknown scenario source {source!r}: choose from {', '.join(SOURCES)}")
    if split not in SPLITS:
        raise ConvrecError(f"unknown split {split!r}: choose dev or test")
    return source, split


def _person_seed(key: str) -> int:
    digest = hashlib.sha256(f"{SPLIT_SEED}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def split_people(keys: Iterable[str]) -> dict[str, Split]:
    """Each person's split: sorted, shuffled with SPLIT_SEED, then alternating dev / test."""
    ordered = sorted(set(keys))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(ordered))
    splits: tuple[Split, Split] = ("dev", "test")
    return {ordered[j]: splits[rank % 2] for rank, j in enumerate(order)}


def _pick(key: str, candidates: Sequence[int]) -> int:
    """One of `candidates` (sorted first), fixed for this person whatever the run's seed."""
    ordered = sorted(candidates)
    return ordered[int(np.random.default_rng(_person_seed(key)).integers(len(ordered)))]


def _described(catalog: Catalog) -> set[int]:
    """Films with TMDB metadata and genres: a simulated user can describe these."""
    return {r[0] for r in catalog.query(
        "SELECT item_id FROM items WHERE has_tmdb = 1 AND year IS NOT NULL "
        "AND item_id IN (SELECT item_id FROM item_genres)")}


# ----------------------------------------------------------------------------- MovieLens


def movielens_scenarios(catalog: Catalog) -> list[Scenario]:
    rows = catalog.query(
        "SELECT user_id, item_id, MAX(rating) AS rating, MAX(ts) AS ts FROM ratings "
        "GROUP BY user_id, item_id ORDER BY user_id")
    by_user: dict[int, list[tuple[int, float, int]]] = {}
    for r in rows:
        by_user.setdefault(int(r["user_id"]), []).append(
            (int(r["item_id"]), float(r["rating"]), int(r["ts"])))
    described = _described(catalog)
    eligible = {u: films for u, films in by_user.items() if len(films) >= MIN_ML_RATINGS}
    splits = split_people(str(u) for u in eligible)
    out = []
    for user, films in eligible.items():
        top = [i for i, rating, _ in films if rating >= ML_TARGET_RATING and i in described]
        if not top:
            continue
        target = _pick(f"ml:{user}", top)
        liked = [i for i, rating, _ in sorted(films, key=lambda f: (-f[1], -f[2], f[0]))
                 if rating >= ML_LIKED_RATING and i != target][:MAX_LIKED]
        out.append(Scenario(id=f"movielens:{user}:{target}", source="movielens",
                            split=splits[str(user)], user_id=f"ml:{user}", target_ids=[target],
                            liked_ids=liked))
    return out


# ----------------------------------------------------------------------------- critics


def critic_scenarios(catalog: Catalog) -> list[Scenario]:
    rows = catalog.query(
        "SELECT critic, item_id, MAX(fresh) AS fresh, MAX(score) AS score FROM reviews "
        "WHERE critic IS NOT NULL AND item_id IS NOT NULL AND text <> '' "
        "GROUP BY critic, item_id ORDER BY critic")
    by_critic: dict[str, list[tuple[int, bool]]] = {}
    for r in rows:
        favourable = bool(r["fresh"]) and (r["score"] is None or r["score"] >= CRITIC_TARGET_SCORE)
        by_critic.setdefault(str(r["critic"]), []).append((int(r["item_id"]), favourable))
    described = _described(catalog)
    eligible = {c: films for c, films in by_critic.items() if len(films) >= MIN_CRITIC_REVIEWS}
    splits = split_people(eligible)
    out = []
    for critic, films in eligible.items():
        liked_all = [i for i, good in films if good]
        top = [i for i in liked_all if i in described]
        if len(liked_all) < 2 or not top:
            continue
        target = _pick(f"critic:{critic}", top)
        out.append(Scenario(id=f"critics:{critic}:{target}", source="critics",
                            split=splits[critic], user_id=f"critic:{critic}",
                            target_ids=[target],
                            liked_ids=[i for i in liked_all if i != target][:MAX_LIKED]))
    return out


# ----------------------------------------------------------------------------- ReDial


def _answer(seeker: int | None, recommender: int | None) -> int | None:
    """The seeker's answer to a form question, the recommender's when the seeker said nothing
    (2 = did not say)."""
    if seeker in (0, 1):
        return seeker
    return recommender if recommender in (0, 1) else None


def redial_scenarios(catalog: Catalog) -> list[Scenario]:
    # deferred: convrec.eval.bench_retrieval pulls in scipy, pydantic_settings, dotenv
    from convrec.eval.bench_retrieval import load_dialogues

    described = _described(catalog)
    mentions: dict[str, list[dict[str, int | None]]] = {}
    for r in catalog.query(
        "SELECT conversation_id, redial_movie_id, item_id, seeker_suggested, seeker_liked, "
        "recommender_suggested, recommender_liked FROM redial_mentions "
        "ORDER BY conversation_id, redial_movie_id"):
        mentions.setdefault(r["conversation_id"], []).append(dict(r))
    out = []
    splits: tuple[tuple[str, Split], ...] = (("test", "test"), ("train", "dev"))
    for source_split, split in splits:
        for dialogue in load_dialogues(catalog, source_split):
            conv = dialogue.conversation_id
            opening, before = _opening(dialogue.messages)
            if not opening:
                continue
            targets, liked = [], []
            for m in mentions.get(conv, []):
                suggested = _answer(m["seeker_suggested"], m["recommender_suggested"])
                good = _answer(m["seeker_liked"], m["recommender_liked"]) == 1
                item = int(m["item_id"] or 0)
                if not good or item not in described:
                    continue
                if suggested == 1 and m["redial_movie_id"] not in before:
                    targets.append(item)
                elif suggested == 0:
                    liked.append(item)
            targets = list(dict.fromkeys(targets))
            if not targets:
                continue
            out.append(Scenario(id=f"redial:{conv}", source="redial", split=split,
                                target_ids=targets, opening=opening,
                                liked_ids=[i for i in dict.fromkeys(liked) if i not in targets]))
    return out


def _opening(messages: Sequence[Message]) -> tuple[str, set[int]]:
    """The seeker's words before the recommender's first film mention (@ids written as
    titles); and the ReDial ids of the films mentioned before that point."""
    parts: list[str] = []
    before: set[int] = set()
    for message in messages:
        if message.role == "recommender" and message.rids:
            break
        before.update(message.rids)
        if message.role == "seeker":
            parts.append(message.text)
    opening = " ".join(" ".join(parts).split())[:MAX_OPENING_CHARS]
    return opening, before


# ----------------------------------------------------------------------------- loading

LOADERS = {"movielens": movielens_scenarios, "critics": critic_scenarios,
           "redial": redial_scenarios}


@cache
def _all(catalog_path: str, source: str) -> tuple[Scenario, ...]:
    return tuple(LOADERS[source](Catalog(catalog_path)))  # type: ignore[arg-type]


def all_scenarios(catalog: Catalog, source: str) -> list[Scenario]:
    """Every scenario of a source, both splits (cached per catalog file)."""
    if source not in LOADERS:
        raise ConvrecError(f"unknown scenario source {source!r}: choose from {', '.join(SOURCES)}")
    return list(_all(str(catalog.path), source))


def load_scenarios(catalog: Catalog, source: str, split: str, n: int | None = None,
                   seed: int = 0) -> list[Scenario]:
    """n scenarios of one split drawn with `seed` (all when n is None or larger)."""
    source, split = parse_spec(f"{source}:{split}")
    pool = [s for s in all_scenarios(catalog, source) if s.split == split]
    if not pool:
        raise ConvrecError(f"no {source} scenarios in the {split} split of this catalog")
    if n is None or n >= len(pool):
        return pool
    picked = np.random.default_rng(seed).choice(len(pool), size=n, replace=False)
    return [pool[i] for i in sorted(picked.tolist())]


def heldout_pairs(catalog: Catalog) -> dict[str, set[tuple[str, int]]]:
    """The (person, film) pairs every MovieLens and critic scenario holds out, both splits:
    {'ml': {(user_id, item_id)}, 'critic': {(critic, item_id)}}."""
    pairs: dict[str, set[tuple[str, int]]] = {"ml": set(), "critic": set()}
    for source in ("movielens", "critics"):
        for s in all_scenarios(catalog, source):
            assert s.user_id is not None
            kind, _, key = s.user_id.partition(":")
            pairs[kind].update((key, t) for t in s.target_ids)
    return pairs
