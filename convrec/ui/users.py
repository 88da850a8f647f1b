"""Who a browser session speaks as: anonymous, or a dataset user (MovieLens rater or critic).

The picker lists the users with the richest profiles of each kind; any other dataset user
can be typed as ml:<userId> or critic:<name>. A choice is checked against the catalog
here, on the server: the page only proposes it.
"""

from __future__ import annotations

from typing import Any

from convrec.errors import ConvrecError
from convrec.tools.profiles import canonical_user, catalog_knows_user

ANONYMOUS = "anonymous"
ANONYMOUS_LABEL = "Anonymous (cold start)"
PER_KIND = 60


def user_choices(store: Any, per_kind: int = PER_KIND) -> list[tuple[str, str]]:
    """(label, value) pairs: anonymous first, then the top raters, then the top critics."""
    choices = [(ANONYMOUS_LABEL, ANONYMOUS)]
    for info in store.top_users("ml", per_kind):
        choices.append((f"{info.user_id} · MovieLens rater, {info.n_evidence} ratings",
                        info.user_id))
    for info in store.top_users("critic", per_kind):
        choices.append((f"{info.user_id} · critic, {info.n_evidence} reviews", info.user_id))
    return choices


def resolve_user(value: str | None, catalog: Any) -> str | None:
    """The canonical user id of a picker value (None: anonymous); one-line errors."""
    text = (value or "").strip()
    if not text or text in (ANONYMOUS, ANONYMOUS_LABEL):
        return None
    text = text.split(" · ", 1)[0].strip()  # a label typed back in
    try:
        uid = canonical_user(text)
    except Exception as exc:  # ToolArgumentError: a malformed id
        raise ConvrecError(str(exc)) from None
    if not catalog_knows_user(catalog, uid):
        raise ConvrecError(f"unknown user {uid}: no ratings, tags or reviews in the catalog")
    return uid
