import pytest

from convrec.catalog.normalize import (
    canonical_genre,
    norm_name,
    norm_title,
    parse_movielens_title,
    parse_review_score,
    split_year,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Heat (1995)", ("Heat", 1995)),
        ("Police Academy  (1984)", ("Police Academy", 1984)),
        ("Babylon 5", ("Babylon 5", None)),
        ("1984 (1984)", ("1984", 1984)),
    ],
)
def test_split_year(raw, expected):
    assert split_year(raw) == expected


@pytest.mark.parametrize(
    ("raw", "title", "year", "aliases"),
    [
        ("Matrix, The (1999)", "The Matrix", 1999, []),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            "The City of Lost Children", 1995, ["La Cité des enfants perdus"],
        ),
        ("Seven (a.k.a. Se7en) (1995)", "Seven", 1995, ["Se7en"]),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009, []),
        ("Babylon 5", "Babylon 5", None, []),
    ],
)
def test_parse_movielens_title(raw, title, year, aliases):
    assert parse_movielens_title(raw) == (title, year, aliases)


def test_norm_title_ignores_articles_accents_and_punctuation():
    assert norm_title("Matrix, The") == norm_title("The Matrix") == "thematrix"
    assert norm_title("Amélie") == norm_title("Amelie")
    assert norm_title("Fast & Furious") == norm_title("Fast and Furious")
    assert norm_title("Léon: The Professional") == "leontheprofessional"


def test_norm_name():
    assert norm_name("Renée Zellweger") == norm_name("Renee  Zellweger") == "reneezellweger"


@pytest.mark.parametrize(
    ("raw", "genre"),
    [("Sci-Fi", "Science Fiction"), ("Science Fiction", "Science Fiction"),
     ("Children", "Family"), ("IMAX", None), ("(no genres listed)", None),
     ("comedy", "Comedy"), ("Film-Noir", "Film-Noir"), ("", None)],
)
def test_canonical_genre(raw, genre):
    assert canonical_genre(raw) == genre


@pytest.mark.parametrize(
    ("raw", "score"),
    [("3/5", 0.6), ("8.5/10", 0.85), ("B+", 0.85), ("a-", 0.9), ("", None), (None, None),
     ("7/5", None), ("excellent", None), ("0/4", 0.0)],
)
def test_parse_review_score(raw, score):
    assert parse_review_score(raw) == score
