"""The movie catalog: built once from the datasets into SQLite, then read-only.

Downloading and checking the datasets (`download.py`), linking their ids across sources
(`linking*.py`), building the one SQLite file (`builder.py`), reading it (`db.py`,
`records.py`), and the text keys and genre words every layer above matches with
(`normalize.py`, `genre_words.py`). The lowest layer: it imports only `config`, `errors`
and `filecheck`.
"""

from convrec.catalog.db import Catalog, connect_read_only
from convrec.catalog.records import Credit, Item, Person, Review

__all__ = ["Catalog", "Credit", "Item", "Person", "Review", "connect_read_only"]
