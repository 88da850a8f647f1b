"""The browser app's accounts: the logins of CONVREC_UI_AUTH, the admins of CONVREC_UI_ADMINS,
and who a request comes from.

A password is checked in constant time (an unknown login costs the same as a wrong
password), so neither a login's existence nor a password's prefix shows in the timing.
Without CONVREC_UI_AUTH there are no logins: every request's login is None and the app
behaves as a single-user app.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from convrec.config import Settings


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class Accounts:
    """The logins and admins of one app; `check` is gradio's auth callable."""

    def __init__(self, settings: Settings) -> None:
        accounts = settings.ui_accounts()
        self._digests = {login: _digest(pw) for login, pw in accounts.items()}
        self.admins = settings.ui_admin_logins()
        self._dummy = _digest("convrec: no such login")

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    @property
    def logins(self) -> list[str]:
        return list(self._digests)

    def check(self, username: str, password: str) -> bool:
        """Whether `password` is `username`'s, in time independent of both."""
        expected = self._digests.get(str(username or ""), self._dummy)
        same = hmac.compare_digest(expected, _digest(str(password or "")))
        return same and str(username or "") in self._digests

    def is_admin(self, login: str | None) -> bool:
        return login is not None and login in self.admins


def login_of(request: Any) -> str | None:
    """The signed-in login of a gradio request (None without auth, or outside a request)."""
    name = getattr(request, "username", None) if request is not None else None
    return str(name) if name else None
