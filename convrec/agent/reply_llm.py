"""The model-written parts of a recommendation reply, and the checks that gate them.

Nothing a model writes is shown unless the turn grounds it (convrec.agent.claims):

- The embedded model (it can score options) does not write the intro freely: `chosen_intro`
  fills the templates of prompts/intro_candidates.json with the turn's facts only (the
  asked genres and era, keywords, language, people, studio, the latest wish, the films the
  user liked), drops any candidate the claim checker objects to, and lets the model pick
  the most likely one under the intro prompt (prompts/intro_system.txt and its shots). The
  sentence is streamed only once chosen.
- A model that cannot score (an API model that is not flagged capable) generates the
  sentence (`free_intro`), streamed as it comes; when it fails the old checks or the claim
  checker, a `reset` takes it back and the template header is used.
- A capable API model writes the whole reply (`llm_full_reply`): it must name every card,
  no other film, and make no claim the checker finds unsupported; otherwise it is dropped
  (logged with why) and the intro path runs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from convrec.agent.claims import CardFacts, Grounds, check_claims
from convrec.agent.ledger import Ledger
from convrec.agent.reply_names import named_films, names_people
from convrec.catalog.normalize import title_key
from convrec.catalog.records import title_year
from convrec.llm.types import Llm
from convrec.prompts import load_prompt, load_prompt_data, render_prompt
from convrec.tools.context import ToolContext
from convrec.tools.filters import get_vocab

log = logging.getLogger(__name__)

INTRO_TOKENS = 40
MAX_INTRO_CHARS = 160
MAX_WISH_WORDS = 6
_FORBIDDEN_IN_INTRO = re.compile(r"[\"“”*#\[\]<>]|https?:|\bsorry\b|\bI can't\b", re.I)
# What a model-written reply may not carry outside the verified titles: markup (HTML tags,
# markdown links and images, code), links, and user references (identity is the session's).
_MARKUP_IN_REPLY = re.compile(
    r"<\s*/?\s*[a-z!?]|\]\s*\(|!\[|`|\b(?:https?|javascript|data|file):|\bwww\.|&#?\w+;"
    r"|\b(?:ml|rt|critic|user):\s*\w", re.I)


class TokenSink(Protocol):
    """Where streamed reply text goes (the graph's stream writer)."""

    def token(self, text: str) -> None: ...

    def reset(self) -> None:
        """Forget what was streamed: the final reply replaces it."""


@dataclass
class Written:
    """What a model wrote that is shown, and how long choosing or writing it took."""

    text: str
    ms: float
    how: str  # chosen | generated | full


# ----------------------------------------------------------------------------- prompts


def intro_messages(want: str) -> list[dict[str, str]]:
    """The chat whose reply is the intro sentence: the rules, a few examples
    (prompts/intro_shots.json) and what the user wants, as chips."""
    messages = [{"role": "system", "content": load_prompt("intro_system")}]
    for shot in load_prompt_data("intro_shots"):
        messages += [{"role": "user", "content": render_prompt("intro_user", want=shot["want"])},
                     {"role": "assistant", "content": shot["intro"]}]
    messages.append({"role": "user", "content": render_prompt("intro_user", want=want)})
    return messages


def full_reply_messages(wants: str, facts: str) -> list[dict[str, str]]:
    """The chat whose reply is a whole recommendation, from the films' `facts` (one line each)."""
    return [{"role": "system", "content": load_prompt("reply_system")},
            {"role": "user", "content": render_prompt("reply_user", wants=wants, facts=facts)}]


def intro_want(ledger: Ledger) -> str:
    return ", ".join(ledger.describe()[:6]) or "anything good"


# ----------------------------------------------------------------------------- checks


def grounded(text: str, cards: Sequence[CardFacts], ctx: ToolContext, *, must_name: bool,
             also: Sequence[str] = ()) -> bool:
    """True when the text names no film beyond `cards`, the films their reasons cite and the
    titles `also` allows (and, if must_name, every card)."""
    allowed = {title_key(c.title) for c in cards} | named_films(" ".join(also), ctx)
    allowed |= named_films(" ".join(c.reason for c in cards), ctx)
    allowed_words = {w for key in allowed for w in key.split()}
    named = named_films(text, ctx)
    stray = {k for k in named if k not in allowed and not set(k.split()) <= allowed_words}
    if stray:
        log.info("reply names films that were not verified: %s", sorted(stray)[:5])
        return False
    if must_name:
        low = text.casefold()
        return all(c.title.casefold() in low for c in cards)
    return True


def carries_markup(text: str, cards: Sequence[CardFacts]) -> bool:
    """True when `text`, the verified titles taken out, carries markup, a link or a user
    reference: what a model copies from data it read, never what a reply needs."""
    rest = text
    for title in sorted({c.title for c in cards}, key=len, reverse=True):
        rest = rest.replace(title, " ")
    return _MARKUP_IN_REPLY.search(rest) is not None


def liked_labels(ledger: Ledger, ctx: ToolContext) -> list[str]:
    """The films the user liked, newest first, as 'Title (year)'."""
    ids = sorted(ledger.liked, key=lambda i: -ledger.liked[i])
    facts = {i.item_id: i for i in ctx.catalog.items(ids)}
    return [facts[i].label for i in ids if i in facts]


def turn_grounds(ledger: Ledger, cards: Sequence[CardFacts], message: str, ctx: ToolContext
                 ) -> Grounds:
    """What this turn can ground: the ledger, liked films, the message and the cards."""
    return Grounds.build(ledger=ledger, cards=cards, message=message,
                         liked_titles=liked_labels(ledger, ctx),
                         genres=list(get_vocab(ctx).genre_ids))


def passes_old_checks(intro: str, ctx: ToolContext) -> bool:
    """The checks a free intro had before the claim checker: length, no quotes or markup,
    no catalog person, no catalog film."""
    return not (len(intro.split()) < 3 or len(intro) > MAX_INTRO_CHARS
                or _FORBIDDEN_IN_INTRO.search(intro) or names_people(intro, ctx)
                or not grounded(intro, [], ctx, must_name=False))


# ----------------------------------------------------------------------------- the intro


def intro_candidates(ledger: Ledger, liked: Sequence[str]) -> list[str]:
    """Intro sentences from prompts/intro_candidates.json, filled with the ledger's facts only."""
    genres = sorted(ledger.genres_include)
    pre_parts = []
    era = _era_words(ledger)
    if era[0]:
        pre_parts.append(era[0])
    if genres:
        names = [g if g in ("TV Movie", "Film-Noir") else g.lower() for g in genres]
        pre_parts.append((" or " if ledger.genre_mode == "any" else " ").join(names))
    if ledger.keywords_include:
        pre_parts.append(" or ".join(sorted(ledger.keywords_include)))
    post_parts = [era[1]] if era[1] else []
    chips = {c.key.partition(":")[0]: c.label for c in ledger.chips()}
    post_parts += [chips[k] for k in ("languages", "runtime", "studios") if k in chips]
    people = [p.name for p in ledger.people_include.values()][:2]
    if people:
        post_parts.append("with " + " and ".join(people))
    wish = ledger.wishes[-1].text if ledger.wishes else ""
    pre = "".join(f"{p} " for p in pre_parts)
    post = "".join(f" {p}" for p in post_parts)
    full = post + (f" about {wish}" if wish and len(wish.split()) <= MAX_WISH_WORDS else "")
    templates = load_prompt_data("intro_candidates")
    fills = [(t, full) for t in templates["described"]]
    if full != post:  # the wish is the user's words as the ledger holds them: also without
        fills.append((templates["described"][0], post))
    if liked:
        fills += [(t, full) for t in templates["liked"]]
    out = [" ".join(t.format(pre=pre, post=p, liked=" and ".join(liked[:2])).split())
           for t, p in fills]
    return list(dict.fromkeys(out))


def _era_words(ledger: Ledger) -> tuple[str, str]:
    """The era as a word before 'films' ('1990s') or a phrase after it ('from 1980 on')."""
    low = int(ledger.year_from.value) if ledger.year_from else None
    high = int(ledger.year_to.value) if ledger.year_to else None
    if low is not None and high is not None:
        if low == high:
            return str(low), ""
        if low % 10 == 0 and high == low + 9:
            return f"{low}s", ""
        return "", f"from {low} to {high}"
    if low is not None:
        return "", f"from {low} on"
    if high is not None:
        return "", f"up to {high}"
    return "", ""


def chosen_intro(cards: Sequence[CardFacts], ledger: Ledger, grounds: Grounds, llm: Llm,
                 ctx: ToolContext) -> Written | None:
    """The most likely grounded candidate under the intro prompt (None if none is left)."""
    started = time.perf_counter()
    liked = liked_labels(ledger, ctx)
    options = [c for c in intro_candidates(ledger, liked)
               if check_claims(c, grounds).ok and len(c) <= MAX_INTRO_CHARS
               and not _FORBIDDEN_IN_INTRO.search(c)
               and grounded(c, cards, ctx, must_name=False, also=liked)]
    if not options:
        return None
    try:
        scores = llm.score_options(intro_messages(intro_want(ledger)), options)
    except Exception as exc:
        log.warning("scoring the intro candidates failed: %s", exc)
        return None
    best = max(range(len(options)), key=lambda i: scores[i])
    return Written(options[best], (time.perf_counter() - started) * 1000, "chosen")


def generate_intro(ledger: Ledger, llm: Llm, out: TokenSink | None = None) -> str:
    """The model's own intro sentence, streamed into `out` as it comes (raises on failure)."""
    pieces: list[str] = []
    for delta in llm.stream(intro_messages(intro_want(ledger)), max_tokens=INTRO_TOKENS,
                            stop=["\n"]):
        pieces.append(delta)
        if out is not None:
            out.token(delta)
        if re.search(r"[.!?:]\s*$", "".join(pieces)) and len("".join(pieces)) > 30:
            break
    return " ".join("".join(pieces).split())


def free_intro(ledger: Ledger, grounds: Grounds, llm: Llm, out: TokenSink, ctx: ToolContext
               ) -> Written | None:
    """A generated intro, kept only when it passes the old checks and has no unsupported
    claim; otherwise what was streamed is reset and None returned."""
    started = time.perf_counter()
    try:
        intro = generate_intro(ledger, llm, out)
    except Exception as exc:
        log.warning("intro generation failed: %s", exc)
        out.reset()
        return None
    check = check_claims(intro, grounds)
    if not passes_old_checks(intro, ctx) or not check.ok:
        log.info("generated intro dropped (%s): %r", check.describe(), intro)
        out.reset()
        return None
    return Written(intro, (time.perf_counter() - started) * 1000, "generated")


def llm_intro(cards: Sequence[CardFacts], ledger: Ledger, grounds: Grounds, llm: Llm,
              out: TokenSink, ctx: ToolContext, prefix: str) -> Written | None:
    """The intro sentence, streamed after `prefix`: chosen by likelihood where the model can
    score, else generated and checked. None: nothing of it is left on the stream."""
    if getattr(llm, "supports_scoring", False):
        written = chosen_intro(cards, ledger, grounds, llm, ctx)
        if written is not None:
            out.token(f"{prefix} {written.text}" if prefix else written.text)
        return written
    if prefix:
        out.token(prefix + " ")
    written = free_intro(ledger, grounds, llm, out, ctx)
    return written


# ----------------------------------------------------------------------------- full reply


def llm_full_reply(cards: Sequence[CardFacts], ledger: Ledger, grounds: Grounds, llm: Llm,
                   ctx: ToolContext) -> Written | None:
    """A whole reply by a capable model, or None when it fails, misnames films or makes a
    claim the turn does not ground (logged)."""
    started = time.perf_counter()
    facts = "\n".join(f"- {title_year(c.title, c.year)}: {c.reason}"
                      for c in cards)
    messages = full_reply_messages(", ".join(ledger.describe()) or "a good film", facts)
    try:
        text = llm.complete(messages, max_tokens=80 + 60 * len(cards)).strip()
    except Exception as exc:
        log.warning("reply generation failed: %s", exc)
        return None
    if not text:
        return None
    if not grounded(text, cards, ctx, must_name=True):
        log.info("full reply dropped: it does not name exactly the verified films")
        return None
    if carries_markup(text, cards):
        log.info("full reply dropped: it carries markup, a link or a user reference")
        return None
    check = check_claims(text, grounds)
    if not check.ok:
        log.info("full reply dropped: unsupported claims: %s", check.describe())
        return None
    return Written(text, (time.perf_counter() - started) * 1000, "full")
