"""HTML for the browser app's panels: recommendation cards, profile entries, health.

Pure functions of plain data, so they are tested without a browser. Every value that
comes from the catalog, a review or the user is escaped (in the chat too: `chat_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

FEEDBACK_NOTES = {
    "like": "Liked: more like it next time.",
    "reject": "Not for you: it won't come back in this chat.",
    "seen": "Seen it: it won't come back in this chat.",
}
TOP_CAST = 3


_MARKDOWN_LINK = str.maketrans({"[": "\\[", "]": "\\]", "`": "\\`"})


def chat_text(text: str) -> str:
    """Agent text (a reply, a trace line) as chat markdown that shows it as written: catalog
    titles and quoted data may carry HTML or markdown links; they are escaped, so they render
    as text and never as tags, images or links. The reply's own **bold** is kept."""
    return escape(text, quote=False).translate(_MARKDOWN_LINK)


def group_heading(cards: Sequence[dict[str, Any]], index: int) -> str:
    """The part of a multi-part plan that card `index` starts ("" when it continues the part
    of the card before it, or on an ordinary turn)."""
    group = str(cards[index].get("group") or "")
    previous = str(cards[index - 1].get("group") or "") if index > 0 else ""
    return group if group != previous else ""


def card_html(card: dict[str, Any], position: int, feedback: str | None = None,
              heading: str = "") -> str:
    """One recommended film: title, year, genres, runtime, director, cast, overview, reason;
    `heading` above it when it starts a part of a multi-part plan."""
    title = escape(str(card.get("title", "")))
    year = card.get("year")
    facts = []
    if card.get("genres"):
        facts.append(escape(", ".join(card["genres"])))
    if card.get("runtime"):
        facts.append(f"{int(card['runtime'])} min")
    people = []
    if card.get("directors"):
        people.append("Directed by " + escape(", ".join(card["directors"][:2])))
    if card.get("cast"):
        people.append("with " + escape(", ".join(card["cast"][:TOP_CAST])))
    overview = escape(card.get("overview") or "")
    reason = escape(card.get("reason") or "")
    state = f' data-feedback="{feedback}"' if feedback else ""
    group = escape(str(card.get("group") or ""))
    parts = [
        f'<div class="rec-card" data-item-id="{int(card["item_id"])}" '
        f'data-year="{int(year) if year else ""}" data-group="{group}"{state}>',
        *([f'<div class="rec-group">{escape(heading)}</div>'] if heading else []),
        f'<div class="rec-title"><span class="rec-pos">{position}.</span> {title}'
        + (f' <span class="rec-year">({int(year)})</span>' if year else "") + "</div>",
    ]
    if facts:
        parts.append(f'<div class="rec-facts">{" · ".join(facts)}</div>')
    if people:
        parts.append(f'<div class="rec-people">{"; ".join(people)}</div>')
    if overview:
        parts.append(f'<p class="rec-overview">{overview}</p>')
    if reason:
        parts.append(f'<p class="rec-reason"><b>Why:</b> {reason}</p>')
    if feedback:
        parts.append(f'<p class="rec-feedback">{escape(FEEDBACK_NOTES[feedback])}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _provenance_line(p: Any, scale: str) -> str:
    label = escape(p.label or "a film not in the catalog")
    if p.tag:
        return f'you tagged <i>{label}</i> "{escape(p.tag)}"'
    if p.sentence:
        verdict = "" if p.fresh is None else (" (fresh)" if p.fresh else " (rotten)")
        return f'your review of <i>{label}</i>{verdict}: "{escape(p.sentence)}"'
    if p.rating is not None:
        amount = f"{p.rating * 100:.0f}%" if scale == "score" else f"{p.rating:g}/5"
        return f"you rated <i>{label}</i> {amount}"
    return f"<i>{label}</i>"


def profile_html(user_id: str | None, entries: Sequence[Any], note: str | None = None,
                 limit: int = 40) -> str:
    """The user's memory: each entry with the ratings or review sentences behind it."""
    if user_id is None:
        return ('<div id="profile-empty">Anonymous: no profile. Pick a dataset user under '
                "<b>Who am I</b> to personalise with their own ratings or reviews.</div>")
    if not entries:
        text = note or f"{user_id} has no profile entries."
        return f'<div id="profile-empty">{escape(text)}</div>'
    rows = [f'<div class="profile-head">{len(entries)} entries for <b>{escape(user_id)}</b>, '
            "strongest first. Flip or delete one below; the next answer respects it.</div>"]
    for entry in list(entries)[:limit]:
        edited = ' <span class="profile-edited">flipped by you</span>' if entry.flipped else ""
        sign = "+" if entry.polarity == "like" else "−"
        provenance = "".join(f"<li>{_provenance_line(p, entry.scale)}</li>"
                             for p in entry.provenance[:3])
        rows.append(
            f'<details class="profile-entry" data-key="{escape(entry.key)}" '
            f'data-polarity="{entry.polarity}">'
            f"<summary>{sign} {entry.polarity} <b>{escape(entry.value)}</b> "
            f'<span class="profile-kind">{escape(entry.kind)}</span> '
            f"· confidence {entry.confidence:.2f}{edited}</summary>"
            f'<ul class="profile-provenance">{provenance}</ul></details>')
    if len(entries) > limit:
        rows.append(f"<div>… and {len(entries) - limit} weaker entries</div>")
    return "\n".join(rows)


def entry_choices(entries: Sequence[Any]) -> list[tuple[str, str]]:
    """(label, key) pairs for the entry picker."""
    return [(f"{e.polarity} {e.kind}: {e.value}" + (" (flipped)" if e.flipped else ""), e.key)
            for e in entries]


def health_html(ok: bool, label: str, detail: str) -> str:
    mark = "●"
    color = "#15803d" if ok else "#b91c1c"
    state = "answering" if ok else "not answering"
    return (f'<div id="health" data-ok="{str(ok).lower()}">'
            f'<span style="color:{color}">{mark}</span> <b>{escape(label)}</b>: '
            f"{state}. <small>{escape(detail)}</small></div>")


def status_html(text: str, level: str = "info") -> str:
    """A one-line message in the page (errors, rate limits, confirmations)."""
    if not text:
        return ""
    return f'<div class="status status-{level}" data-level="{level}">{escape(text)}</div>'
