"""The catalog's SQLite schema. Bump SCHEMA_VERSION whenever it changes: readers refuse a
catalog of another version and tell the user to rebuild it."""

SCHEMA_VERSION = 3  # 2: production companies; 3: redial_dialogues.origin and .complete

# Canonical item ids are stable across rebuilds, so feedback logs, sessions and
# trained models that store them stay valid: a MovieLens film keeps its movieId,
# a TMDB-only film is TMDB_ID_BASE + tmdb id, a ReDial-only film is
# REDIAL_ID_BASE + ReDial movie id.
TMDB_ID_BASE = 1_000_000
REDIAL_ID_BASE = 2_000_000

DDL = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE items (
    item_id           INTEGER PRIMARY KEY,
    title             TEXT NOT NULL,
    year              INTEGER,
    norm_title        TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('movielens', 'tmdb', 'redial')),
    ml_movie_id       INTEGER UNIQUE,
    tmdb_id           INTEGER,
    imdb_id           TEXT,
    has_tmdb          INTEGER NOT NULL DEFAULT 0,
    original_title    TEXT,
    original_language TEXT,
    overview          TEXT,
    tagline           TEXT,
    runtime           INTEGER,
    release_date      TEXT,
    vote_average      REAL,
    vote_count        INTEGER,
    popularity        REAL,
    budget            INTEGER,
    revenue           INTEGER,
    rating_mean       REAL,
    rating_count      INTEGER NOT NULL DEFAULT 0,
    redial_mentions   INTEGER NOT NULL DEFAULT 0
);

-- Every source id that names an item: several MovieLens ids can name one film.
CREATE TABLE item_sources (
    source    TEXT NOT NULL CHECK (source IN ('movielens', 'tmdb', 'imdb', 'redial', 'rt')),
    source_id TEXT NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES items(item_id),
    PRIMARY KEY (source, source_id)
);

-- Every known title of an item (display, original, alternative, as written in ReDial).
CREATE TABLE item_titles (
    item_id    INTEGER NOT NULL REFERENCES items(item_id),
    title      TEXT NOT NULL,
    norm_title TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('display', 'original', 'alias', 'redial')),
    PRIMARY KEY (item_id, norm_title)
);

CREATE TABLE genres (
    genre_id INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE
);

CREATE TABLE item_genres (
    item_id  INTEGER NOT NULL REFERENCES items(item_id),
    genre_id INTEGER NOT NULL REFERENCES genres(genre_id),
    source   TEXT NOT NULL CHECK (source IN ('movielens', 'tmdb', 'both')),
    PRIMARY KEY (item_id, genre_id)
);

CREATE TABLE people (
    person_id INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    norm_name TEXT NOT NULL,
    gender    INTEGER
);

CREATE TABLE credits (
    item_id   INTEGER NOT NULL REFERENCES items(item_id),
    person_id INTEGER NOT NULL REFERENCES people(person_id),
    role      TEXT NOT NULL CHECK (role IN ('actor', 'director', 'writer')),
    character TEXT,
    ord       INTEGER NOT NULL,
    PRIMARY KEY (item_id, person_id, role)
);

CREATE TABLE keywords (
    keyword_id INTEGER PRIMARY KEY,
    name       TEXT NOT NULL
);

-- TMDB production companies ("Pixar Animation Studios"), for "no Pixar", "a Ghibli film".
CREATE TABLE companies (
    company_id INTEGER PRIMARY KEY,
    name       TEXT NOT NULL
);

CREATE TABLE item_companies (
    item_id    INTEGER NOT NULL REFERENCES items(item_id),
    company_id INTEGER NOT NULL REFERENCES companies(company_id),
    PRIMARY KEY (item_id, company_id)
);

CREATE TABLE item_keywords (
    item_id    INTEGER NOT NULL REFERENCES items(item_id),
    keyword_id INTEGER NOT NULL REFERENCES keywords(keyword_id),
    PRIMARY KEY (item_id, keyword_id)
);

-- MovieLens ratings, one row per source row: a user who rated both MovieLens
-- ids of a duplicated film keeps both rows.
CREATE TABLE ratings (
    user_id     INTEGER NOT NULL,
    ml_movie_id INTEGER NOT NULL,
    item_id     INTEGER NOT NULL REFERENCES items(item_id),
    rating      REAL NOT NULL,
    ts          INTEGER NOT NULL,
    PRIMARY KEY (user_id, ml_movie_id)
);

CREATE TABLE tags (
    user_id     INTEGER NOT NULL,
    ml_movie_id INTEGER NOT NULL,
    item_id     INTEGER NOT NULL REFERENCES items(item_id),
    tag         TEXT NOT NULL,
    ts          INTEGER NOT NULL
);

-- Rotten Tomatoes movies (the source has no titles); linked to an item where
-- the director + year + runtime rule finds exactly one film.
CREATE TABLE rt_movies (
    rt_movie_id  INTEGER PRIMARY KEY,
    item_id      INTEGER REFERENCES items(item_id),
    match_rule   TEXT,
    director     TEXT,
    theater_date TEXT,
    runtime      INTEGER,
    genre        TEXT,
    synopsis     TEXT
);

CREATE TABLE reviews (
    review_id   INTEGER PRIMARY KEY,
    rt_movie_id INTEGER NOT NULL,
    item_id     INTEGER REFERENCES items(item_id),
    critic      TEXT,
    top_critic  INTEGER NOT NULL DEFAULT 0,
    publisher   TEXT,
    text        TEXT NOT NULL,
    score_raw   TEXT,
    score       REAL,
    fresh       INTEGER,
    date        TEXT
);

CREATE TABLE redial_movies (
    redial_movie_id INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    nb_mentions     INTEGER NOT NULL,
    item_id         INTEGER NOT NULL REFERENCES items(item_id),
    match_rule      TEXT
);

-- conversation_id: ReDial's id, or '<origin>-<ordinal in file>' for a dialogue that has
-- none (never all digits). origin: the `_source` a train_more dialogue names, else the
-- file name without compression suffix. complete: 0 for a dialogue known only up to a
-- prefix (`_partial`).
CREATE TABLE redial_dialogues (
    conversation_id TEXT PRIMARY KEY,
    split           TEXT NOT NULL CHECK (split IN ('train', 'test')),
    source_file     TEXT NOT NULL,
    origin          TEXT NOT NULL,
    complete        INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
    seeker_id       INTEGER,
    recommender_id  INTEGER,
    n_messages      INTEGER NOT NULL
);

CREATE TABLE redial_messages (
    conversation_id TEXT NOT NULL REFERENCES redial_dialogues(conversation_id),
    position        INTEGER NOT NULL,
    message_id      INTEGER,
    sender_id       INTEGER,
    role            TEXT NOT NULL CHECK (role IN ('seeker', 'recommender', 'unknown')),
    text            TEXT NOT NULL,
    time_offset     INTEGER,
    PRIMARY KEY (conversation_id, position)
);

-- Each @id written in a message, resolved to an item.
CREATE TABLE redial_message_mentions (
    conversation_id TEXT NOT NULL,
    position        INTEGER NOT NULL,
    redial_movie_id INTEGER NOT NULL,
    item_id         INTEGER NOT NULL REFERENCES items(item_id),
    PRIMARY KEY (conversation_id, position, redial_movie_id)
);

-- The films of a dialogue (movieMentions) with the seeker's and recommender's
-- answers about them (suggested / seen / liked; 2 = did not say).
CREATE TABLE redial_mentions (
    conversation_id TEXT NOT NULL REFERENCES redial_dialogues(conversation_id),
    redial_movie_id INTEGER NOT NULL,
    item_id         INTEGER NOT NULL REFERENCES items(item_id),
    name            TEXT,
    seeker_suggested INTEGER, seeker_seen INTEGER, seeker_liked INTEGER,
    recommender_suggested INTEGER, recommender_seen INTEGER, recommender_liked INTEGER,
    PRIMARY KEY (conversation_id, redial_movie_id)
);
"""

INDEXES = """
CREATE INDEX idx_items_year ON items(year);
CREATE INDEX idx_items_norm_title ON items(norm_title);
CREATE INDEX idx_items_tmdb ON items(tmdb_id);
CREATE INDEX idx_item_sources_item ON item_sources(item_id);
CREATE INDEX idx_item_titles_norm ON item_titles(norm_title);
CREATE INDEX idx_item_genres_genre ON item_genres(genre_id);
CREATE INDEX idx_people_norm ON people(norm_name);
CREATE INDEX idx_credits_person ON credits(person_id, role);
CREATE INDEX idx_item_keywords_kw ON item_keywords(keyword_id);
CREATE INDEX idx_item_companies_co ON item_companies(company_id);
CREATE INDEX idx_ratings_item ON ratings(item_id);
CREATE INDEX idx_tags_item ON tags(item_id);
CREATE INDEX idx_reviews_item ON reviews(item_id);
CREATE INDEX idx_reviews_critic ON reviews(critic);
CREATE INDEX idx_redial_messages_conv ON redial_messages(conversation_id);
CREATE INDEX idx_redial_mm_item ON redial_message_mentions(item_id);
"""
