"""Secrets never reach a log: a logging filter that masks every secret of the settings.

The secrets are every `SecretStr` setting (the LLM API key, CONVREC_UI_AUTH, a sessions URL
that carries a password, and whatever SecretStr setting comes next), each login's password
of CONVREC_UI_AUTH on its own, and the password part of any secret URL. `install(settings)`
puts the filter on the root logger's handlers (the CLI's and a job's), so a library that
logs a connection string or a request's headers shows '****' instead. Job folders never
hold secrets in the first place: settings.json has none (`Settings.to_child`), and a job's
process gets only the secrets it needs, in its environment.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from convrec.config import Settings, parse_ui_auth

MASK = "****"
MIN_SECRET = 4  # shorter values would mask ordinary words


def secret_values(settings: Settings) -> list[str]:
    """Every secret string of `settings`, longest first."""
    found: set[str] = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if not isinstance(value, SecretStr):
            continue
        text = value.get_secret_value()
        found.add(text)
        if name == "ui_auth":
            with contextlib.suppress(Exception):  # malformed: refused elsewhere, masked whole
                found.update(parse_ui_auth(text).values())
        for part in text.split(","):
            try:
                password = urlsplit(part.strip()).password
            except ValueError:
                password = None
            if password:
                found.add(password)
    return sorted((s for s in found if len(s) >= MIN_SECRET), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactFilter(logging.Filter):
    """Masks the secrets in a record's message (its arguments merged in) and traceback."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def install(settings: Settings, logger: Any = None) -> RedactFilter:
    """Put the filter on every handler of `logger` (the root logger): handlers see records of
    every logger, their own or propagated."""
    target = logger or logging.getLogger()
    flt = RedactFilter(secret_values(settings))
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactFilter)]:
            handler.removeFilter(old)
        handler.addFilter(flt)
    return flt
