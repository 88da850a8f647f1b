"""Who may use a thread: the one check every way into a thread goes through.

A thread records the login that opened it (`owner` in its graph state), set from the
caller's authenticated session, never from what a client sends. With logins on (a caller
passes its login), a thread is usable by its owner only; another login's thread, and a
thread opened before logins were on, read exactly like a thread that does not exist, so
thread ids cannot be probed. Without logins (login None) every thread is open, as in a
single-user app.
"""

from __future__ import annotations

from typing import Any

from convrec.errors import ConvrecError

NO_SUCH_CHAT = "no such chat: start a new one"


class NoSuchChat(ConvrecError):
    """The thread is not this login's (or does not exist); one line, the same either way."""

    def __init__(self) -> None:
        super().__init__(NO_SUCH_CHAT)


def may_use(state: dict[str, Any], login: str | None) -> bool:
    """Whether `login` may read or continue the thread whose saved state is `state`.

    A thread with no saved turn is anyone's to start (its first turn makes it theirs)."""
    if login is None or not state:
        return True
    return state.get("owner") == login


def check_thread(state: dict[str, Any], login: str | None, *, existing: bool = False
                 ) -> dict[str, Any]:
    """`state` when `login` may use the thread, else NoSuchChat. `existing`: the caller named
    a thread it says exists (an API client's thread id): with logins on, an id with no saved
    turn is refused the same way, so a client can neither tell a foreign id from an unknown
    one nor choose the id of a chat it starts (the server does)."""
    if not may_use(state, login) or (existing and login is not None and not state):
        raise NoSuchChat()
    return state
