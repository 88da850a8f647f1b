"""What callers hand the agent, checked at the door.

The agent's API is reached from the HTTP API, the CLI and scripts, so its arguments can be
anything: a number where a thread id belongs, a film id that is text, a float or too large
for SQLite, a chip key that is a list. Each check here turns a wrong type or value into a
one-line `ConvrecError` before anything is read or written, instead of an exception from
deep inside the graph (or a turn that runs and then fails to report).
"""

from __future__ import annotations

from typing import Any

from convrec.errors import ConvrecError

MAX_ID_CHARS = 256  # thread ids and user ids; the app makes 32-character thread ids


def shown(value: Any, limit: int = 60) -> str:
    """`value` as a short repr for an error line."""
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(value: Any, limit: int) -> str:
    """A user turn: text cut at `limit` characters; lone surrogates (text no encoding can
    store) become U+FFFD, so the turn can be saved with the thread."""
    if not isinstance(value, str):
        raise ConvrecError("a message must be text")
    value = value[:limit]
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _storable(value: str, what: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConvrecError(f"{what} must be valid text (it holds a lone surrogate)") from None
    return value


def thread_id(value: Any) -> str:
    """A thread id: non-empty text of at most MAX_ID_CHARS characters."""
    if not isinstance(value, str):
        raise ConvrecError(f"a thread id must be text, got {shown(value)}")
    _storable(value, "a thread id")
    if not value.strip():
        raise ConvrecError("a thread id must not be empty")
    if len(value) > MAX_ID_CHARS:
        raise ConvrecError(f"a thread id is at most {MAX_ID_CHARS} characters, "
                           f"got {len(value):,}")
    return value


def user_id(value: Any) -> str | None:
    """A user id as text (None: anonymous); what it names is checked by parse_user_ref."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConvrecError(f"a user id must be text (ml:<userId> or critic:<name>), "
                           f"got {shown(value)}")
    if len(value) > MAX_ID_CHARS:
        raise ConvrecError(f"a user id is at most {MAX_ID_CHARS} characters, got {len(value):,}")
    return _storable(value, "a user id")


def item_id(value: Any) -> int:
    """A film id: an integer, or text of ASCII digits; anything else is an error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() \
            and len(value.strip()) <= 20:
        return int(value.strip())
    raise ConvrecError(f"a film id must be a whole number, got {shown(value)}")


def chip_key(value: Any) -> str:
    """The key of a ledger chip (e.g. 'genre:Comedy'): text."""
    if not isinstance(value, str):
        raise ConvrecError(f"a constraint key must be text such as 'genre:Comedy', "
                           f"got {shown(value)}")
    if len(value) > MAX_ID_CHARS:
        raise ConvrecError(f"no constraint {shown(value)} in the ledger")
    return value
