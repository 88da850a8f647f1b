"""The claim checker: every content claim of a reply must be grounded in the turn's data.

The three classes of false intro the embedded model wrote (an invented film or person, an
invented plot, a genre nobody asked for) must be caught; true intros, phrased with the
turn's own facts, must pass. No catalog is needed: the grounds come from the ledger, the
message and the cards alone.
"""

from __future__ import annotations

import pytest

from convrec.agent.claims import Grounds, check_claims, stem
from convrec.agent.ledger import Ledger, PersonPref, Stamped, Wish
from convrec.agent.respond import Card

DOCS = [
    Card(item_id=1, title="Man on Wire", year=2008, genres=["Documentary"],
         directors=["James Marsh"], cast=["Philippe Petit"],
         overview="Filmmaker James Marsh masterfully recreates Philippe Petit's 1974 high-wire "
                  "walk between the Twin Towers.",
         reason="A 2008 documentary; suggested in 3 conversations"),
    Card(item_id=2, title="Super Size Me", year=2004, genres=["Documentary", "Comedy"],
         directors=["Morgan Spurlock"],
         overview="Morgan Spurlock eats nothing but McDonald's for a month to test fast food.",
         reason="A 2004 documentary; rated 6.6/10 by 506 TMDB voters"),
    Card(item_id=3, title="Citizenfour", year=2014, genres=["Documentary"],
         overview="A documentary about Edward Snowden and the surveillance he exposed.",
         reason="A 2014 documentary"),
]
DOC_LEDGER = Ledger(genres_include={"Documentary": 1}, wishes=[Wish(text="true stories", turn=1)])

COMEDIES = [
    Card(item_id=10, title="Groundhog Day", year=1993, genres=["Comedy", "Fantasy", "Romance"],
         directors=["Harold Ramis"], cast=["Bill Murray", "Andie MacDowell"],
         overview="A weatherman finds himself living the same day over and over again.",
         reason="A 1993 comedy; liked by people who liked Alien (1979)"),
    Card(item_id=11, title="Dumb and Dumber", year=1994, genres=["Comedy"],
         cast=["Jim Carrey", "Jeff Daniels"],
         overview="Two dim-witted friends drive across the country to return a briefcase.",
         reason="A 1994 comedy"),
    Card(item_id=12, title="Clueless", year=1995, genres=["Comedy", "Romance"],
         cast=["Alicia Silverstone"], overview="A rich high school student plays matchmaker.",
         reason="A 1995 comedy"),
]
NINETIES = Ledger(genres_include={"Comedy": 1}, year_from=Stamped(value=1990, turn=1),
                  year_to=Stamped(value=1999, turn=1), liked={1214: 1},
                  people_exclude={"adamsandler": PersonPref(name="Adam Sandler", turn=1)})


@pytest.fixture
def docs() -> Grounds:
    return Grounds.build(ledger=DOC_LEDGER, cards=DOCS, message="documentaries about true stories")


@pytest.fixture
def nineties() -> Grounds:
    return Grounds.build(ledger=NINETIES, cards=COMEDIES,
                         message="a 90s comedy like Alien, nothing with Adam Sandler",
                         liked_titles=["Alien (1979)"])


def unsupported(text: str, grounds: Grounds) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in check_claims(text, grounds).unsupported]


# ----------------------------------------------------------------------------- false claims


def test_an_invented_film_and_a_person_nobody_named_are_caught(docs, nineties):
    text = "Clint Eastwood's The Devil Wears a Scarf is a gripping watch."
    for grounds in (docs, nineties):
        bad = unsupported(text, grounds)
        assert ("name", "Clint Eastwood's") in bad
        assert ("name", "The Devil Wears a Scarf") in bad
    # a real title of another turn is still not a film of this one
    assert ("name", "Groundhog Day") in unsupported("You will love Groundhog Day.", docs)


def test_each_word_of_an_invented_title_existing_somewhere_is_not_enough(nineties):
    # "Day", "Dumb" and "Clueless" are all words of the cards; the title is not
    assert unsupported("Try Dumb Day Clueless tonight.", nineties)


def test_an_invented_plot_is_caught(docs):
    bad = unsupported("A family's struggle to survive in a post-apocalyptic world.", docs)
    texts = {t for _, t in bad}
    assert {"struggle", "survive", "post-apocalyptic"} <= texts


def test_a_genre_nobody_asked_for_is_caught(docs, nineties):
    assert ("genre", "westerns") in unsupported("Here are some gritty westerns.", docs)
    assert ("genre", "horror") in unsupported("Here are some horror picks.", nineties)
    # Comedy is on one card of three here: not what the user asked for, not the list's
    assert ("genre", "comedies") in unsupported("Here are some comedies.", docs)


def test_years_decades_and_numbers_must_be_the_turns(docs, nineties):
    assert ("decade", "80s") in unsupported("Some 80s comedies for you.", nineties)
    assert ("year", "1987") in unsupported("A 1987 comedy.", nineties)
    assert ("number", "7") in unsupported("Here are 7 comedies.", nineties)
    assert not unsupported("Here are 3 films from the nineties, one from 1994.", nineties)
    # every card is from the 2000s or 2010s: no decade holds them all
    assert ("decade", "2000s") in unsupported("Here are some 2000s documentaries.", docs)


def test_what_the_user_excluded_is_not_offered(nineties):
    assert ("name", "Adam Sandler") in unsupported("More comedies with Adam Sandler.", nineties)
    assert not unsupported("Comedies from the 90s, without Adam Sandler.", nineties)


def test_praise_nobody_can_ground_is_a_claim(nineties):
    assert ("word", "hilarious") in unsupported("These are some hilarious 1990s comedies.",
                                                nineties)


# ----------------------------------------------------------------------------- true claims


@pytest.mark.parametrize("text", [
    "Here are some 1990s comedies you might enjoy.",
    "Here are some 90s comedy films you might enjoy.",
    "Since you liked Alien (1979), you might enjoy these 1990s comedy films.",
    "A few picks with Bill Murray and Jim Carrey, from 1993 to 1995.",
    "Groundhog Day and Clueless are romantic comedies.",  # Romance: two cards of three
    "These funny films fit what you asked for.",
    "Here are 3 comedy films you might like.",
    "Harold Ramis directed a weatherman living the same day over and over.",
])
def test_true_intros_pass(nineties, text):
    result = check_claims(text, nineties)
    assert result.ok, result.describe()
    assert result.claims  # the content words were checked, not skipped


@pytest.mark.parametrize("text", [
    "Here are some documentary films about true stories you might enjoy.",
    "These documentaries fit what you asked for.",
    "Philippe Petit's high-wire walk and Edward Snowden's story: 3 documentaries.",
    "Super Size Me (2004) is rated 6.6/10 by 506 TMDB voters.",
])
def test_true_sentences_about_the_documentaries_pass(docs, text):
    result = check_claims(text, docs)
    assert result.ok, result.describe()


def test_the_vocabulary_comes_from_the_turn(docs, nineties):
    """The same sentence is grounded in one turn and not in another: nothing is a lexicon."""
    text = "A weatherman lives the same day."
    assert check_claims(text, nineties).ok
    assert not check_claims(text, docs).ok
    assert not check_claims("Here are some 1990s comedies.", Grounds.build()).ok


def test_stemming_matches_forms_alike():
    assert stem("comedies") == stem("comedy")
    assert stem("thrillers") == stem("thriller") == stem("thrilling")
    assert stem("animated") == stem("animation")
    assert stem("Eastwood's") == "eastwood"


def test_a_title_with_a_possessive_is_one_name():
    cards = [Card(item_id=1, title="Wayne's World", year=1992, genres=["Comedy"])]
    grounds = Grounds.build(cards=cards)
    assert check_claims("Wayne's World is a 1992 comedy.", grounds).ok
    assert not check_claims("Wayne's Castle is a 1992 comedy.", grounds).ok


def test_list_numbers_are_structure_not_claims(nineties):
    text = "Here are 3 comedies.\n1. **Groundhog Day** (1993)\n12. **Clueless** (1995)"
    assert check_claims(text, nineties).ok


def test_a_genre_said_of_one_film_is_checked_against_that_film(docs):
    assert check_claims("Super Size Me (2004) is a funny documentary.", docs).ok
    assert not check_claims("Man on Wire (2008) is a funny documentary.", docs).ok
    assert not check_claims("Man on Wire (2008) is great. It is funny.", docs).ok


def test_a_title_with_a_subtitle_grounds_its_parts():
    card = Card(item_id=20, title="The Messenger: The Story of Joan of Arc", year=1999,
                genres=["Drama", "History"], reason="A 1999 drama")
    grounds = Grounds.build(ledger=Ledger(), cards=[card], message="a French film")
    assert not unsupported("Here is The Story of Joan of Arc for you.", grounds)
    assert unsupported("Here is The Story of Joan of Ark Two.", grounds)
