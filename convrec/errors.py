"""Errors a user can act on.

Every failure the user can fix (a missing data folder, a corrupt file, bad
arguments) is raised as a `ConvrecError` whose message is one line saying what
went wrong and how to fix it. The CLI prints that line and exits non-zero;
it never shows a traceback for these.
"""


class ConvrecError(Exception):
    """A failure with a one-line, user-facing explanation."""

    exit_code = 1


class DataSourceError(ConvrecError):
    """A source dataset is missing, unreadable or malformed."""


class DownloadError(ConvrecError):
    """A dataset could not be downloaded or failed its checksum."""


class CatalogError(ConvrecError):
    """The catalog is missing, stale, or was used in a way it forbids."""


class ConfigError(ConvrecError):
    """A setting has an invalid value."""
