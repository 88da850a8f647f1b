"""The movie catalog: built once from the datasets into SQLite, then read-only."""

from convrec.catalog.db import Catalog, connect_read_only
from convrec.catalog.records import Credit, Item, Person, Review

__all__ = ["Catalog", "Credit", "Item", "Person", "Review", "connect_read_only"]
