"""The `user_profile` tool: score films by how well they match what the user is known to like.

The profile (see convrec.tools.profiles) is read from the store on every call, so an entry
the person deleted or flipped a moment ago counts the new way in the very next call. What
is cached per process is read-only: the store handle and the catalog's film -> entry-key
index.

A film's score is the sum, over the profile entries it matches, of confidence * polarity
(+1 like, -1 dislike); its evidence names the strongest of those entries and the user's own
ratings or review sentences behind them.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import Field
from rapidfuzz import process

from convrec.tools.base import ScoredItem, ToolArgs, ToolArgumentError, ToolOutput
from convrec.tools.context import ToolContext
from convrec.tools.profiles import (
    LONG_FILM_MINUTES,
    EntryKind,
    ItemKeys,
    ProfileEntry,
    ProfileStore,
    canonical_user,
    catalog_knows_user,
    open_profiles,
)

TOOL = "user_profile"
DEFAULT_K = 10
EVIDENCE_PER_ITEM = 3
NOTES_MAX_ENTRIES = 20
# With no candidates, films are drawn from those the profile matches; these bound the pool
# to films people know, so a film matching many genres but seen by nobody does not win.
MIN_POOL_RATINGS = 5
MIN_POOL_VOTES = 50


class ProfileArgs(ToolArgs):
    """Score films against the current user's profile (their own ratings or reviews)."""

    k: int | None = Field(
        default=None, ge=1, le=200,
        description="How many films to return. Default: every candidate when candidates are "
        f"given, else the {DEFAULT_K} best-matching films the user has not rated or reviewed.",
    )
    kinds: list[EntryKind] | None = Field(
        default=None,
        description="Which profile entries to use: genre, person, keyword, era, runtime. "
        "Default: all.",
    )


def _store(ctx: ToolContext) -> ProfileStore:
    return ctx.resources.get("profiles.store", lambda: open_profiles(ctx.catalog, ctx.index_dir))


def _item_keys(ctx: ToolContext) -> ItemKeys:
    return ctx.resources.get("profiles.item_keys", lambda: ItemKeys.load(ctx.catalog))


def _entries(ctx: ToolContext) -> tuple[str | None, list[ProfileEntry], str | None]:
    """(canonical user id, effective entries, a note when the profile is empty)."""
    if ctx.user_id is None:
        return None, [], "no user is signed in, so there is no profile: scores are neutral"
    uid = canonical_user(ctx.user_id)  # malformed ids raise ToolArgumentError
    store = _store(ctx)
    if store.user_info(uid) is None:
        if not catalog_knows_user(ctx.catalog, uid):
            suggestions: dict[str, list[str]] = {}
            if uid.startswith("critic:"):
                names = store.users("critic")
                suggestions["user_id"] = [m[0] for m in process.extract(uid, names, limit=3)]
            raise ToolArgumentError(f"unknown user {uid}: no ratings, tags or reviews",
                                    suggestions)
        return uid, [], f"{uid} has too little history for a profile: scores are neutral"
    entries = store.list_entries(uid, scope=ctx.edit_scope)
    if not entries:
        return uid, [], f"{uid} shows no clear likes or dislikes yet: scores are neutral"
    return uid, entries, None


def load_profiles(ctx: ToolContext) -> ProfileStore:
    """Open the profile store and the film -> entry-key index (what a server does at start-up)."""
    _item_keys(ctx)
    return _store(ctx)


def profile_entries(ctx: ToolContext) -> tuple[list[ProfileEntry], str | None]:
    """The current user's entries (edits applied) and, when there are none, why not."""
    _, entries, note = _entries(ctx)
    return entries, note


def told_dislikes(ctx: ToolContext, item_ids: Collection[int]) -> set[int]:
    """The films among `item_ids` that match an entry the person flipped to "dislike".

    An edit is the person saying so outright, which outranks any inference from their
    history: the pipeline moves these films below every other candidate.
    """
    if ctx.user_id is None:
        return set()
    told = {e.key for e in _entries(ctx)[1] if e.flipped and e.polarity == "dislike"}
    if not told:
        return set()
    by_item = _item_keys(ctx).by_item
    return {i for i in item_ids if by_item.get(i, frozenset()) & told}


def profile_summary(ctx: ToolContext) -> list[ProfileEntry]:
    """The current user's profile entries (edits applied), most confident first, for the UI."""
    return _entries(ctx)[1]


def user_profile(
    args: ProfileArgs, ctx: ToolContext, *, candidates: Collection[int] | None = None,
) -> ToolOutput:
    """Score `candidates` (or, without candidates, find films) by the user's profile."""
    uid, entries, note = _entries(ctx)
    kinds = set(args.kinds or ())
    if kinds:
        entries = [e for e in entries if e.kind in kinds]
        if not entries and note is None:
            note = f"the profile has no {'/'.join(sorted(kinds))} entries: scores are neutral"
    notes = [note] if note else []
    who = uid or "anonymous"
    if candidates is not None:
        return _score_candidates(ctx, args, list(candidates), entries, notes, who)
    if not entries:
        return ToolOutput(tool=TOOL, trace=f"profile: {who}, no entries", notes=notes)
    notes += [describe_entry(e) for e in entries[:NOTES_MAX_ENTRIES]]
    if len(entries) > NOTES_MAX_ENTRIES:
        notes.append(f"... and {len(entries) - NOTES_MAX_ENTRIES} weaker entries")
    return _discover(ctx, args, entries, notes, who)


def _score_candidates(
    ctx: ToolContext, args: ProfileArgs, candidates: list[int], entries: list[ProfileEntry],
    notes: list[str], who: str,
) -> ToolOutput:
    ids = list(dict.fromkeys(int(i) for i in candidates))
    known = ctx.catalog.exists(ids)
    if len(known) < len(ids):
        notes.append(f"{len(ids) - len(known)} candidate ids are not catalog items: left out")
    ids = [i for i in ids if i in known]
    keys = _item_keys(ctx)
    scored = []
    for item_id in ids:
        have = keys.by_item.get(item_id, frozenset())
        matched = [e for e in entries if e.key in have]
        scored.append(ScoredItem(
            item_id=item_id,
            score=round(sum(e.weight for e in matched), 4),
            evidence=_evidence(matched, item_id),
        ))
    scored.sort(key=lambda s: -s.score)  # stable: ties keep the candidates' order
    if args.k is not None:
        scored = scored[:args.k]
    matched_n = sum(1 for s in scored if s.evidence)
    return ToolOutput(
        tool=TOOL, items=scored, notes=notes,
        trace=f"profile: {who}, {len(entries)} entries, scored {len(ids)} candidates, "
              f"{matched_n} match",
    )


def _discover(
    ctx: ToolContext, args: ProfileArgs, entries: list[ProfileEntry], notes: list[str], who: str,
) -> ToolOutput:
    keys = _item_keys(ctx)
    scores: dict[int, float] = {}
    for entry in entries:
        for item_id in keys.by_key.get(entry.key, ()):
            scores[item_id] = scores.get(item_id, 0.0) + entry.weight
    seen = seen_items(ctx, who)
    pool = [i for i, s in scores.items() if s > 0 and i not in seen]
    popularity = _popularity(ctx, pool)
    pool = [i for i in pool if i in popularity]
    pool.sort(key=lambda i: (-scores[i], -popularity[i][0], -popularity[i][1], i))
    top = pool[:args.k or DEFAULT_K]
    items = []
    for item_id in top:
        have = keys.by_item.get(item_id, frozenset())
        matched = [e for e in entries if e.key in have]
        items.append(ScoredItem(item_id=item_id, score=round(scores[item_id], 4),
                                evidence=_evidence(matched, item_id)))
    return ToolOutput(
        tool=TOOL, items=items, notes=notes,
        trace=f"profile: {who}, {len(entries)} entries, {len(scores):,} films match, "
              f"{len(pool):,} unseen and known, top {len(items)}",
    )


def seen_items(ctx: ToolContext, uid: str) -> set[int]:
    """Films a dataset user has rated (MovieLens) or reviewed (critic); uid is a valid user ref."""
    kind, _, key = uid.partition(":")
    if kind == "ml":
        rows = ctx.catalog.query("SELECT item_id FROM ratings WHERE user_id = ?", [int(key)])
    else:
        rows = ctx.catalog.query(
            "SELECT item_id FROM reviews WHERE critic = ? AND item_id IS NOT NULL", [key])
    return {r[0] for r in rows}


def _popularity(ctx: ToolContext, ids: list[int]) -> dict[int, tuple[int, int]]:
    """(MovieLens ratings, TMDB votes) of the films in `ids` that pass the pool bounds."""
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in ctx.catalog.query(
            f"SELECT item_id, rating_count, vote_count FROM items WHERE item_id IN "
            f"({','.join('?' * len(chunk))}) AND (rating_count >= ? OR vote_count >= ?)",
            [*chunk, MIN_POOL_RATINGS, MIN_POOL_VOTES],
        ):
            found[row[0]] = (row[1] or 0, row[2] or 0)
    return found


# ----------------------------------------------------------------------------- phrasing


def _subject(entry: ProfileEntry) -> str:
    if entry.kind == "runtime":
        return f"films over {LONG_FILM_MINUTES} minutes"
    if entry.kind == "keyword":
        return f"films tagged '{entry.value}'"
    return f"{entry.value} films"


def _amount(entry: ProfileEntry, value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value * 100:.0f}%" if entry.scale == "score" else f"{value:.1f}"


def _short_title(label: str) -> str:
    """'12 Angry Men (1957)' -> '12 Angry Men'."""
    head, sep, tail = label.rpartition(" (")
    return head if sep and tail.rstrip(")").isdigit() else label


def describe_entry(entry: ProfileEntry) -> str:
    """One line about an entry, e.g. "you rate Sidney Lumet films 4.6 on average, above your
    3.5 (12 Angry Men, Network)"."""
    verb = "score" if entry.scale == "score" else "rate"
    side = "above" if (entry.mean or 0) >= (entry.baseline or 0) else "below"
    titles = [_short_title(p.label) for p in entry.provenance if p.label][:2]
    films = f" ({', '.join(titles)})" if titles else ""
    line = (f"you {verb} {_subject(entry)} {_amount(entry, entry.mean)} on average, {side} your "
            f"{_amount(entry, entry.baseline)}{films}")
    if entry.fresh_count is not None:
        line += f"; {entry.fresh_count} of {entry.support} fresh"
    edited = ", flipped by you" if entry.flipped else ""
    return f"{line} [{entry.polarity} {entry.kind}, confidence {entry.confidence:.2f}{edited}]"


def _quote(entry: ProfileEntry, item_id: int) -> str | None:
    """'you called a similar film "a taut heist thriller"' from the entry's provenance."""
    for p in entry.provenance:
        if p.tag and p.label:
            return f"you tagged {_short_title(p.label)} '{p.tag}'"
        if p.sentence and p.mentions:
            if p.item_id == item_id:
                return f'you called this film "{p.sentence}"'
            film = f"a similar film, {_short_title(p.label)}," if p.label else "a similar film"
            return f'you called {film} "{p.sentence}"'
    return None


def _evidence(matched: list[ProfileEntry], item_id: int) -> list[str]:
    facts = []
    for entry in sorted(matched, key=lambda e: -e.confidence)[:EVIDENCE_PER_ITEM]:
        line = describe_entry(entry).split(" [", 1)[0]
        if entry.flipped:
            line = f"you told us you {entry.polarity} {_subject(entry)}"
        else:
            quote = _quote(entry, item_id)
            if quote:
                line += f"; {quote}"
        facts.append(line)
    return facts
