"""A small synthetic copy of shared/data for tests that must not depend on the real datasets.

`write_synthetic_dataset(root)` writes every file that `convrec.catalog.sources` looks for
(DATASET_FILES, the two ReDial train_partial files and the two train_more files) under
`root`, with the same file
names, folder layout, compression, encodings, line endings, column order, CSV quoting and
JSON cell shapes as the real files in shared/data (see shared/data/README.md):

* MovieLens ml-latest-small csvs (CRLF), links.csv with zero-padded imdbIds and empty tmdbIds;
* TMDB 5000 movies as ``tmdb_5000_movies.csv.zip`` (one member, LF, JSON-list cells written
  like ``json.dumps``) and credits as ``tmdb_5000_credits.csv.gz``;
* ReDial dialogues as jsonl in the real key order (``[]`` for an unfilled questions form),
  and the train_more files (jsonl.gz) in the layouts their sources kept: per-message roles
  with null or per-dialogue worker ids, no conversationId (uss_redial), a whole dialogue as
  one role-less message (vachon_*), dialogues known only up to a prefix (``_partial``);
  ``movies_with_mentions.csv`` (CRLF) and the derived ``redial_movie_links.csv``;
* Rotten Tomatoes reviews (tsv.gz, cp1252, CRLF), movie info (tsv.gz, UTF-8, CRLF) and the
  derived ``rt_movie_links.csv``.

The films, people, genres, years and runtimes are real (taken from the real files, cast
and keyword lists trimmed); overviews, review blurbs and dialogue texts are written for
this file. The derived link files are computed here with the rules of
shared/data/tools/link_redial_movies.py and link_rt_flatiron.py.

The data deliberately contains the awkward cases the catalog builder must handle (moved
articles, alternative titles, missing years, duplicate MovieLens ids, same title with two
years, title+year merges, malformed JSON cells, cp1252 text, empty reviews, unmatched and
duplicated ReDial movies). Each one is recorded in the returned `SyntheticExpectations`,
together with counts and the expected catalog items, all derived from the generated rows.
Everything is deterministic: the only randomness uses a fixed seed.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import random
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from convrec.catalog.normalize import norm_name, norm_title, split_year

SEED = 20180926

# ----------------------------------------------------------------------------- file layout

ML_DIR = "movielens/ml-latest-small"
ML_MOVIES = f"{ML_DIR}/movies.csv"
ML_RATINGS = f"{ML_DIR}/ratings.csv"
ML_TAGS = f"{ML_DIR}/tags.csv"
ML_LINKS = f"{ML_DIR}/links.csv"
TMDB_MOVIES_ZIP = "tmdb/tmdb_5000_movies.csv.zip"
TMDB_MOVIES_MEMBER = "tmdb_5000_movies.csv"
TMDB_CREDITS_GZ = "tmdb/tmdb_5000_credits.csv.gz"
REDIAL_MOVIES = "redial/movies_with_mentions.csv"
REDIAL_TEST = "redial/test_data.jsonl"
REDIAL_LINKS = "redial/redial_movie_links.csv"
REDIAL_KGSF = "redial/train_partial/kgsf_valid_data.jsonl"
REDIAL_KEPLER = "redial/train_partial/kepler_train_data_subset.jsonl"
REDIAL_MORE_FULL = "redial/train_more/train_more_full.jsonl.gz"
REDIAL_MORE_PARTIAL = "redial/train_more/train_more_partial.jsonl.gz"
RT_DIR = "reviews/rotten_tomatoes_flatiron"
RT_REVIEWS_GZ = f"{RT_DIR}/rt.reviews.tsv.gz"
RT_INFO_GZ = f"{RT_DIR}/rt.movie_info.tsv.gz"
RT_LINKS = f"{RT_DIR}/rt_movie_links.csv"

DERIVED_FILES: tuple[str, ...] = (REDIAL_LINKS, RT_LINKS)
ALL_FILES: tuple[str, ...] = (
    ML_MOVIES,
    ML_RATINGS,
    ML_TAGS,
    ML_LINKS,
    TMDB_MOVIES_ZIP,
    TMDB_CREDITS_GZ,
    REDIAL_MOVIES,
    REDIAL_TEST,
    REDIAL_LINKS,
    REDIAL_KGSF,
    REDIAL_KEPLER,
    REDIAL_MORE_FULL,
    REDIAL_MORE_PARTIAL,
    RT_REVIEWS_GZ,
    RT_INFO_GZ,
    RT_LINKS,
)

CRLF = "\r\n"
LF = "\n"

# ----------------------------------------------------------------------------- MovieLens

# (movieId, title, genres, imdbId, tmdbId or "") -- real rows of ml-latest-small, except that
# 92259's tmdbId is blanked so that its TMDB film has to be merged by original title + year.
ML_ROWS: tuple[tuple[int, str, str, str, str], ...] = (
    (1, "Toy Story (1995)", "Adventure|Animation|Children|Comedy|Fantasy", "0114709", "862"),
    (2, "Jumanji (1995)", "Adventure|Children|Fantasy", "0113497", "8844"),
    (6, "Heat (1995)", "Action|Crime|Thriller", "0113277", "949"),
    (
        29,
        "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
        "Adventure|Drama|Fantasy|Mystery|Sci-Fi",
        "0112682",
        "902",
    ),
    (39, "Clueless (1995)", "Comedy|Romance", "0112697", "9603"),
    (47, "Seven (a.k.a. Se7en) (1995)", "Mystery|Thriller", "0114369", "807"),
    (104, "Happy Gilmore (1996)", "Comedy", "0116483", "9614"),
    (110, "Braveheart (1995)", "Action|Drama|War", "0112573", "197"),
    (216, "Billy Madison (1995)", "Comedy", "0112508", "11017"),
    (231, "Dumb & Dumber (Dumb and Dumber) (1994)", "Adventure|Comedy", "0109686", "8467"),
    (344, "Ace Ventura: Pet Detective (1994)", "Comedy", "0109040", "3049"),
    (413, "Airheads (1994)", "Comedy", "0109068", "13595"),
    (527, "Schindler's List (1993)", "Drama|War", "0108052", "424"),
    (541, "Blade Runner (1982)", "Action|Sci-Fi|Thriller", "0083658", "78"),
    (858, "Godfather, The (1972)", "Crime|Drama", "0068646", "238"),
    (1214, "Alien (1979)", "Horror|Sci-Fi", "0078748", "348"),
    (1258, "Shining, The (1980)", "Horror", "0081505", "694"),
    (1265, "Groundhog Day (1993)", "Comedy|Fantasy|Romance", "0107048", "137"),
    (1407, "Scream (1996)", "Comedy|Horror|Mystery|Thriller", "0117571", "4232"),
    (1411, "Hamlet (1996)", "Crime|Drama|Romance", "0116477", "10549"),
    (1721, "Titanic (1997)", "Drama|Romance", "0120338", "597"),
    (1732, "Big Lebowski, The (1998)", "Comedy|Crime", "0118715", "115"),
    (1777, "Wedding Singer, The (1998)", "Comedy|Romance", "0120888", "11003"),
    (
        2019,
        "Seven Samurai (Shichinin no samurai) (1954)",
        "Action|Adventure|Drama",
        "0047478",
        "346",
    ),
    (
        2324,
        "Life Is Beautiful (La Vita è bella) (1997)",
        "Comedy|Drama|Romance|War",
        "0118799",
        "637",
    ),
    (2335, "Waterboy, The (1998)", "Comedy", "0120484", "10663"),
    (2378, "Police Academy (1984)", "Comedy|Crime", "0087928", "9336"),
    (2571, "Matrix, The (1999)", "Action|Sci-Fi|Thriller", "0133093", "603"),
    (2694, "Big Daddy (1999)", "Comedy", "0142342", "9032"),
    (2706, "American Pie (1999)", "Comedy|Romance", "0163651", "2105"),
    (2851, "Saturn 3 (1980)", "Adventure|Sci-Fi|Thriller", "0081454", ""),
    (3723, "Hamlet (1990)", "Drama", "0099726", "10264"),
    (
        3996,
        "Crouching Tiger, Hidden Dragon (Wo hu cang long) (2000)",
        "Action|Drama|Romance",
        "0190332",
        "146",
    ),
    (4085, "Beverly Hills Cop (1984)", "Action|Comedy|Crime|Drama", "0086960", "90"),
    (
        4973,
        "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
        "Comedy|Romance",
        "0211915",
        "194",
    ),
    (
        4993,
        "Lord of the Rings: The Fellowship of the Ring, The (2001)",
        "Adventure|Fantasy",
        "0120737",
        "120",
    ),
    (5110, "Super Troopers (2001)", "Comedy|Crime|Mystery", "0247745", "39939"),
    (5502, "Signs (2002)", "Horror|Sci-Fi|Thriller", "0286106", "2675"),
    (
        5618,
        "Spirited Away (Sen to Chihiro no kamikakushi) (2001)",
        "Adventure|Animation|Fantasy",
        "0245429",
        "129",
    ),
    (
        6003,
        "Confessions of a Dangerous Mind (2002)",
        "Comedy|Crime|Drama|Thriller",
        "0290538",
        "4912",
    ),
    (6287, "Anger Management (2003)", "Comedy", "0305224", "9506"),
    (40697, "Babylon 5", "Sci-Fi", "0105946", ""),
    (52281, "Grindhouse (2007)", "Action|Crime|Horror|Sci-Fi|Thriller", "0462322", "253768"),
    (
        76093,
        "How to Train Your Dragon (2010)",
        "Adventure|Animation|Children|Fantasy|IMAX",
        "0892769",
        "10191",
    ),
    (
        79132,
        "Inception (2010)",
        "Action|Crime|Drama|Mystery|Sci-Fi|Thriller|IMAX",
        "1375666",
        "27205",
    ),
    (92259, "Intouchables (2011)", "Comedy|Drama", "1675434", ""),
    (109487, "Interstellar (2014)", "Sci-Fi|IMAX", "0816692", "157336"),
    (
        144606,
        "Confessions of a Dangerous Mind (2002)",
        "Comedy|Crime|Drama|Romance|Thriller",
        "0270288",
        "4912",
    ),
)

# MovieLens films starring Adam Sandler (used for ratings and tags; the expectations derive
# the Sandler facts from the TMDB cast instead).
SANDLER_ML_IDS: frozenset[int] = frozenset({104, 216, 413, 1777, 2335, 2694, 6287})

# (userId, movieId, tag); timestamps are derived. The quotes and the comma test CSV quoting.
TAG_ROWS: tuple[tuple[int, int, str], ...] = (
    (2, 104, "Adam Sandler"),
    (2, 104, "golf"),
    (2, 216, "Adam Sandler"),
    (2, 216, "stupid but funny"),
    (2, 2694, "Adam Sandler"),
    (3, 231, "Jim Carrey"),
    (3, 231, "Highly quotable"),
    (3, 344, "Jim Carrey"),
    (3, 1265, "Bill Murray"),
    (3, 1265, "time loop"),
    (5, 541, "dystopia"),
    (5, 541, "sci-fi"),
    (5, 2571, "cyberpunk"),
    (5, 2571, "sci-fi"),
    (5, 2571, "philosophy"),
    (5, 79132, "dreamlike"),
    (5, 79132, "Christopher Nolan"),
    (5, 109487, "space"),
    (6, 1214, "aliens"),
    (6, 1214, "sci-fi"),
    (6, 40697, "space station"),
    (7, 527, "Holocaust"),
    (7, 858, "mafia"),
    (7, 858, "classic"),
    (7, 1721, "romance, disaster"),
    (9, 1258, "Stanley Kubrick"),
    (9, 1258, "atmospheric"),
    (9, 1407, "slasher"),
    (9, 52281, "grindhouse"),
    (10, 29, "surreal"),
    (10, 4973, "Audrey Tautou"),
    (10, 4973, "Paris"),
    (10, 4973, '"artsy"'),
    (10, 92259, "friendship"),
    (11, 2019, "Akira Kurosawa"),
    (11, 3996, "martial arts"),
    (12, 413, "Adam Sandler"),
    (12, 1777, "Adam Sandler"),
    (12, 1777, "80s music"),
    (14, 6003, "Charlie Kaufman"),
    (14, 144606, "Charlie Kaufman"),
    (15, 1411, "Shakespeare"),
)

N_USERS = 15
RATINGS_PER_USER = 40

# Genre tastes of the synthetic users, cycled over user ids (ML genre names).
_TASTES: tuple[frozenset[str], ...] = (
    frozenset({"Comedy", "Romance"}),
    frozenset({"Sci-Fi", "Action", "Thriller"}),
    frozenset({"Drama", "War", "Crime"}),
    frozenset({"Horror", "Mystery", "Thriller"}),
    frozenset({"Animation", "Fantasy", "Adventure", "Children"}),
)
_SANDLER_HATERS: frozenset[int] = frozenset({3, 8, 13})

# ----------------------------------------------------------------------------- TMDB

TMDB_GENRE_IDS: dict[str, int] = {
    "Action": 28,
    "Adventure": 12,
    "Fantasy": 14,
    "Science Fiction": 878,
    "Crime": 80,
    "Drama": 18,
    "Thriller": 53,
    "Animation": 16,
    "Family": 10751,
    "Western": 37,
    "Comedy": 35,
    "Romance": 10749,
    "Horror": 27,
    "Mystery": 9648,
    "History": 36,
    "War": 10752,
    "Music": 10402,
    "Documentary": 99,
    "Foreign": 10769,
    "TV Movie": 10770,
}

TMDB_COLUMNS: tuple[str, ...] = (
    "budget",
    "genres",
    "homepage",
    "id",
    "keywords",
    "original_language",
    "original_title",
    "overview",
    "popularity",
    "production_companies",
    "production_countries",
    "release_date",
    "revenue",
    "runtime",
    "spoken_languages",
    "status",
    "tagline",
    "title",
    "vote_average",
    "vote_count",
)
CREDITS_COLUMNS: tuple[str, ...] = ("movie_id", "title", "cast", "crew")


@dataclass(frozen=True)
class _TmdbFilm:
    """One TMDB 5000 film: the movies row and its credits row, in compact form."""

    id: int
    title: str
    original_title: str
    lang: str
    release_date: str  # YYYY-MM-DD or "" (one real row has no date)
    runtime: int | None
    budget: int
    revenue: int
    popularity: float
    vote_average: float
    vote_count: int
    homepage: str
    genres: tuple[str, ...]
    keywords: tuple[tuple[int, str], ...]
    companies: tuple[tuple[str, int], ...]
    countries: tuple[tuple[str, str], ...]
    spoken: tuple[tuple[str, str], ...]
    cast: tuple[tuple[str, str, int, int], ...]  # name, character, person id, gender
    crew: tuple[tuple[str, str, str, int, int], ...]  # name, job, department, person id, gender
    overview: str
    tagline: str

    @property
    def year(self) -> int | None:
        return int(self.release_date[:4]) if self.release_date else None


TMDB_FILMS: tuple[_TmdbFilm, ...] = (
    _TmdbFilm(
        id=9603,
        title="Clueless",
        original_title="Clueless",
        lang="en",
        release_date="1995-07-19",
        runtime=97,
        budget=12000000,
        revenue=0,
        popularity=16.051328,
        vote_average=6.9,
        vote_count=803,
        homepage="",
        genres=("Comedy", "Drama", "Romance"),
        keywords=((1525, "puberty"), (6270, "high school"), (6664, "make a match")),
        companies=(("Paramount Pictures", 4),),
        countries=(("US", "United States of America"),),
        spoken=(("es", "Español"), ("en", "English")),
        cast=(
            ("Alicia Silverstone", "Cher Horowitz", 5588, 0),
            ("Stacey Dash", "Dionne", 58150, 1),
            ("Brittany Murphy", "Tai", 328, 1),
            ("Paul Rudd", "Josh", 22226, 2),
        ),
        crew=(
            ("Amy Heckerling", "Director", "Directing", 57434, 1),
            ("Amy Heckerling", "Screenplay", "Writing", 57434, 1),
        ),
        overview=(
            "A Beverly Hills teenager plays matchmaker for her friends and teachers and "
            "slowly notices her own feelings."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=807,
        title="Se7en",
        original_title="Se7en",
        lang="en",
        release_date="1995-09-22",
        runtime=127,
        budget=33000000,
        revenue=327311859,
        popularity=79.579532,
        vote_average=8.1,
        vote_count=5765,
        homepage="http://www.sevenmovie.com/",
        genres=("Crime", "Mystery", "Thriller"),
        keywords=((476, "self-fulfilling prophecy"), (703, "detective"), (2231, "drug dealer")),
        companies=(("New Line Cinema", 12), ("Juno Pix", 4286)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Brad Pitt", "Detective David Mills", 287, 2),
            ("Morgan Freeman", "Detective Lt. William Somerset", 192, 2),
            ("Gwyneth Paltrow", "Tracy Mills", 12052, 1),
            ("Kevin Spacey", "John Doe", 1979, 2),
        ),
        crew=(
            ("David Fincher", "Director", "Directing", 7467, 2),
            ("Andrew Kevin Walker", "Screenplay", "Writing", 12047, 2),
        ),
        overview=(
            "Two detectives, one about to retire and one newly arrived, hunt a killer who "
            "stages his murders after the seven deadly sins."
        ),
        tagline="Seven deadly sins. Seven ways to die.",
    ),
    _TmdbFilm(
        id=9614,
        title="Happy Gilmore",
        original_title="Happy Gilmore",
        lang="en",
        release_date="1996-02-16",
        runtime=92,
        budget=12000000,
        revenue=41205099,
        popularity=26.598884,
        vote_average=6.5,
        vote_count=755,
        homepage="",
        genres=("Comedy",),
        keywords=((936, "loss of mother"), (2702, "golf"), (6075, "sport")),
        companies=(("Universal Pictures", 33), ("Brillstein-Grey Entertainment", 1606)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Adam Sandler", "Happy Gilmore", 19292, 2),
            ("Christopher McDonald", "Shooter McGavin", 4443, 2),
            ("Julie Bowen", "Virginia Venit", 31171, 1),
            ("Carl Weathers", "Chubbs Peterson", 1101, 2),
        ),
        crew=(
            ("Dennis Dugan", "Director", "Directing", 17494, 2),
            ("Adam Sandler", "Screenplay", "Writing", 19292, 2),
        ),
        overview=(
            "A hockey player with a temper discovers a monstrous golf drive and joins the pro "
            "tour to save his grandmother's house."
        ),
        tagline="He doesn't play golf... he destroys it.",
    ),
    _TmdbFilm(
        id=197,
        title="Braveheart",
        original_title="Braveheart",
        lang="en",
        release_date="1995-05-24",
        runtime=177,
        budget=72000000,
        revenue=210000000,
        popularity=60.722162,
        vote_average=7.7,
        vote_count=3336,
        homepage="",
        genres=("Action", "Drama", "History", "War"),
        keywords=((388, "scotland"), (930, "in love with enemy"), (3754, "legend")),
        companies=(("Icon Entertainment International", 4564), ("The Ladd Company", 7965)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"), ("fr", "Français"), ("la", "Latin"), ("gd", "")),
        cast=(
            ("Mel Gibson", "William Wallace", 2461, 2),
            ("Catherine McCormack", "Murron MacClannough", 2462, 0),
            ("Sophie Marceau", "Princess Isabelle", 1957, 1),
            ("Patrick McGoohan", "King Edward", 2463, 2),
        ),
        crew=(
            ("Mel Gibson", "Director", "Directing", 2461, 2),
            ("Randall Wallace", "Screenplay", "Writing", 2460, 2),
        ),
        overview="A Scottish commoner leads an uprising against the English king.",
        tagline="",
    ),
    _TmdbFilm(
        id=8467,
        title="Dumb and Dumber",
        original_title="Dumb and Dumber",
        lang="en",
        release_date="1994-12-16",
        runtime=107,
        budget=16000000,
        revenue=247275374,
        popularity=35.777067,
        vote_average=6.5,
        vote_count=1859,
        homepage="",
        genres=("Comedy",),
        keywords=((1420, "gas station"), (5303, "utah"), (6241, "stupidity")),
        companies=(("New Line Cinema", 12),),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Jim Carrey", "Lloyd Christmas", 206, 2),
            ("Jeff Daniels", "Harry Dune", 8447, 2),
            ("Lauren Holly", "Mary Swanson", 34485, 1),
        ),
        crew=(
            ("Bobby Farrelly", "Director", "Directing", 7395, 2),
            ("Peter Farrelly", "Director", "Directing", 7396, 2),
        ),
        overview=(
            "Two good-natured but hopeless friends drive across the country to return a "
            "briefcase to a woman they barely know."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=3049,
        title="Ace Ventura: Pet Detective",
        original_title="Ace Ventura: Pet Detective",
        lang="en",
        release_date="1994-02-04",
        runtime=86,
        budget=15000000,
        revenue=107217396,
        popularity=41.249004,
        vote_average=6.4,
        vote_count=1648,
        homepage="",
        genres=("Comedy", "Mystery"),
        keywords=((630, "dolphin"), (6732, "mascot"), (155790, "private detective")),
        companies=(("Warner Bros.", 6194), ("Morgan Creek Productions", 10210)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Jim Carrey", "Ace Ventura", 206, 2),
            ("Sean Young", "Lt. Lois Einhorn", 586, 1),
            ("Courteney Cox", "Melissa Robinson", 14405, 1),
        ),
        crew=(("Tom Shadyac", "Director", "Directing", 4499, 2),),
        overview=(
            "A pet detective with a loud wardrobe searches Miami for the kidnapped dolphin "
            "mascot of the local football team."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=424,
        title="Schindler's List",
        original_title="Schindler's List",
        lang="en",
        release_date="1993-11-29",
        runtime=195,
        budget=22000000,
        revenue=321365567,
        popularity=104.469351,
        vote_average=8.3,
        vote_count=4329,
        homepage="http://www.schindlerslist.com/",
        genres=("Drama", "History", "War"),
        keywords=((1382, "factory"), (1631, "concentration camp"), (1739, "holocaust")),
        companies=(("Universal Pictures", 33), ("Amblin Entertainment", 56)),
        countries=(("US", "United States of America"),),
        spoken=(("de", "Deutsch"), ("pl", "Polski"), ("he", "עִבְרִית"), ("en", "English")),
        cast=(
            ("Liam Neeson", "Oskar Schindler", 3896, 2),
            ("Ben Kingsley", "Itzhak Stern", 2282, 2),
            ("Ralph Fiennes", "Amon Goeth", 5469, 2),
        ),
        crew=(
            ("Steven Spielberg", "Director", "Directing", 488, 2),
            ("Steven Zaillian", "Screenplay", "Writing", 2260, 2),
        ),
        overview=(
            "A German businessman saves more than a thousand Jewish workers during the "
            "Holocaust by employing them in his factories."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=78,
        title="Blade Runner",
        original_title="Blade Runner",
        lang="en",
        release_date="1982-06-25",
        runtime=117,
        budget=28000000,
        revenue=33139618,
        popularity=94.056131,
        vote_average=7.9,
        vote_count=3509,
        homepage="http://www.warnerbros.com/blade-runner",
        genres=("Science Fiction", "Drama", "Thriller"),
        keywords=((310, "artificial intelligence"), (679, "cyborg"), (801, "bounty hunter")),
        companies=(("Shaw Brothers", 5798), ("Warner Bros.", 6194)),
        countries=(
            ("US", "United States of America"),
            ("HK", "Hong Kong"),
            ("GB", "United Kingdom"),
        ),
        spoken=(("en", "English"), ("de", "Deutsch"), ("cn", "广州话 / 廣州話"), ("ja", "日本語")),
        cast=(
            ("Harrison Ford", "Rick Deckard", 3, 2),
            ("Rutger Hauer", "Roy Batty", 585, 2),
            ("Sean Young", "Rachael", 586, 1),
        ),
        crew=(
            ("Ridley Scott", "Director", "Directing", 578, 2),
            ("Hampton Fancher", "Screenplay", "Writing", 583, 2),
        ),
        overview=(
            "In a rain-soaked Los Angeles of 2019, a retired blade runner is called back to "
            "hunt down four escaped replicants."
        ),
        tagline="Man has made his match... now it's his problem.",
    ),
    _TmdbFilm(
        id=238,
        title="The Godfather",
        original_title="The Godfather",
        lang="en",
        release_date="1972-03-14",
        runtime=175,
        budget=6000000,
        revenue=245066411,
        popularity=143.659698,
        vote_average=8.4,
        vote_count=5893,
        homepage="http://www.thegodfather.com/",
        genres=("Drama", "Crime"),
        keywords=((131, "italy"), (1872, "loss of father"), (4677, "patriarch")),
        companies=(("Paramount Pictures", 4), ("Alfran Productions", 10211)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"), ("it", "Italiano"), ("la", "Latin")),
        cast=(
            ("Marlon Brando", "Don Vito Corleone", 3084, 2),
            ("Al Pacino", "Michael Corleone", 1158, 2),
            ("James Caan", "Santino 'Sonny' Corleone", 3085, 2),
        ),
        crew=(
            ("Francis Ford Coppola", "Director", "Directing", 1776, 2),
            ("Mario Puzo", "Screenplay", "Writing", 3083, 2),
        ),
        overview=(
            "The ageing patriarch of a New York crime family hands control of his empire to "
            "his reluctant youngest son."
        ),
        tagline="An offer you can't refuse.",
    ),
    _TmdbFilm(
        id=348,
        title="Alien",
        original_title="Alien",
        lang="en",
        release_date="1979-05-25",
        runtime=117,
        budget=11000000,
        revenue=104931801,
        popularity=94.184658,
        vote_average=7.9,
        vote_count=4470,
        homepage="https://www.facebook.com/alienanthology/",
        genres=("Horror", "Action", "Thriller", "Science Fiction"),
        keywords=((803, "android"), (1826, "space marine"), (1828, "space suit")),
        companies=(
            ("Twentieth Century Fox Film Corporation", 306),
            ("Brandywine Productions", 19747),
        ),
        countries=(("US", "United States of America"), ("GB", "United Kingdom")),
        spoken=(("en", "English"), ("es", "Español")),
        cast=(
            ("Tom Skerritt", "Arthur Dallas", 4139, 2),
            ("Sigourney Weaver", "Ellen Ripley", 10205, 1),
            ("Veronica Cartwright", "Joan Lambert", 5047, 1),
        ),
        crew=(
            ("Ridley Scott", "Director", "Directing", 578, 2),
            ("Dan O'Bannon", "Screenplay", "Writing", 5045, 2),
        ),
        overview=(
            "The crew of a commercial space tug answers a distress signal and brings a deadly "
            "organism on board."
        ),
        tagline="In space no one can hear you scream.",
    ),
    _TmdbFilm(
        id=694,
        title="The Shining",
        original_title="The Shining",
        lang="en",
        release_date="1980-05-22",
        runtime=144,
        budget=19000000,
        revenue=44017374,
        popularity=78.699993,
        vote_average=8.1,
        vote_count=3757,
        homepage="",
        genres=("Horror", "Thriller"),
        keywords=((612, "hotel"), (1533, "isolation"), (1981, "colorado")),
        companies=(("Hawk Films", 88), ("Warner Bros.", 6194)),
        countries=(("US", "United States of America"), ("GB", "United Kingdom")),
        spoken=(("en", "English"),),
        cast=(
            ("Jack Nicholson", "Jack Torrance", 514, 2),
            ("Shelley Duvall", "Wendy Torrance", 10409, 0),
            ("Danny Lloyd", "Danny Torrance", 10410, 2),
        ),
        crew=(("Stanley Kubrick", "Director", "Directing", 240, 2),),
        overview=(
            "A writer takes a winter caretaker job at an isolated mountain hotel and slowly "
            "loses his mind."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=137,
        title="Groundhog Day",
        original_title="Groundhog Day",
        lang="en",
        release_date="1993-02-11",
        runtime=101,
        budget=14600000,
        revenue=70906973,
        popularity=52.744331,
        vote_average=7.4,
        vote_count=2301,
        homepage="",
        genres=("Romance", "Fantasy", "Drama", "Comedy"),
        keywords=((563, "deja vu"), (901, "groundhog"), (902, "weather forecast")),
        companies=(("Columbia Pictures", 5),),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"), ("fr", "Français"), ("it", "Italiano")),
        cast=(
            ("Bill Murray", "Phil Connors", 1532, 2),
            ("Andie MacDowell", "Rita", 1533, 1),
            ("Chris Elliott", "Larry", 1534, 2),
        ),
        crew=(
            ("Harold Ramis", "Director", "Directing", 1524, 2),
            ("Danny Rubin", "Screenplay", "Writing", 1525, 2),
        ),
        overview=(
            "A cynical weatherman covering a small-town festival finds himself living the same "
            "day over and over."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=4232,
        title="Scream",
        original_title="Scream",
        lang="en",
        release_date="1996-12-20",
        runtime=111,
        budget=14000000,
        revenue=173046663,
        popularity=45.99611,
        vote_average=7.0,
        vote_count=1476,
        homepage="",
        genres=("Crime", "Horror", "Mystery"),
        keywords=((3335, "halloween"), (10714, "serial killer"), (12339, "slasher")),
        companies=(("Woods Entertainment", 979), ("Dimension Films", 7405)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("David Arquette", "Deputy Dwight 'Dewey' Riley", 15234, 2),
            ("Neve Campbell", "Sidney Prescott", 9206, 1),
            ("Courteney Cox", "Gale Weathers", 14405, 1),
        ),
        crew=(
            ("Wes Craven", "Director", "Directing", 5140, 2),
            ("Kevin Williamson", "Screenplay", "Writing", 26458, 2),
        ),
        overview=(
            "A masked killer who loves horror films terrorises a high-school girl and her "
            "friends a year after her mother's murder."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=10549,
        title="Hamlet",
        original_title="Hamlet",
        lang="en",
        release_date="1996-12-25",
        runtime=242,
        budget=0,
        revenue=0,
        popularity=9.814785,
        vote_average=7.3,
        vote_count=117,
        homepage="",
        genres=("Drama",),
        keywords=((497, "shakespeare"), (509, "denmark"), (1872, "loss of father")),
        companies=(("Castle Rock Entertainment", 97), ("Turner Pictures (I)", 6189)),
        countries=(("GB", "United Kingdom"), ("US", "United States of America")),
        spoken=(("en", "English"),),
        cast=(
            ("Kenneth Branagh", "Prince Hamlet", 11181, 2),
            ("Derek Jacobi", "King Claudius", 937, 2),
            ("Julie Christie", "Gertrude", 1666, 1),
            ("Kate Winslet", "Ophelia", 204, 1),
        ),
        crew=(
            ("Kenneth Branagh", "Director", "Directing", 11181, 2),
            ("Kenneth Branagh", "Screenplay", "Writing", 11181, 2),
        ),
        overview=(
            "The Danish prince avenges his father's murder in an uncut four-hour adaptation of "
            "Shakespeare's play."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=597,
        title="Titanic",
        original_title="Titanic",
        lang="en",
        release_date="1997-11-18",
        runtime=194,
        budget=200000000,
        revenue=1845034188,
        popularity=100.025899,
        vote_average=7.5,
        vote_count=7562,
        homepage="http://www.titanicmovie.com",
        genres=("Drama", "Romance", "Thriller"),
        keywords=((2580, "shipwreck"), (2984, "iceberg"), (3799, "ship")),
        companies=(
            ("Paramount Pictures", 4),
            ("Twentieth Century Fox Film Corporation", 306),
        ),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"), ("fr", "Français"), ("sv", "svenska"), ("ru", "Pусский")),
        cast=(
            ("Kate Winslet", "Rose DeWitt Bukater", 204, 1),
            ("Leonardo DiCaprio", "Jack Dawson", 6193, 2),
            ("Billy Zane", "Caledon 'Cal' Hockley", 1954, 2),
        ),
        crew=(("James Cameron", "Director", "Directing", 2710, 2),),
        overview=(
            "A young aristocrat and a penniless artist fall in love aboard the ill-fated liner "
            "on its maiden voyage."
        ),
        tagline="Nothing on Earth could come between them.",
    ),
    _TmdbFilm(
        id=10663,
        title="The Waterboy",
        original_title="The Waterboy",
        lang="en",
        release_date="1998-11-06",
        runtime=90,
        budget=23000000,
        revenue=185991646,
        popularity=23.839127,
        vote_average=5.9,
        vote_count=512,
        homepage="",
        genres=("Comedy",),
        keywords=((6075, "sport"), (171556, "social outcast"), (171561, "lawn mower")),
        companies=(("Touchstone Pictures", 9195),),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Adam Sandler", "Bobby Boucher", 19292, 2),
            ("Kathy Bates", "Mama Boucher", 8534, 1),
            ("Fairuza Balk", "Vicki Vallencourt", 826, 1),
            ("Henry Winkler", "Coach Klein", 31903, 2),
        ),
        crew=(
            ("Frank Coraci", "Director", "Directing", 57370, 2),
            ("Tim Herlihy", "Screenplay", "Writing", 56728, 2),
        ),
        overview=(
            "A stammering water boy with a fierce tackle becomes the star linebacker of a "
            "struggling college football team."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=603,
        title="The Matrix",
        original_title="The Matrix",
        lang="en",
        release_date="1999-03-30",
        runtime=136,
        budget=63000000,
        revenue=463517383,
        popularity=104.309993,
        vote_average=7.9,
        vote_count=8907,
        homepage="http://www.warnerbros.com/matrix",
        genres=("Action", "Science Fiction"),
        keywords=((83, "saving the world"), (310, "artificial intelligence"), (490, "philosophy")),
        companies=(("Village Roadshow Pictures", 79), ("Groucho II Film Partnership", 372)),
        countries=(("AU", "Australia"), ("US", "United States of America")),
        spoken=(("en", "English"),),
        cast=(
            ("Keanu Reeves", 'Thomas "Neo" Anderson', 6384, 2),
            ("Laurence Fishburne", "Morpheus", 2975, 2),
            ("Carrie-Anne Moss", "Trinity", 530, 1),
            ("Hugo Weaving", "Agent Smith", 1331, 2),
        ),
        crew=(
            ("Lilly Wachowski", "Director", "Directing", 9339, 1),
            ("Lana Wachowski", "Director", "Directing", 9340, 1),
            ("Lilly Wachowski", "Writer", "Writing", 9339, 1),
        ),
        overview=(
            "A hacker learns that the world he lives in is a simulation and joins the rebellion "
            "against its machine rulers."
        ),
        tagline="Welcome to the Real World.",
    ),
    _TmdbFilm(
        id=9032,
        title="Big Daddy",
        original_title="Big Daddy",
        lang="en",
        release_date="1999-06-25",
        runtime=93,
        budget=34200000,
        revenue=234801895,
        popularity=34.86859,
        vote_average=6.1,
        vote_count=875,
        homepage="",
        genres=("Comedy", "Drama"),
        keywords=((1338, "bachelor"), (3703, "law"), (9797, "syracuse university")),
        companies=(("Columbia Pictures", 5),),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"), ("it", "Italiano")),
        cast=(
            ("Adam Sandler", "Sonny Koufax", 19292, 2),
            ("Joey Lauren Adams", "Layla Maloney", 16484, 1),
            ("Jon Stewart", "Kevin Gerrity", 1212, 2),
            ("Cole Sprouse", "Julian 'Frankenstien' McGrath", 56730, 2),
        ),
        crew=(
            ("Dennis Dugan", "Director", "Directing", 17494, 2),
            ("Adam Sandler", "Screenplay", "Writing", 19292, 2),
        ),
        overview=(
            "A lazy thirty-something adopts a five-year-old boy to impress his girlfriend and "
            "has to grow up fast."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=146,
        title="Crouching Tiger, Hidden Dragon",
        original_title="卧虎藏龙",
        lang="zh",
        release_date="2000-10-01",
        runtime=120,
        budget=17000000,
        revenue=213525736,
        popularity=45.742254,
        vote_average=7.2,
        vote_count=927,
        homepage="",
        genres=("Adventure", "Drama", "Action", "Romance"),
        keywords=((334, "flying"), (779, "martial arts"), (4575, "comb")),
        companies=(
            ("Sony Pictures Classics", 58),
            ("China Film Co-Production Corporation", 2269),
        ),
        countries=(("CN", "China"), ("HK", "Hong Kong"), ("TW", "Taiwan")),
        spoken=(("zh", "普通话"),),
        cast=(
            ("Chow Yun-fat", "Master Li Mu Bai", 1619, 2),
            ("Michelle Yeoh", "Yu Shu Lien", 1620, 1),
            ("Zhang Ziyi", "Jen Yu (Mandarin) / Jiao Long (English)", 1339, 1),
        ),
        crew=(
            ("Ang Lee", "Director", "Directing", 1614, 2),
            ("James Schamus", "Screenplay", "Writing", 1617, 0),
        ),
        overview=(
            "Two warriors in Qing-dynasty China search for a stolen sword and the young "
            "noblewoman who took it."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=194,
        title="Amélie",
        original_title="Le fabuleux destin d'Amélie Poulain",
        lang="fr",
        release_date="2001-04-25",
        runtime=122,
        budget=10000000,
        revenue=173921954,
        popularity=73.720244,
        vote_average=7.8,
        vote_count=3310,
        homepage="http://www.die-fabelhafte-welt-der-amelie.de",
        genres=("Comedy", "Romance"),
        keywords=((90, "paris"), (128, "love triangle"), (365, "ghost train")),
        companies=(("France 3 Cinéma", 591), ("Claudie Ossard Productions", 592)),
        countries=(("FR", "France"), ("DE", "Germany")),
        spoken=(("fr", "Français"), ("ru", "Pусский")),
        cast=(
            ("Audrey Tautou", "Amélie Poulain", 2405, 1),
            ("Mathieu Kassovitz", "Nino Quincampoix", 2406, 2),
            ("Rufus", "Raphaël Poulain", 2407, 2),
        ),
        crew=(("Jean-Pierre Jeunet", "Director", "Directing", 2419, 2),),
        overview=(
            "A shy Parisian waitress decides to change the lives of the people around her and "
            "finds love on the way."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=4912,
        title="Confessions of a Dangerous Mind",
        original_title="Confessions of a Dangerous Mind",
        lang="en",
        release_date="2002-12-30",
        runtime=113,
        budget=30000000,
        revenue=33013805,
        popularity=18.165957,
        vote_average=6.6,
        vote_count=275,
        homepage="",
        genres=("Comedy", "Crime", "Drama", "Romance", "Thriller"),
        keywords=((4688, "microfilm"), (5565, "biography"), (34038, "intrigue")),
        companies=(("Miramax Films", 14), ("Allied Filmmakers", 1755)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Sam Rockwell", "Chuck Barris", 6807, 2),
            ("Drew Barrymore", "Penny", 69597, 1),
            ("Julia Roberts", "Patricia Watson", 1204, 1),
            ("George Clooney", "Jim Byrd", 1461, 2),
        ),
        crew=(
            ("George Clooney", "Director", "Directing", 1461, 2),
            ("Charlie Kaufman", "Screenplay", "Writing", 202, 2),
        ),
        overview=(
            "A television game-show producer claims to have led a second life as a CIA assassin."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=157336,
        title="Interstellar",
        original_title="Interstellar",
        lang="en",
        release_date="2014-11-05",
        runtime=169,
        budget=165000000,
        revenue=675120017,
        popularity=724.247784,
        vote_average=8.1,
        vote_count=10867,
        homepage="http://www.interstellarmovie.net/",
        genres=("Adventure", "Drama", "Science Fiction"),
        keywords=(
            (83, "saving the world"),
            (494, "father son relationship"),
            (641, "single parent"),
        ),
        companies=(("Paramount Pictures", 4), ("Legendary Pictures", 923)),
        countries=(("CA", "Canada"), ("US", "United States of America"), ("GB", "United Kingdom")),
        spoken=(("en", "English"),),
        cast=(
            ("Matthew McConaughey", "Joseph Cooper", 10297, 2),
            ("Jessica Chastain", "Murph Cooper", 83002, 1),
            ("Anne Hathaway", "Dr. Amelia Brand", 1813, 1),
            ("Michael Caine", "Professor John Brand", 3895, 2),
        ),
        crew=(
            ("Christopher Nolan", "Director", "Directing", 525, 2),
            ("Jonathan Nolan", "Writer", "Writing", 527, 2),
        ),
        overview=(
            "Explorers travel through a wormhole to find a new home for humanity as crops fail "
            "on Earth."
        ),
        tagline="Mankind was born on Earth. It was never meant to die here.",
    ),
    _TmdbFilm(
        id=27205,
        title="Inception",
        original_title="Inception",
        lang="en",
        release_date="2010-07-14",
        runtime=148,
        budget=160000000,
        revenue=825532764,
        popularity=167.58371,
        vote_average=8.1,
        vote_count=13752,
        homepage="http://inceptionmovie.warnerbros.com/",
        genres=("Action", "Thriller", "Science Fiction", "Mystery", "Adventure"),
        keywords=((1014, "loss of lover"), (1566, "dream"), (2116, "sleep")),
        companies=(("Legendary Pictures", 923), ("Warner Bros.", 6194)),
        countries=(("GB", "United Kingdom"), ("US", "United States of America")),
        spoken=(("en", "English"), ("ja", "日本語"), ("fr", "Français")),
        cast=(
            ("Leonardo DiCaprio", "Dom Cobb", 6193, 2),
            ("Joseph Gordon-Levitt", "Arthur", 24045, 2),
            ("Ellen Page", "Ariadne", 27578, 1),
            ("Tom Hardy", "Eames", 2524, 2),
        ),
        crew=(
            ("Christopher Nolan", "Director", "Directing", 525, 2),
            ("Christopher Nolan", "Screenplay", "Writing", 525, 2),
        ),
        overview=(
            "A thief who steals secrets from dreams is offered a chance to erase his past by "
            "planting an idea instead."
        ),
        tagline="Your mind is the scene of the crime.",
    ),
    _TmdbFilm(
        id=346,
        title="Seven Samurai",
        original_title="七人の侍",
        lang="ja",
        release_date="1954-04-26",
        runtime=207,
        budget=2000000,
        revenue=271841,
        popularity=39.756748,
        vote_average=8.2,
        vote_count=878,
        homepage="",
        genres=("Action", "Drama"),
        keywords=((233, "japan"), (1462, "samurai"), (4402, "peasant")),
        companies=(("Toho Company", 882),),
        countries=(("JP", "Japan"),),
        spoken=(("ja", "日本語"),),
        cast=(
            ("Toshirō Mifune", "Kikuchiyo", 7450, 2),
            ("Takashi Shimura", "Kambei Shimada", 7453, 2),
            ("Yoshio Inaba", "Gorobei Katayama", 20828, 2),
        ),
        crew=(("Akira Kurosawa", "Director", "Directing", 5026, 2),),
        overview=(
            "A poor village hires seven masterless samurai to defend it against bandits at "
            "harvest time."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=285923,
        title="Grindhouse",
        original_title="Grindhouse",
        lang="en",
        release_date="2007-04-06",
        runtime=191,
        budget=67000000,
        revenue=25037897,
        popularity=16.637642,
        vote_average=6.8,
        vote_count=459,
        homepage="",
        genres=("Thriller", "Action", "Horror"),
        keywords=((2804, "exploitation"), (12339, "slasher"), (12377, "zombie")),
        companies=(("Big Talk Productions", 443), ("Yer Dead Productions", 6869)),
        countries=(("US", "United States of America"),),
        spoken=(("es", "Español"), ("en", "English")),
        cast=(
            ("Kurt Russell", 'Stuntman Mike (segment "Death Proof")', 6856, 2),
            ("Zoë Bell", 'Herself (segment "Death Proof")', 20494, 1),
            ("Rosario Dawson", 'Abernathy (segment "Death Proof")', 5916, 1),
        ),
        crew=(
            ("Robert Rodriguez", "Director", "Directing", 2294, 0),
            ("Quentin Tarantino", "Director", "Directing", 138, 2),
        ),
        overview=(
            "A double feature of two exploitation tributes, complete with fake trailers "
            "between them."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=77338,
        title="The Intouchables",
        original_title="Intouchables",
        lang="fr",
        release_date="2011-11-02",
        runtime=112,
        budget=9500000,
        revenue=426588510,
        popularity=16.086919,
        vote_average=8.2,
        vote_count=5923,
        homepage="",
        genres=("Drama", "Comedy"),
        keywords=((1415, "caregiver"), (3562, "paraglider"), (9672, "based on true story")),
        companies=(("Gaumont", 9), ("TF1 Films Production", 356)),
        countries=(("FR", "France"),),
        spoken=(("fr", "Français"),),
        cast=(
            ("François Cluzet", "Philippe", 35323, 2),
            ("Omar Sy", "Driss", 78423, 2),
            ("Anne Le Ny", "Yvonne", 35328, 1),
        ),
        crew=(
            ("Olivier Nakache", "Director", "Directing", 81012, 2),
            ("Éric Toledano", "Director", "Directing", 81011, 2),
        ),
        overview=(
            "A wealthy quadriplegic hires a young man from the projects as his live-in carer, "
            "and both lives change."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=19995,
        title="Avatar",
        original_title="Avatar",
        lang="en",
        release_date="2009-12-10",
        runtime=162,
        budget=237000000,
        revenue=2787965087,
        popularity=150.437577,
        vote_average=7.2,
        vote_count=11800,
        homepage="http://www.avatarmovie.com/",
        genres=("Action", "Adventure", "Fantasy", "Science Fiction"),
        keywords=((1463, "culture clash"), (2964, "future"), (3386, "space war")),
        companies=(
            ("Ingenious Film Partners", 289),
            ("Twentieth Century Fox Film Corporation", 306),
        ),
        countries=(("US", "United States of America"), ("GB", "United Kingdom")),
        spoken=(("en", "English"), ("es", "Español")),
        cast=(
            ("Sam Worthington", "Jake Sully", 65731, 2),
            ("Zoe Saldana", "Neytiri", 8691, 1),
            ("Sigourney Weaver", "Dr. Grace Augustine", 10205, 1),
        ),
        crew=(("James Cameron", "Director", "Directing", 2710, 2),),
        overview=(
            "A paraplegic marine on the moon Pandora is torn between his orders and the alien "
            "people he comes to love."
        ),
        tagline="Enter the World of Pandora.",
    ),
    _TmdbFilm(
        id=2022,
        title="Mr. Deeds",
        original_title="Mr. Deeds",
        lang="en",
        release_date="2002-06-28",
        runtime=96,
        budget=50000000,
        revenue=171269535,
        popularity=18.121404,
        vote_average=5.6,
        vote_count=644,
        homepage="",
        genres=("Comedy", "Romance"),
        keywords=((3452, "love letter"), (6018, "new hampshire"), (8680, "ferrari")),
        companies=(("New Line Cinema", 12), ("Columbia Pictures Corporation", 441)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Adam Sandler", "Longfellow Deeds", 19292, 2),
            ("Winona Ryder", "Babe Bennett", 1920, 1),
            ("John Turturro", "Emilio Lopez", 1241, 2),
        ),
        crew=(("Steven Brill", "Director", "Directing", 32593, 2),),
        overview=(
            "A small-town pizzeria owner inherits a media empire and refuses to let the big "
            "city change him."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=2667,
        title="The Blair Witch Project",
        original_title="The Blair Witch Project",
        lang="en",
        release_date="1999-07-14",
        runtime=81,
        budget=60000,
        revenue=248000000,
        popularity=41.690578,
        vote_average=6.3,
        vote_count=1055,
        homepage="http://www.blairwitch.com/",
        genres=("Horror", "Mystery"),
        keywords=((616, "witch"), (3754, "legend"), (5147, "sorcery")),
        companies=(("Artisan Entertainment", 2188), ("Haxan Films", 15160)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"),),
        cast=(
            ("Heather Donahue", "Heather Donahue", 26851, 1),
            ("Joshua Leonard", "Joshua 'Josh' Leonard", 26852, 2),
            ("Michael C. Williams", "Mike", 26853, 2),
        ),
        crew=(
            ("Daniel Myrick", "Director", "Directing", 26849, 2),
            ("Eduardo Sánchez", "Director", "Directing", 26850, 2),
        ),
        overview=(
            "Three film students hike into the Maryland woods to shoot a documentary about a "
            "local legend and vanish."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=55,
        title="Amores perros",
        original_title="Amores perros",
        lang="es",
        release_date="2000-06-16",
        runtime=154,
        budget=2000000,
        revenue=20908467,
        popularity=23.281616,
        vote_average=7.6,
        vote_count=521,
        homepage="",
        genres=("Drama", "Thriller"),
        keywords=((960, "homeless person"), (1547, "mexico city"), (7879, "secret love")),
        companies=(("Altavista Films", 5084), ("Zeta Film", 11230)),
        countries=(("MX", "Mexico"),),
        spoken=(("es", "Español"),),
        cast=(
            ("Gael García Bernal", "Octavio", 258, 2),
            ("Vanessa Bauche", "Susana", 259, 1),
            ("Goya Toledo", "Valeria", 261, 1),
        ),
        crew=(("Alejandro González Iñárritu", "Director", "Directing", 223, 2),),
        overview=(
            "Three stories in Mexico City are linked by a single car crash and by the dogs in "
            "each character's life."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=670,
        title="Oldboy",
        original_title="올드보이",
        lang="ko",
        release_date="2003-01-01",
        runtime=120,
        budget=3000000,
        revenue=14980005,
        popularity=56.76349,
        vote_average=8.0,
        vote_count=1945,
        homepage="",
        genres=("Drama", "Thriller", "Mystery", "Action"),
        keywords=((3927, "rage and hate"), (9748, "revenge"), (9957, "loneliness")),
        companies=(("Egg Films", 398), ("Show East", 399)),
        countries=(("KR", "South Korea"),),
        spoken=(("ko", "한국어/조선말"),),
        cast=(
            ("Choi Min-sik", "Oh Dae-su", 64880, 2),
            ("Yoo Ji-tae", "Lee Woo-jin", 10112, 2),
            ("Kang Hye-jung", "Mi-do", 1299317, 1),
        ),
        crew=(("Park Chan-wook", "Director", "Directing", 10099, 2),),
        overview=(
            "A man imprisoned in a hotel room for fifteen years without explanation is suddenly "
            "released and seeks revenge."
        ),
        tagline="15 years of imprisonment, five days of vengeance",
    ),
    _TmdbFilm(
        id=9339,
        title="Click",
        original_title="Click",
        lang="en",
        release_date="2006-06-22",
        runtime=107,
        budget=82500000,
        revenue=237681299,
        popularity=41.176631,
        vote_average=6.0,
        vote_count=2104,
        homepage="",
        genres=("Comedy", "Drama", "Fantasy", "Romance"),
        keywords=((802, "regret"), (1022, "workaholic"), (2301, "architect")),
        companies=(("Original Film", 333), ("Columbia Pictures Corporation", 441)),
        countries=(("US", "United States of America"),),
        spoken=(("en", "English"), ("pt", "Português"), ("ja", "日本語")),
        cast=(
            ("Adam Sandler", "Michael Newman", 19292, 2),
            ("Kate Beckinsale", "Donna Newman", 3967, 1),
            ("Christopher Walken", "Morty", 4690, 2),
        ),
        crew=(
            ("Frank Coraci", "Director", "Directing", 57370, 2),
            ("Steve Koren", "Writer", "Writing", 4485, 2),
        ),
        overview=(
            "An overworked architect gets a universal remote that controls his life, and "
            "fast-forwards past too much of it."
        ),
        tagline="",
    ),
    _TmdbFilm(
        id=380097,
        title="America Is Still the Place",
        original_title="America Is Still the Place",
        lang="en",
        release_date="",
        runtime=0,
        budget=0,
        revenue=0,
        popularity=0.0,
        vote_average=0.0,
        vote_count=0,
        homepage="",
        genres=(),
        keywords=(),
        companies=(),
        countries=(),
        spoken=(),
        cast=(),
        crew=(),
        overview=(
            'A black Korean War veteran builds a business in 1971 San Francisco and, told "no" '
            "at every turn, seizes a chance nobody expected."
        ),
        tagline="",
    ),
)

# TMDB rows whose JSON cells are written truncated (the real files parse cleanly; a builder
# must survive a bad cell, log it, count it and keep the film).
MALFORMED_GENRES_TMDB_ID = 3049
MALFORMED_KEYWORDS_TMDB_ID = 424
MALFORMED_CAST_TMDB_ID = 78

# ----------------------------------------------------------------------------- ReDial

# (ReDial movieId, movieName exactly as in movies_with_mentions.csv, nbMentions) -- real rows.
REDIAL_MOVIE_ROWS: tuple[tuple[int, str, int], ...] = (
    (78874, "Click  (2006)", 136),
    (80067, "Toy Story (1995)", 180),
    (83552, "Jumanji  (2017)", 731),
    (84248, "The City of Lost Children (1995)", 2),
    (85036, "The Matrix (1999)", 270),
    (90253, "The Waterboy (1998)", 104),
    (90950, "Avatar  (2009)", 169),
    (93521, "Harry Potter ", 89),
    (93706, "Signs  (2008)", 1),
    (101264, "Inception (2010)", 245),
    (111776, "Super Troopers (2001)", 124),
    (116328, "Hamlet  (1990)", 1),
    (120948, "Groundhog Day  (1993)", 175),
    (122385, "Dumb and Dumber (1994)", 216),
    (134643, "American Pie  (1999)", 88),
    (143623, "Clueless  (1995)", 68),
    (148821, "The Intouchables (2011)", 2),
    (150451, "Happy Gilmore (1996)", 146),
    (151656, "Police Academy  (1984)", 21),
    (155110, "Signs  (2002)", 17),
    (157394, "The Wedding Singer (1998)", 108),
    (161259, "How to Train Your Dragon ", 18),
    (178472, "Big Daddy  (1999)", 83),
    (181301, "Billy Madison (1995)", 108),
    (182709, "Seven  (1995)", 249),
    (184951, "Scream  (1996)", 149),
    (186635, "Amélie (2001)", 31),
    (192131, "American Pie ", 14),
    (197111, "Signs  (2008)", 32),
    (197213, "Interstellar  (2014)", 149),
    (199038, "Heat  (1996)", 44),
    (202190, "The Shining  (1980)", 294),
    (204334, "Happy Death Day  (2017)", 117),
)

REDIAL_COLUMNS: tuple[str, ...] = ("movieId", "movieName", "nbMentions")
REDIAL_LINK_COLUMNS: tuple[str, ...] = (
    "redial_movieId",
    "redial_movieName",
    "nbMentions",
    "year",
    "ml_movieId",
    "tmdb_id",
    "tmdb_via_movielens",
    "match_rule",
)


@dataclass(frozen=True)
class _Dialogue:
    """One ReDial dialogue. Messages are (sender, text): "S" = seeker, "R" = recommender.

    `answers` gives (seen, liked) per movie id (default (2, 2) = did not say); `suggested`
    is derived from who mentioned the movie first. `initiator_form` / `respondent_form`
    False writes that questions field as the empty list [] (form not filled in).
    """

    conversation_id: str
    seeker: int
    recommender: int
    messages: tuple[tuple[str, str], ...]
    answers: tuple[tuple[int, int, int], ...] = ()
    initiator_form: bool = True
    respondent_form: bool = True


TEST_DIALOGUES: tuple[_Dialogue, ...] = (
    _Dialogue(
        "20001",
        956,
        957,
        (
            (
                "S",
                "Hi there! I'm looking for a comedy from the 90s, but nothing with Adam Sandler "
                "please.",
            ),
            ("R", "Hello! Have you seen @120948? Bill Murray at his best."),
            ("S", "I loved @120948! Something like that would be great."),
            ("R", "Then try @143623 or @122385"),
            ("S", "@122385 is so dumb but I laugh every time. Haven't seen @143623 yet."),
            ("R", "@143623 is a smart teen comedy, you will like it."),
            ("S", "Great, thanks! I did not like @150451 by the way, too much Sandler."),
            ("R", "Fair enough, enjoy the movies!"),
            ("S", "Bye!"),
        ),
        answers=((120948, 1, 1), (143623, 0, 2), (122385, 1, 1), (150451, 1, 0)),
    ),
    _Dialogue(
        "20002",
        958,
        959,
        (
            ("S", "Hello, I like science fiction like @85036"),
            ("R", "If you liked that one, @101264 is a must."),
            ("S", "I've seen @101264, it was great. Anything newer?"),
            ("R", "@197213 is long but worth it."),
            ("S", "Is it like @90950? I found that one boring."),
            ("R", "Not really, more science than spectacle."),
            ("S", "Ha, I'll try @197213 then. Thanks!"),
        ),
        answers=((85036, 1, 1), (101264, 1, 1), (197213, 0, 2), (90950, 1, 0)),
        respondent_form=False,
    ),
    _Dialogue(
        "20003",
        960,
        961,
        (
            ("S", "Hi, can you recommend a scary movie? I loved @202190"),
            ("R", "Sure, @184951 is a classic slasher."),
            ("S", "Seen it. Something recent?"),
            ("R", "@204334 is fun, kind of like @120948 but horror."),
            ("S", "Oh nice, I'll check out @204334"),
            ("R", "Also @93706 if you like suspense."),
            ("S", "I think you mean @197111, the one with the crop circles?"),
            ("R", "Yes that one!"),
            ("S", "Thanks, goodbye."),
        ),
        answers=((202190, 1, 1), (184951, 1, 1), (204334, 0, 1), (120948, 1, 1)),
    ),
    _Dialogue(
        "20004",
        962,
        963,
        (
            ("S", "Hey! I want something with Adam Sandler."),
            ("R", "Have you seen @90253 or @178472?"),
            ("S", "I love @90253! Never saw @178472"),
            ("R", "Also @157394 and @181301 are classics. And @78874 is more recent."),
            ("S", "@78874 made me cry. I'll watch @178472"),
            ("R", "Enjoy!"),
        ),
        answers=((90253, 1, 1), (178472, 0, 2), (157394, 1, 1), (181301, 1, 1), (78874, 1, 1)),
    ),
    _Dialogue(
        "20005",
        964,
        965,
        (
            ("S", "Good evening, I'd like a foreign film, maybe French."),
            ("R", "@186635 is charming, and @148821 is very moving."),
            ("S", "I adored @186635 . Is @148821 a comedy?"),
            ("R", "Yes, a comedy-drama. Or try @84248 if you like strange fairy tales."),
            ("S", "Sounds good, thanks."),
        ),
        answers=((186635, 1, 1), (148821, 0, 2), (84248, 0, 2)),
    ),
    _Dialogue(
        "20006",
        966,
        967,
        (
            ("S", "Hi! Can you suggest something like @151656? I love silly comedies."),
            ("R", "Have you seen @122385? Or @134643?"),
            ("S", "Seen both. I want something from the 80s or 90s."),
            ("R", "Then @199038 is not a comedy but a great 90s crime film."),
            ("S", "Ok I'll try @199038. Thanks."),
        ),
        answers=((151656, 1, 1), (122385, 1, 1), (134643, 1, 1), (199038, 0, 2)),
    ),
)

KGSF_DIALOGUES: tuple[_Dialogue, ...] = (
    _Dialogue(
        "6712",
        301,
        302,
        (
            ("S", "Hi, I'm looking for something for my kids. They loved @80067"),
            ("R", "@161259 is great for kids."),
            ("S", "Seen it twice! Anything else? They've watched all of @93521 already."),
            ("R", "@83552 is fun for older kids."),
            ("S", "Perfect, thank you."),
        ),
        answers=((80067, 1, 1), (161259, 1, 1), (93521, 1, 1), (83552, 0, 2)),
    ),
    _Dialogue(
        "6714",
        303,
        304,
        (
            ("S", "I want a raunchy comedy like @134643"),
            ("R", "Did you see @192131 when it came out? Or @111776?"),
            ("S", "@192131 is the same one haha. @111776 sounds good."),
            ("R", "@111776 is great, go for it."),
        ),
        answers=((134643, 1, 1), (192131, 1, 1), (111776, 0, 2)),
        initiator_form=False,
    ),
)

KEPLER_DIALOGUES: tuple[_Dialogue, ...] = (
    _Dialogue(
        "5848",
        190,
        191,
        (
            ("S", "Hello, I like dark thrillers like @182709"),
            ("R", "Try @155110. If you like Mel Gibson, also @116328, his Hamlet."),
            ("S", "Never saw @116328. @155110 scared me."),
            ("R", "Then @116328 is a safe pick, no aliens."),
        ),
        answers=((182709, 1, 1), (155110, 1, 0), (116328, 0, 2)),
    ),
    _Dialogue(
        "5850",
        192,
        193,
        (
            ("S", "hi, i need an action movie like @85036"),
            ("R", "@90950 has great action"),
            ("S", "i didn't like @90950 much"),
            ("R", "then @197213 or @101264"),
            ("S", "ok @101264 it is"),
        ),
        answers=((85036, 1, 1), (90950, 1, 0), (197213, 0, 2), (101264, 0, 2)),
    ),
)



@dataclass(frozen=True)
class _MoreDialogue:
    """One train_more dialogue, written in its source's layout (key order as in the real file).

    Messages are (role, senderWorkerId, text); role None is written as null (the vachon
    sources). `workers` (initiatorWorkerId, respondentWorkerId) is written only for the
    sources that have the fields. A conversation_id of None is written as null.
    """

    source: str
    conversation_id: str | None
    messages: tuple[tuple[str | None, int | None, str], ...]
    workers: tuple[int, int] | None = None
    partial: bool = False


# _format as in the real files (shortened).
MORE_FORMATS: dict[str, str] = {
    "uss_redial": "USS ReDial.txt: role-labelled utterances; no conversationId",
    "vachon_val_full": "Vachon SentimentAnalysis/Val.csv: ALL messages concatenated into one "
    "string (speaker + message boundaries lost), @ids kept",
    "vachon_prefix_chronotextsr": "Vachon prefix file: text only up to the LAST recommendation "
    "turn (tail missing); S::/R:: speaker turns",
    "vachon_prefix_chrono": "Vachon prefix file: text only up to the LAST recommendation turn "
    "(tail missing); @ids kept, no speaker labels",
}

# redial/train_more/train_more_full.jsonl.gz: complete dialogues.
MORE_FULL_DIALOGUES: tuple[_MoreDialogue, ...] = (
    _MoreDialogue(
        "uss_redial",
        None,
        (
            ("seeker", 0, "hi, any scary movies? I liked @202190"),
            ("recommender", 1, "Sure, @184951 is a fun one."),
            ("seeker", 0, "Seen @184951 twice. Something newer?"),
            ("recommender", 1, "@204334 came out last year."),
            ("seeker", 0, "thanks, bye"),
        ),
        workers=(0, 1),
    ),
    _MoreDialogue(
        "vachon_val_full",
        "6731",
        (
            (
                None,
                None,
                "Hi! I want a sci-fi movie. I loved @101264 Have you seen @85036 ? "
                "Yes, @85036 was great. Then try @197213 Thanks!",
            ),
        ),
    ),
    _MoreDialogue(
        "uss_redial",
        None,
        (
            ("recommender", 1, "Hello! What do you like?"),
            ("seeker", 0, "Comedies like @157394"),
            ("recommender", 1, "@178472 and @181301 then."),
        ),
        workers=(0, 1),
    ),
)

# redial/train_more/train_more_partial.jsonl.gz: dialogues known only up to a prefix.
MORE_PARTIAL_DIALOGUES: tuple[_MoreDialogue, ...] = (
    _MoreDialogue(
        "vachon_prefix_chronotextsr",
        "6741",
        (
            ("seeker", None, "hey, I want something like @143623"),
            ("recommender", None, "ok, maybe @122385 ?"),
            ("seeker", None, "seen it. another?"),
            ("recommender", None, "@150451 or @120948"),
        ),
        partial=True,
    ),
    _MoreDialogue(
        "vachon_prefix_chrono",
        "6742",
        ((None, None, "Hi can you help me find a film for kids I liked @80067 How about @161259"),),
        partial=True,
    ),
)

# ----------------------------------------------------------------------------- Rotten Tomatoes

RT_INFO_COLUMNS: tuple[str, ...] = (
    "id",
    "synopsis",
    "rating",
    "genre",
    "director",
    "writer",
    "theater_date",
    "dvd_date",
    "currency",
    "box_office",
    "runtime",
    "studio",
)
RT_REVIEW_COLUMNS: tuple[str, ...] = (
    "id",
    "review",
    "rating",
    "fresh",
    "critic",
    "top_critic",
    "publisher",
    "date",
)
RT_LINK_COLUMNS: tuple[str, ...] = (
    "rt_id",
    "tmdb_id",
    "tmdb_title",
    "tmdb_year",
    "ml_movieId",
    "match_rule",
)

# rt.movie_info rows (all columns as strings; "" = empty). Ids 1, 3, 7, 305, 401 and 622 are
# real RT ids (synopses rewritten); 2001-2003 are synthetic: a film with no runtime (linked by
# exact year), one with UTF-8 text, and one whose runtime is too far from TMDB's to link.
RT_MOVIES: tuple[tuple[str, ...], ...] = (
    (
        "1",
        'Two New York narcotics detectives, Jimmy "Popeye" Doyle and Buddy Russo, chase a '
        "French heroin smuggler across the city.",
        "R",
        "Action and Adventure|Classics|Drama",
        "William Friedkin",
        "Ernest Tidyman",
        "Oct 9, 1971",
        "Sep 25, 2001",
        "",
        "",
        "104 minutes",
        "",
    ),
    (
        "3",
        "A young billionaire crosses Manhattan in his limousine to get a haircut while his "
        "fortune collapses around him.",
        "R",
        "Drama|Science Fiction and Fantasy",
        "David Cronenberg",
        "David Cronenberg|Don DeLillo",
        "Aug 17, 2012",
        "Jan 1, 2013",
        "$",
        "600,000",
        "108 minutes",
        "Entertainment One",
    ),
    (
        "7",
        "",
        "NR",
        "Drama|Romance",
        "Rodney Bennett",
        "Giles Cooper",
        "",
        "",
        "",
        "",
        "200 minutes",
        "",
    ),
    (
        "305",
        "Rick Deckard, a retired blade runner, is forced back to hunt four replicants who have "
        "returned to Earth.",
        "R",
        "Drama|Science Fiction and Fantasy",
        "Ridley Scott",
        "David Webb Peoples",
        "Jun 25, 1982",
        "Aug 27, 1997",
        "",
        "",
        "114 minutes",
        "",
    ),
    (
        "401",
        "Oskar Schindler, a German industrialist, shelters more than a thousand Polish Jews by "
        "employing them in his factories.",
        "R",
        "Drama",
        "Steven Spielberg",
        "Steven Zaillian",
        "Dec 15, 1993",
        "Mar 9, 2004",
        "",
        "",
        "196 minutes",
        "Universal Pictures",
    ),
    (
        "622",
        "Don Vito Corleone hands his crime family to his youngest son, Michael, who had wanted "
        "no part of it.",
        "R",
        "Drama",
        "Francis Ford Coppola",
        "Francis Ford Coppola|Mario Puzo",
        "Mar 24, 1972",
        "Oct 9, 2001",
        "",
        "",
        "175 minutes",
        "Paramount Pictures",
    ),
    (
        "2001",
        "A hot-headed hockey player discovers he can drive a golf ball four hundred yards.",
        "PG-13",
        "Comedy",
        "Dennis Dugan",
        "Tim Herlihy|Adam Sandler",
        "Feb 16, 1996",
        "Jul 23, 1996",
        "",
        "",
        "",
        "Universal Pictures",
    ),
    (
        "2002",
        "Amélie Poulain, a waitress in a Montmartre café, secretly sets out to improve the "
        "lives of her neighbours.",
        "R",
        "Comedy|Romance",
        "Jean-Pierre Jeunet",
        "Guillaume Laurant|Jean-Pierre Jeunet",
        "Nov 2, 2001",
        "Jul 16, 2002",
        "$",
        "33,201,661",
        "122 minutes",
        "Miramax Films",
    ),
    (
        "2003",
        "Kenneth Branagh plays the Danish prince in this abridged cut of his Shakespeare "
        "adaptation.",
        "PG-13",
        "Drama",
        "Kenneth Branagh",
        "William Shakespeare|Kenneth Branagh",
        "Dec 25, 1996",
        "Aug 14, 2007",
        "",
        "",
        "150 minutes",
        "Columbia Pictures",
    ),
)

# (name, publisher, top_critic, rating style). Names are real critics; the blurbs are not theirs.
RT_CRITICS: tuple[tuple[str, str, int, str], ...] = (
    ("Dennis Schwartz", "Ozus' World Movie Reviews", 0, "letter"),
    ("Emanuel Levy", "EmanuelLevy.Com", 0, "five"),
    ("James Berardinelli", "ReelViews", 0, "four"),
    ("Roger Ebert", "Chicago Sun-Times", 1, "four"),
    ("Jeffrey M. Anderson", "Combustible Celluloid", 0, "four"),
    ("Christopher Null", "Filmcritic.com", 0, "five"),
    ("Janet Maslin", "New York Times", 1, "none"),
    ("Sean Axmaker", "Stream on Demand", 0, "none"),
)

# RT id -> (hook used in the blurbs, number of reviews, share of fresh reviews, first year)
RT_REVIEW_PLAN: dict[int, tuple[str, int, float, int]] = {
    1: ("Friedkin’s gritty chase through Brooklyn", 7, 0.85, 2001),
    3: ("Cronenberg’s limousine odyssey", 7, 0.5, 2012),
    305: ("Ridley Scott’s rain-soaked future noir", 8, 0.8, 1997),
    401: ("Spielberg’s account of Oskar Schindler", 8, 0.95, 2004),
    622: ("Coppola’s family saga", 8, 0.95, 2001),
    2001: ("Sandler’s hockey-player-turned-golfer shtick", 8, 0.4, 1996),
    2002: ("Jeunet’s “Amélie”, a café-sized fairy tale of Montmartre", 8, 0.85, 2001),
    2003: ("Branagh’s shortened Hamlet", 6, 0.6, 2007),
}
# (RT id, index of the review within that film): review text left empty / critic left empty.
RT_EMPTY_TEXT: frozenset[tuple[int, int]] = frozenset({(622, 7), (3, 6)})
RT_NO_CRITIC: frozenset[tuple[int, int]] = frozenset({(1, 2)})

_FRESH_TEMPLATES: tuple[str, ...] = (
    "{H} is a triumph — confident, moving and beautifully made.",
    "It’s hard not to be swept up by {h}; the craft on display is remarkable.",
    "{H} earns every minute of its running time…",
    "Few films manage what {h} does with such apparent ease.",
    "A “must-see”: {h} still feels fresh.",
    'Critics call it a "classic" for a reason: {h} delivers.',
    "Smart, funny and humane, {h} is the real thing. ",
)
_ROTTEN_TEMPLATES: tuple[str, ...] = (
    "{H} is overlong and oddly inert — admire it, don’t love it.",
    "For all its ambition, {h} never quite comes together.",
    "A few inspired moments can’t rescue {h} from its own excesses…",
    "{H} mistakes volume for wit; I checked my watch more than once.",
    "There’s a better film buried somewhere in {h}, but it never surfaces.",
)
_MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# ----------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class SyntheticExpectations:
    """What the generated dataset contains, derived from the rows actually written.

    Item keys are "ml:<movieId>", "tmdb:<id>" and "redial:<movieId>"; `item_members` lists
    every expected catalog item as the sorted tuple of the source keys it merges.
    """

    root: Path
    include_derived_links: bool
    files: tuple[str, ...]  # relative paths written

    # row counts
    n_ml_movies: int
    n_ml_links: int
    n_ratings: int
    n_rating_users: int
    n_tags: int
    n_tmdb_movies: int
    n_tmdb_credits: int
    n_redial_movies: int
    n_redial_test_dialogues: int
    n_redial_train_dialogues: int
    n_redial_test_messages: int
    n_redial_train_messages: int
    n_rt_movies: int
    n_rt_links: int
    n_reviews_rows: int
    n_reviews_with_text: int
    n_reviews_without_text: int
    n_reviews_without_critic: int
    n_reviews_linked: int
    n_review_critics: int

    # catalog items under the dedupe rules of _expected_items
    n_items: int
    item_members: tuple[tuple[str, ...], ...]

    # MovieLens edge cases
    article_moved_ml_id: int
    alt_title_ml_id: int
    aka_title_ml_id: int
    no_year_ml_id: int
    dup_ml_ids: tuple[int, int]
    dup_tmdb_id: int
    same_title_diff_year_ml_ids: tuple[int, int]
    empty_tmdb_link_ml_ids: tuple[int, ...]
    leading_zero_imdb: tuple[int, str]  # (movieId, imdbId as written)

    # TMDB edge cases
    tmdb_linked_ids: tuple[int, ...]  # joined to a MovieLens item through links.csv
    title_year_merge: tuple[int, int]  # (tmdb id, ml movieId) merged by title + year
    original_title_merge: tuple[int, int]  # (tmdb id, ml movieId) merged via original_title
    tmdb_only_ids: tuple[int, ...]  # items of their own
    empty_date_tmdb_id: int
    malformed_genres_tmdb_ids: tuple[int, ...]
    malformed_keywords_tmdb_ids: tuple[int, ...]
    malformed_cast_tmdb_ids: tuple[int, ...]

    # ReDial edge cases (ids are ReDial movieIds)
    redial_ml_linked_ids: tuple[int, ...]
    redial_tmdb_only_linked_ids: tuple[int, ...]  # tmdb_id but no ml_movieId
    redial_unmatched_ids: tuple[int, ...]
    redial_merged_pair: tuple[int, int]
    redial_double_space_ids: tuple[int, ...]
    redial_no_year_ids: tuple[int, ...]
    redial_pm1_link: tuple[int, int]  # (redial id, ml movieId) linked with year off by one
    redial_title_only_links: tuple[tuple[int, int], ...]  # (redial id, ml movieId)
    redial_tmdb_via_movielens: tuple[int, int]  # (redial id, tmdb id)
    redial_links: dict[int, tuple[int | None, int | None]]  # redial id -> (ml, tmdb)
    empty_questions_conversations: tuple[str, ...]
    # ReDial training dialogues by origin (`_source`, else the file name), conversation ids
    # given to dialogues without one, dialogues known only up to a prefix, and for the
    # train_more dialogues the role of each message and the (position, @id) mentions in
    # text order that the catalog should hold
    redial_train_by_origin: dict[str, int]
    redial_synthetic_conversations: tuple[str, ...]
    redial_prefix_conversations: tuple[str, ...]
    redial_more_roles: dict[str, tuple[str, ...]]
    redial_more_mentions: dict[str, tuple[tuple[int, int], ...]]

    # Rotten Tomatoes
    rt_links: dict[int, int]  # rt id -> tmdb id
    rt_linked_ids: tuple[int, ...]
    rt_unlinked_reviewed_ids: tuple[int, ...]  # reviews kept, no item
    rt_exact_year_link: tuple[int, int]  # (rt id, tmdb id) linked without runtime
    non_ascii_review_chars: str  # cp1252 characters that occur in review texts

    # facts for filter tests (MovieLens movieIds unless said otherwise)
    comedy_90s_ml_ids: tuple[int, ...]
    sandler_cast_ml_ids: tuple[int, ...]  # Adam Sandler in the TMDB cast
    sandler_90s_comedy_ml_ids: tuple[int, ...]
    comedy_90s_without_sandler_cast_ml_ids: tuple[int, ...]
    sandler_tagged_only_ml_ids: tuple[int, ...]  # tagged "Adam Sandler", no TMDB cast
    sandler_cast_tmdb_only_ids: tuple[int, ...]
    scifi_ml_ids: tuple[int, ...]
    horror_ml_ids: tuple[int, ...]
    non_english_tmdb_ids: tuple[int, ...]
    over_150_min_tmdb_ids: tuple[int, ...]


# ----------------------------------------------------------------------------- writers


def _csv_text(rows: Iterable[Sequence[object]], *, delimiter: str = ",", newline: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def _write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def _write_gzip(path: Path, data: bytes) -> None:
    # like `gzip -9 -n`: no file name, mtime 0, so the bytes are reproducible
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def _write_zip(path: Path, member: str, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo(member, date_time=(2017, 9, 28, 12, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, data)


def _fmt_float(value: float) -> str:
    return repr(float(value))


def _fmt_rating(value: float) -> str:
    return f"{value:.1f}"


def _credit_id(*parts: object) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()[:24]


def _truncate(json_text: str) -> str:
    """A JSON list cut off mid-object, as a broken export would leave it."""
    return json_text[: max(1, len(json_text) * 2 // 3)]


def _tmdb_cells(film: _TmdbFilm) -> dict[str, str]:
    genres = json.dumps([{"id": TMDB_GENRE_IDS[g], "name": g} for g in film.genres])
    keywords = json.dumps([{"id": k, "name": n} for k, n in film.keywords])
    if film.id == MALFORMED_GENRES_TMDB_ID:
        genres = _truncate(genres)
    if film.id == MALFORMED_KEYWORDS_TMDB_ID:
        keywords = _truncate(keywords)
    return {
        "budget": str(film.budget),
        "genres": genres,
        "homepage": film.homepage,
        "id": str(film.id),
        "keywords": keywords,
        "original_language": film.lang,
        "original_title": film.original_title,
        "overview": film.overview,
        "popularity": _fmt_float(film.popularity),
        "production_companies": json.dumps([{"name": n, "id": i} for n, i in film.companies]),
        "production_countries": json.dumps(
            [{"iso_3166_1": c, "name": n} for c, n in film.countries]
        ),
        "release_date": film.release_date,
        "revenue": str(film.revenue),
        "runtime": "" if film.runtime is None else str(film.runtime),
        "spoken_languages": json.dumps([{"iso_639_1": c, "name": n} for c, n in film.spoken]),
        "status": "Released",
        "tagline": film.tagline,
        "title": film.title,
        "vote_average": _fmt_float(film.vote_average),
        "vote_count": str(film.vote_count),
    }


def _credits_cells(film: _TmdbFilm) -> tuple[str, str, str, str]:
    cast = json.dumps(
        [
            {
                "cast_id": order + 2,
                "character": character,
                "credit_id": _credit_id(film.id, person, "cast"),
                "gender": gender,
                "id": person,
                "name": name,
                "order": order,
            }
            for order, (name, character, person, gender) in enumerate(film.cast)
        ]
    )
    crew = json.dumps(
        [
            {
                "credit_id": _credit_id(film.id, person, job),
                "department": department,
                "gender": gender,
                "id": person,
                "job": job,
                "name": name,
            }
            for name, job, department, person, gender in film.crew
        ]
    )
    if film.id == MALFORMED_CAST_TMDB_ID:
        cast = _truncate(cast)
    return (str(film.id), film.title, cast, crew)


def _ratings_rows() -> list[tuple[int, int, float, int]]:
    rng = random.Random(SEED)
    genres = {mid: set(g.split("|")) for mid, _, g, _, _ in ML_ROWS}
    movie_ids = sorted(genres)
    rows: list[tuple[int, int, float, int]] = []
    for user in range(1, N_USERS + 1):
        taste = _TASTES[(user - 1) % len(_TASTES)]
        base_ts = 964_980_000 + (user - 1) * 7_776_000
        for mid in sorted(rng.sample(movie_ids, RATINGS_PER_USER)):
            score = 3.0 + (1.0 if genres[mid] & taste else -0.5)
            score += rng.choice((-1.0, -0.5, 0.0, 0.0, 0.5, 1.0))
            if user in _SANDLER_HATERS and mid in SANDLER_ML_IDS:
                score -= 1.5
            rating = min(5.0, max(0.5, round(score * 2) / 2))
            rows.append((user, mid, rating, base_ts + rng.randint(0, 30 * 86_400)))
    return rows


def _tags_rows() -> list[tuple[int, int, str, int]]:
    ordered = sorted(TAG_ROWS, key=lambda r: (r[0], r[1]))
    return [
        (user, mid, tag, 1_445_714_994 + user * 1_000_003 + mid % 9_973 + i)
        for i, (user, mid, tag) in enumerate(ordered)
    ]


def _dialogue_json(dialogue: _Dialogue, first_message_id: int) -> tuple[dict[str, object], int]:
    mentioned: list[int] = []
    first_by: dict[int, str] = {}
    messages: list[dict[str, object]] = []
    offset = 0
    message_id = first_message_id
    for sender, text in dialogue.messages:
        for found in re.findall(r"@(\d+)", text):
            mid = int(found)
            if mid not in first_by:
                first_by[mid] = sender
                mentioned.append(mid)
        worker = dialogue.seeker if sender == "S" else dialogue.recommender
        messages.append(
            {"timeOffset": offset, "text": text, "senderWorkerId": worker, "messageId": message_id}
        )
        offset += 12 + len(text) // 2
        message_id += 1
    names = {mid: name for mid, name, _ in REDIAL_MOVIE_ROWS}
    answers = {mid: (seen, liked) for mid, seen, liked in dialogue.answers}
    form = {
        str(mid): {
            "suggested": 0 if first_by[mid] == "S" else 1,
            "seen": answers.get(mid, (2, 2))[0],
            "liked": answers.get(mid, (2, 2))[1],
        }
        for mid in mentioned
    }
    record: dict[str, object] = {
        "movieMentions": {str(mid): names[mid] for mid in mentioned},
        "respondentQuestions": form if dialogue.respondent_form else [],
        "messages": messages,
        "conversationId": dialogue.conversation_id,
        "respondentWorkerId": dialogue.recommender,
        "initiatorWorkerId": dialogue.seeker,
        "initiatorQuestions": dict(form) if dialogue.initiator_form else [],
    }
    return record, message_id


def _dialogues_text(dialogues: Sequence[_Dialogue], first_id: int, *, final_newline: bool) -> str:
    lines = []
    next_id = first_id
    for dialogue in dialogues:
        record, next_id = _dialogue_json(dialogue, next_id)
        lines.append(json.dumps(record))
    return "\n".join(lines) + ("\n" if final_newline else "")


def _more_dialogue_json(dialogue: _MoreDialogue, ordinal: int) -> dict[str, object]:
    names = {mid: name for mid, name, _ in REDIAL_MOVIE_ROWS}
    mentioned = dict.fromkeys(
        int(m) for _, _, text in dialogue.messages for m in re.findall(r"@(\d+)", text)
    )
    messages: list[dict[str, object]] = []
    for role, sender, text in dialogue.messages:
        message: dict[str, object] = {"text": text, "senderWorkerId": sender, "role": role}
        if dialogue.source == "uss_redial":
            message["uss_satisfaction"] = "3,4,3,3" if role == "seeker" else ""
        messages.append(message)
    record: dict[str, object] = {
        "conversationId": dialogue.conversation_id,
        "movieMentions": {str(mid): names[mid] for mid in mentioned},
        "messages": messages,
    }
    if dialogue.workers is not None:
        record["initiatorWorkerId"], record["respondentWorkerId"] = dialogue.workers
    if dialogue.source == "vachon_val_full":
        record["vachon_ratings"] = "[(1903, 1), (1577, 1), (-1, 0), (-1, 0)]"
    elif dialogue.source.startswith("vachon_prefix"):
        record["vachon_rated_uids"] = [79 + ordinal, 1223, 4903]
    record["_source"] = dialogue.source
    if dialogue.partial:
        record["_partial"] = True
    record["_format"] = MORE_FORMATS[dialogue.source]
    record["_alt_sources"] = []
    return record


def _more_dialogues_gz(dialogues: Sequence[_MoreDialogue]) -> bytes:
    lines = [json.dumps(_more_dialogue_json(d, i)) for i, d in enumerate(dialogues, start=1)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def more_conversation_ids(dialogues: Sequence[_MoreDialogue]) -> list[str]:
    """The catalog's ids of a train_more file's dialogues: a dialogue without
    conversationId is `<_source>-<ordinal in the file>` (1-based)."""
    return [d.conversation_id or f"{d.source}-{i}" for i, d in enumerate(dialogues, start=1)]


def _reviews_rows() -> list[tuple[str, ...]]:
    rng = random.Random(SEED + 1)
    rows: list[tuple[str, ...]] = []
    for film_index, (rt_id, (hook, count, fresh_share, first_year)) in enumerate(
        sorted(RT_REVIEW_PLAN.items())
    ):
        for j in range(count):
            name, publisher, top, style = RT_CRITICS[(film_index * 3 + j * 3) % len(RT_CRITICS)]
            fresh = rng.random() < fresh_share
            templates = _FRESH_TEMPLATES if fresh else _ROTTEN_TEMPLATES
            template = templates[(film_index + j) % len(templates)]
            text = template.format(h=hook, H=hook[0].upper() + hook[1:])
            if (rt_id, j) in RT_EMPTY_TEXT:
                text = ""
            critic = "" if (rt_id, j) in RT_NO_CRITIC else name
            score = rng.choice((3.5, 4.0, 4.5, 5.0)) if fresh else rng.choice((1.0, 1.5, 2.0, 2.5))
            rating = _critic_rating(style, score)
            year = first_year + (j * 2) % 9
            date = f"{_MONTHS[(film_index * 5 + j * 7) % 12]} {1 + (j * 11) % 28}, {year}"
            rows.append(
                (
                    str(rt_id),
                    text,
                    rating,
                    "fresh" if fresh else "rotten",
                    critic,
                    str(top),
                    publisher,
                    date,
                )
            )
    return rows


def _critic_rating(style: str, score: float) -> str:
    """score is out of 5; written the way that critic writes it."""
    if style == "five":
        return f"{score:g}/5"
    if style == "four":
        return f"{round(score * 0.8 * 2) / 2:g}/4"
    if style == "letter":
        grades = ("D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A")
        return grades[min(len(grades) - 1, int((score - 1.0) / 4.0 * len(grades)))]
    return ""


# ----------------------------------------------------------------------------- derived links


def _ml_year_index() -> tuple[dict[tuple[str, int | None], int], dict[str, set[int]]]:
    idx: dict[tuple[str, int | None], int] = {}
    by_title: dict[str, set[int]] = {}
    for mid, title, _, _, _ in ML_ROWS:
        name, year = split_year(title)
        key = norm_title(name)
        idx.setdefault((key, year), mid)
        by_title.setdefault(key, set()).add(mid)
    return idx, by_title


def _tmdb_year_index() -> tuple[dict[tuple[str, int | None], int], dict[str, set[int]]]:
    idx: dict[tuple[str, int | None], int] = {}
    by_title: dict[str, set[int]] = {}
    for film in TMDB_FILMS:
        for title in dict.fromkeys((film.title, film.original_title)):
            key = norm_title(title)
            idx.setdefault((key, film.year), film.id)
            by_title.setdefault(key, set()).add(film.id)
    return idx, by_title


def _match(
    key: str,
    year: int | None,
    idx: dict[tuple[str, int | None], int],
    by_title: dict[str, set[int]],
) -> tuple[int | None, str]:
    """The tiers of shared/data/tools/link_redial_movies.py."""
    if year is not None:
        if (key, year) in idx:
            return idx[(key, year)], "title+year"
        for other in (year - 1, year + 1):
            if (key, other) in idx:
                return idx[(key, other)], "title+year_pm1"
    elif len(by_title.get(key, ())) == 1:
        return next(iter(by_title[key])), "title_only_unique"
    return None, ""


def redial_link_rows() -> list[tuple[int, str, int, int | None, int | None, int | None, int, str]]:
    """redial_movie_links.csv rows: (id, name, mentions, year, ml id, tmdb id, via_ml, rule)."""
    ml_idx, ml_by_title = _ml_year_index()
    tm_idx, tm_by_title = _tmdb_year_index()
    ml_to_tmdb = {mid: int(tmdb) for mid, _, _, _, tmdb in ML_ROWS if tmdb}
    tmdb_ids = {film.id for film in TMDB_FILMS}
    rows = []
    for rid, name, mentions in REDIAL_MOVIE_ROWS:
        title, year = split_year(name)
        key = norm_title(title)
        ml_id, ml_rule = _match(key, year, ml_idx, ml_by_title)
        tm_id, tm_rule = _match(key, year, tm_idx, tm_by_title)
        via_ml = 0
        if tm_id is None and ml_id is not None and ml_to_tmdb.get(ml_id) in tmdb_ids:
            tm_id = ml_to_tmdb[ml_id]
            via_ml = 1
        rows.append((rid, name, mentions, year, ml_id, tm_id, via_ml, ml_rule or tm_rule))
    return rows


def _rt_year(date_text: str) -> int | None:
    try:
        return datetime.strptime(date_text, "%b %d, %Y").year
    except ValueError:
        return None


def rt_link_rows() -> list[tuple[int, int, str, int, int | None, str]]:
    """rt_movie_links.csv rows with the rule of shared/data/tools/link_rt_flatiron.py."""
    films = {film.id: film for film in TMDB_FILMS}
    directed: dict[str, set[int]] = {}
    for film in TMDB_FILMS:
        for name, job, _, _, _ in film.crew:
            if job == "Director":
                directed.setdefault(norm_name(name), set()).add(film.id)
    tmdb_to_ml: dict[int, int] = {}
    for mid, _, _, _, tmdb in ML_ROWS:
        if tmdb:
            tmdb_to_ml[int(tmdb)] = mid  # last row wins, as in the tool's dict comprehension
    rows = []
    for info in RT_MOVIES:
        rt_id, director, theater, runtime = int(info[0]), info[4], info[6], info[10]
        if not director or not theater:
            continue
        year = _rt_year(theater)
        if year is None:
            continue
        cands: set[int] = set()
        for person in director.split("|"):
            cands |= directed.get(norm_name(person), set())
        near = [c for c in cands if (y := films[c].year) is not None and abs(y - year) <= 1]
        if runtime:
            minutes = float(runtime.split()[0])
            kept = [
                c for c in near if (m := films[c].runtime) is not None and abs(m - minutes) <= 6
            ]
            rule = "director+year+runtime"
        else:
            kept = [c for c in near if films[c].year == year]
            rule = "director+exact_year"
        if len(kept) != 1:
            continue
        film = films[kept[0]]
        assert film.year is not None
        rows.append((rt_id, film.id, film.title, film.year, tmdb_to_ml.get(film.id), rule))
    return sorted(rows)


# ----------------------------------------------------------------------------- expected items


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def add(self, key: str) -> None:
        self.parent.setdefault(key, key)

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        self.add(a)
        self.add(b)
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def groups(self) -> tuple[tuple[str, ...], ...]:
        out: dict[str, list[str]] = {}
        for key in self.parent:
            out.setdefault(self.find(key), []).append(key)
        return tuple(sorted(tuple(sorted(members, key=_key_order)) for members in out.values()))


def _key_order(key: str) -> tuple[int, int]:
    source, _, ident = key.partition(":")
    return ({"ml": 0, "tmdb": 1, "redial": 2}[source], int(ident))


def _expected_items(
    redial_links: Sequence[tuple[int, str, int, int | None, int | None, int | None, int, str]],
) -> tuple[_UnionFind, dict[int, str]]:
    """Apply the catalog dedupe rules; return the groups and how each TMDB film was placed.

    * Every MovieLens movieId is in an item; MovieLens rows sharing a links.csv tmdbId are one.
    * A TMDB film joins the MovieLens item whose tmdbId is its id ("links"), else the
      MovieLens item with the same norm_title (year split off) and year, trying the TMDB
      title and then original_title ("title" / "original_title"), else is an item ("own").
    * A ReDial movie joins the item of its ml_movieId, else of its tmdb_id (the derived
      redial_movie_links.csv rows), else an item with the same normalised title and year
      (MovieLens titles, TMDB titles and original titles, earlier unmatched ReDial names),
      else is an item of its own.
    Keys are (norm_title, year) with year None when missing; empty norm_titles (titles
    in non-Latin scripts) never match.
    """
    uf = _UnionFind()
    by_tmdb: dict[int, str] = {}
    title_year: dict[tuple[str, int | None], str] = {}
    for mid, title, _, _, tmdb in ML_ROWS:
        key = f"ml:{mid}"
        uf.add(key)
        if tmdb:
            if int(tmdb) in by_tmdb:
                uf.union(by_tmdb[int(tmdb)], key)
            else:
                by_tmdb[int(tmdb)] = key
        name, year = split_year(title)
        norm = norm_title(name)
        if norm:
            title_year.setdefault((norm, year), key)
    placement: dict[int, str] = {}
    for film in TMDB_FILMS:
        key = f"tmdb:{film.id}"
        uf.add(key)
        if film.id in by_tmdb:
            uf.union(by_tmdb[film.id], key)
            placement[film.id] = "links"
            continue
        placement[film.id] = "own"
        for rule, title in (("title", film.title), ("original_title", film.original_title)):
            target = title_year.get((norm_title(title), film.year))
            if norm_title(title) and target is not None and target.startswith("ml:"):
                uf.union(target, key)
                placement[film.id] = rule
                break
    # TMDB titles join the title+year index after the TMDB pass, so ReDial can find them
    for film in TMDB_FILMS:
        for title in (film.title, film.original_title):
            if norm_title(title):
                title_year.setdefault((norm_title(title), film.year), f"tmdb:{film.id}")
    for rid, name, _, year, ml_id, tm_id, _, _ in redial_links:
        key = f"redial:{rid}"
        uf.add(key)
        if ml_id is not None:
            uf.union(f"ml:{ml_id}", key)
        elif tm_id is not None:
            uf.union(f"tmdb:{tm_id}", key)
        else:
            norm = norm_title(split_year(name)[0])
            target = title_year.get((norm, year))
            if target is not None:
                uf.union(target, key)
            else:
                title_year[(norm, year)] = key
    return uf, placement


# ----------------------------------------------------------------------------- main entry


def write_synthetic_dataset(
    root: Path, *, include_derived_links: bool = True
) -> SyntheticExpectations:
    """Write the synthetic source folder under `root` and describe what it holds.

    With include_derived_links=False, redial_movie_links.csv and rt_movie_links.csv are
    left out (the builder must then recompute them).
    """
    root = Path(root)
    written: list[str] = []

    def text(rel: str, content: str, encoding: str = "utf-8") -> None:
        _write_text(root / rel, content, encoding)
        written.append(rel)

    # MovieLens
    text(
        ML_MOVIES,
        _csv_text(
            [("movieId", "title", "genres"), *((m, t, g) for m, t, g, _, _ in ML_ROWS)],
            newline=CRLF,
        ),
    )
    text(
        ML_LINKS,
        _csv_text(
            [("movieId", "imdbId", "tmdbId"), *((m, i, t) for m, _, _, i, t in ML_ROWS)],
            newline=CRLF,
        ),
    )
    ratings = _ratings_rows()
    text(
        ML_RATINGS,
        _csv_text(
            [
                ("userId", "movieId", "rating", "timestamp"),
                *((u, m, _fmt_rating(r), ts) for u, m, r, ts in ratings),
            ],
            newline=CRLF,
        ),
    )
    tags = _tags_rows()
    text(ML_TAGS, _csv_text([("userId", "movieId", "tag", "timestamp"), *tags], newline=CRLF))

    # TMDB
    movies_csv = _csv_text(
        [TMDB_COLUMNS, *([_tmdb_cells(f)[c] for c in TMDB_COLUMNS] for f in TMDB_FILMS)],
        newline=LF,
    )
    _write_zip(root / TMDB_MOVIES_ZIP, TMDB_MOVIES_MEMBER, movies_csv.encode("utf-8"))
    written.append(TMDB_MOVIES_ZIP)
    credits_csv = _csv_text([CREDITS_COLUMNS, *(_credits_cells(f) for f in TMDB_FILMS)], newline=LF)
    _write_gzip(root / TMDB_CREDITS_GZ, credits_csv.encode("utf-8"))
    written.append(TMDB_CREDITS_GZ)

    # ReDial
    text(REDIAL_MOVIES, _csv_text([REDIAL_COLUMNS, *REDIAL_MOVIE_ROWS], newline=CRLF))
    text(REDIAL_TEST, _dialogues_text(TEST_DIALOGUES, 204171, final_newline=True))
    text(REDIAL_KGSF, _dialogues_text(KGSF_DIALOGUES, 150001, final_newline=True))
    # the real kepler file has no newline after its last line
    text(REDIAL_KEPLER, _dialogues_text(KEPLER_DIALOGUES, 160001, final_newline=False))
    for rel, more in ((REDIAL_MORE_FULL, MORE_FULL_DIALOGUES),
                      (REDIAL_MORE_PARTIAL, MORE_PARTIAL_DIALOGUES)):
        _write_gzip(root / rel, _more_dialogues_gz(more))
        written.append(rel)
    redial_links = redial_link_rows()
    if include_derived_links:
        text(
            REDIAL_LINKS,
            _csv_text(
                [
                    REDIAL_LINK_COLUMNS,
                    *(
                        (rid, name, n, _blank(y), _blank(ml), _blank(tm), via, rule)
                        for rid, name, n, y, ml, tm, via, rule in redial_links
                    ),
                ],
                newline=LF,
            ),
        )

    # Rotten Tomatoes
    reviews = _reviews_rows()
    _write_gzip(
        root / RT_REVIEWS_GZ,
        _csv_text([RT_REVIEW_COLUMNS, *reviews], delimiter="\t", newline=CRLF).encode("cp1252"),
    )
    written.append(RT_REVIEWS_GZ)
    _write_gzip(
        root / RT_INFO_GZ,
        _csv_text([RT_INFO_COLUMNS, *RT_MOVIES], delimiter="\t", newline=CRLF).encode("utf-8"),
    )
    written.append(RT_INFO_GZ)
    rt_links = rt_link_rows()
    if include_derived_links:
        text(
            RT_LINKS,
            _csv_text(
                [
                    RT_LINK_COLUMNS,
                    *((r, t, title, y, _blank(ml), rule) for r, t, title, y, ml, rule in rt_links),
                ],
                newline=LF,
            ),
        )

    return _expectations(root, include_derived_links, tuple(written), ratings, tags, reviews)


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


def _expectations(
    root: Path,
    include_derived_links: bool,
    written: tuple[str, ...],
    ratings: Sequence[tuple[int, int, float, int]],
    tags: Sequence[tuple[int, int, str, int]],
    reviews: Sequence[tuple[str, ...]],
) -> SyntheticExpectations:
    redial_links = redial_link_rows()
    rt_links = rt_link_rows()
    uf, placement = _expected_items(redial_links)
    groups = uf.groups()

    ml_by_id = {mid: (title, genres, imdb, tmdb) for mid, title, genres, imdb, tmdb in ML_ROWS}
    tmdb_to_ml: dict[int, list[int]] = {}
    for mid, (_, _, _, tmdb) in ml_by_id.items():
        if tmdb:
            tmdb_to_ml.setdefault(int(tmdb), []).append(mid)

    def ml_year(mid: int) -> int | None:
        return split_year(ml_by_id[mid][0])[1]

    def ml_genres(mid: int) -> set[str]:
        return set(ml_by_id[mid][1].split("|"))

    dup_groups = [mids for mids in tmdb_to_ml.values() if len(mids) > 1]
    assert len(dup_groups) == 1, dup_groups
    dup_ml = tuple(sorted(dup_groups[0]))
    same_title: list[int] = []
    by_norm: dict[str, list[int]] = {}
    for mid, (title, _, _, _) in ml_by_id.items():
        name, _ = split_year(title)
        by_norm.setdefault(norm_title(name), []).append(mid)
    for mids in by_norm.values():
        if len({ml_year(m) for m in mids}) > 1:
            same_title.extend(mids)
    assert len(same_title) == 2, same_title

    # where each TMDB film went
    merged = {p: [i for i, how in placement.items() if how == p] for p in set(placement.values())}
    title_merge = merged.get("title", [])
    orig_merge = merged.get("original_title", [])
    assert len(title_merge) == 1 and len(orig_merge) == 1, merged

    def ml_partner(tmdb_id: int) -> int:
        group = next(g for g in groups if f"tmdb:{tmdb_id}" in g)
        return min(int(k[3:]) for k in group if k.startswith("ml:"))

    # ReDial
    redial_ml = tuple(r[0] for r in redial_links if r[4] is not None)
    redial_tmdb_only = tuple(r[0] for r in redial_links if r[4] is None and r[5] is not None)
    unmatched = tuple(r[0] for r in redial_links if r[4] is None and r[5] is None)
    merged_pairs = [
        tuple(sorted(int(k[7:]) for k in g))
        for g in groups
        if all(k.startswith("redial:") for k in g) and len(g) > 1
    ]
    assert len(merged_pairs) == 1 and len(merged_pairs[0]) == 2, merged_pairs
    pm1 = [(r[0], r[4]) for r in redial_links if r[7] == "title+year_pm1"]
    title_only = tuple((r[0], r[4]) for r in redial_links if r[7] == "title_only_unique")
    via_ml = [(r[0], r[5]) for r in redial_links if r[6] == 1]
    assert len(pm1) == 1 and len(via_ml) == 1, (pm1, via_ml)
    empty_forms = tuple(
        d.conversation_id
        for d in (*TEST_DIALOGUES, *KGSF_DIALOGUES, *KEPLER_DIALOGUES)
        if not (d.initiator_form and d.respondent_form)
    )

    more = (*MORE_FULL_DIALOGUES, *MORE_PARTIAL_DIALOGUES)
    more_ids = more_conversation_ids(MORE_FULL_DIALOGUES) + more_conversation_ids(
        MORE_PARTIAL_DIALOGUES
    )
    by_origin = Counter({"kgsf_valid_data.jsonl": len(KGSF_DIALOGUES),
                         "kepler_train_data_subset.jsonl": len(KEPLER_DIALOGUES)})
    by_origin.update(d.source for d in more)
    assert all(role or sender is None for d in more for role, sender, _ in d.messages)
    more_roles = {
        conv: tuple(role or "unknown" for role, _, _ in d.messages)
        for conv, d in zip(more_ids, more, strict=True)
    }
    more_mentions = {
        conv: tuple(
            (pos, int(rid))
            for pos, (_, _, text) in enumerate(d.messages)
            for rid in dict.fromkeys(re.findall(r"@(\d+)", text))
        )
        for conv, d in zip(more_ids, more, strict=True)
    }

    # RT
    rt_link_map = {r[0]: r[1] for r in rt_links}
    with_text = [r for r in reviews if r[1]]
    reviewed_ids = sorted({int(r[0]) for r in reviews})
    exact_year = [(r[0], r[1]) for r in rt_links if r[5] == "director+exact_year"]
    assert len(exact_year) == 1, exact_year
    non_ascii = "".join(sorted({c for r in with_text for c in r[1] if ord(c) > 127}))

    # filter facts
    sandler_tmdb = sorted(
        f.id for f in TMDB_FILMS if any(name == "Adam Sandler" for name, *_ in f.cast)
    )
    sandler_ml = sorted(m for t in sandler_tmdb for m in tmdb_to_ml.get(t, []))
    comedy_90s = sorted(
        m for m in ml_by_id if "Comedy" in ml_genres(m) and 1990 <= (ml_year(m) or 0) <= 1999
    )
    tagged_sandler = sorted({m for _, m, tag, _ in tags if tag == "Adam Sandler"})

    return SyntheticExpectations(
        root=root,
        include_derived_links=include_derived_links,
        files=written,
        n_ml_movies=len(ML_ROWS),
        n_ml_links=len(ML_ROWS),
        n_ratings=len(ratings),
        n_rating_users=len({r[0] for r in ratings}),
        n_tags=len(tags),
        n_tmdb_movies=len(TMDB_FILMS),
        n_tmdb_credits=len(TMDB_FILMS),
        n_redial_movies=len(REDIAL_MOVIE_ROWS),
        n_redial_test_dialogues=len(TEST_DIALOGUES),
        n_redial_train_dialogues=len(KGSF_DIALOGUES) + len(KEPLER_DIALOGUES) + len(more),
        n_redial_test_messages=sum(len(d.messages) for d in TEST_DIALOGUES),
        n_redial_train_messages=sum(len(d.messages) for d in (*KGSF_DIALOGUES, *KEPLER_DIALOGUES))
        + sum(len(d.messages) for d in more),
        n_rt_movies=len(RT_MOVIES),
        n_rt_links=len(rt_links),
        n_reviews_rows=len(reviews),
        n_reviews_with_text=len(with_text),
        n_reviews_without_text=len(reviews) - len(with_text),
        n_reviews_without_critic=sum(1 for r in reviews if not r[4]),
        n_reviews_linked=sum(1 for r in with_text if int(r[0]) in rt_link_map),
        n_review_critics=len({r[4] for r in reviews if r[4]}),
        n_items=len(groups),
        item_members=groups,
        article_moved_ml_id=2571,
        alt_title_ml_id=29,
        aka_title_ml_id=47,
        no_year_ml_id=next(m for m in ml_by_id if ml_year(m) is None),
        dup_ml_ids=(dup_ml[0], dup_ml[1]),
        dup_tmdb_id=int(ml_by_id[dup_ml[0]][3]),
        same_title_diff_year_ml_ids=(same_title[0], same_title[1]),
        empty_tmdb_link_ml_ids=tuple(m for m, (_, _, _, t) in ml_by_id.items() if not t),
        leading_zero_imdb=(1, ml_by_id[1][2]),
        tmdb_linked_ids=tuple(sorted(i for i, how in placement.items() if how == "links")),
        title_year_merge=(title_merge[0], ml_partner(title_merge[0])),
        original_title_merge=(orig_merge[0], ml_partner(orig_merge[0])),
        tmdb_only_ids=tuple(sorted(i for i, how in placement.items() if how == "own")),
        empty_date_tmdb_id=next(f.id for f in TMDB_FILMS if not f.release_date),
        malformed_genres_tmdb_ids=(MALFORMED_GENRES_TMDB_ID,),
        malformed_keywords_tmdb_ids=(MALFORMED_KEYWORDS_TMDB_ID,),
        malformed_cast_tmdb_ids=(MALFORMED_CAST_TMDB_ID,),
        redial_ml_linked_ids=redial_ml,
        redial_tmdb_only_linked_ids=redial_tmdb_only,
        redial_unmatched_ids=unmatched,
        redial_merged_pair=(merged_pairs[0][0], merged_pairs[0][1]),
        redial_double_space_ids=tuple(r for r, name, _ in REDIAL_MOVIE_ROWS if "  (" in name),
        redial_no_year_ids=tuple(
            r for r, name, _ in REDIAL_MOVIE_ROWS if split_year(name)[1] is None
        ),
        redial_pm1_link=(pm1[0][0], _req(pm1[0][1])),
        redial_title_only_links=tuple((r, _req(m)) for r, m in title_only),
        redial_tmdb_via_movielens=(via_ml[0][0], _req(via_ml[0][1])),
        redial_links={r[0]: (r[4], r[5]) for r in redial_links},
        empty_questions_conversations=empty_forms,
        redial_train_by_origin=dict(sorted(by_origin.items())),
        redial_synthetic_conversations=tuple(
            conv for conv, d in zip(more_ids, more, strict=True) if d.conversation_id is None
        ),
        redial_prefix_conversations=tuple(
            conv for conv, d in zip(more_ids, more, strict=True) if d.partial
        ),
        redial_more_roles=more_roles,
        redial_more_mentions=more_mentions,
        rt_links=rt_link_map,
        rt_linked_ids=tuple(sorted(rt_link_map)),
        rt_unlinked_reviewed_ids=tuple(i for i in reviewed_ids if i not in rt_link_map),
        rt_exact_year_link=exact_year[0],
        non_ascii_review_chars=non_ascii,
        comedy_90s_ml_ids=tuple(comedy_90s),
        sandler_cast_ml_ids=tuple(sandler_ml),
        sandler_90s_comedy_ml_ids=tuple(m for m in comedy_90s if m in sandler_ml),
        comedy_90s_without_sandler_cast_ml_ids=tuple(m for m in comedy_90s if m not in sandler_ml),
        sandler_tagged_only_ml_ids=tuple(m for m in tagged_sandler if m not in sandler_ml),
        sandler_cast_tmdb_only_ids=tuple(t for t in sandler_tmdb if t not in tmdb_to_ml),
        scifi_ml_ids=tuple(sorted(m for m in ml_by_id if "Sci-Fi" in ml_genres(m))),
        horror_ml_ids=tuple(sorted(m for m in ml_by_id if "Horror" in ml_genres(m))),
        non_english_tmdb_ids=tuple(sorted(f.id for f in TMDB_FILMS if f.lang != "en")),
        over_150_min_tmdb_ids=tuple(
            sorted(f.id for f in TMDB_FILMS if f.runtime is not None and f.runtime > 150)
        ),
    )


def _req(value: int | None) -> int:
    assert value is not None
    return value
