"""Recompute the derived link files of shared/data from the raw source tables.

shared/data ships two derived files that upstream downloads lack:

* ``redial/redial_movie_links.csv`` (tools/link_redial_movies.py): every ReDial
  movie linked to MovieLens ml-latest-small and TMDB-5000 by normalised title,
  in tiers ``title+year``, ``title+year_pm1`` and ``title_only_unique``.
* ``reviews/rotten_tomatoes_flatiron/rt_movie_links.csv``
  (tools/link_rt_flatiron.py): Rotten Tomatoes (Flatiron) movie ids linked to
  TMDB-5000 by director, year and runtime.

`link_redial_movies` and `link_rt_movies` apply the same rules as those scripts
and give the same rows on the shipped data (checked by the integration tests),
so the catalog is the same whether the links were shipped or recomputed. Inputs
are DataFrames as pandas reads the raw files; ids may come as int, float (links.csv
``tmdbId`` has NaN) or str.

Output types differ from the CSV files in one deliberate way: integer columns
(ids, years, counts) are nullable ``Int64`` with ``<NA>`` where the CSV has an
empty cell; string columns are pandas ``string``, and ``match_rule`` is ``""``
when nothing matched, as in the CSV. `coerce_redial_links` / `coerce_rt_links`
turn a shipped CSV, read by pandas, into the same types.

Behaviour kept from the scripts on purpose, so shipped and recomputed links agree:
a title whose normalised key is empty (ReDial names like " (2015)", TMDB original
titles in non-Latin scripts) is matched like any other key; the first catalogue
entry wins when several share a (title, year) key; for MovieLens links.csv a
tmdbId listed twice maps back to the last movieId.

Where the scripts would crash, these functions skip instead: a credits crew
cell that is not a JSON list, an RT row whose theater date or runtime cannot be
parsed, a credits id absent from the movies table. The counts are logged and
kept in ``DataFrame.attrs`` of the result.
"""

from convrec.catalog.linking_redial import link_redial_movies
from convrec.catalog.linking_rt import link_rt_movies
from convrec.catalog.linking_types import (
    REDIAL_LINK_COLUMNS,
    RT_LINK_COLUMNS,
    coerce_redial_links,
    coerce_rt_links,
)

__all__ = [
    "REDIAL_LINK_COLUMNS",
    "RT_LINK_COLUMNS",
    "coerce_redial_links",
    "coerce_rt_links",
    "link_redial_movies",
    "link_rt_movies",
]
