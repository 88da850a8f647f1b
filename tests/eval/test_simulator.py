"""The simulated users: scenarios, truthful answers, the leak audit, personas, the held-out
evaluation home, and dialogues against real systems on the real catalog."""

from __future__ import annotations

import random

import pytest

from convrec.eval.leak import find_leak
from convrec.eval.simulator import PERSONAS, SimulatedUser, TemplatePhraser, genre_word
from convrec.tools.context import ToolContext

# ----------------------------------------------------------------------------- leak audit


@pytest.mark.parametrize(("message", "titles", "leaks"), [
    ("I loved The Matrix so much", ["The Matrix"], True),
    ("something like the matrix!", ["The Matrix"], True),
    ("Is it like Amélie?", ["Amelie"], True),
    ("Maybe Shawshank Redemtion?", ["The Shawshank Redemption"], True),  # fuzzy, misspelt
    ("Something like Shawshank", ["The Shawshank Redemption"], False),
    ("Up for a comedy from the 90s", ["Up"], False),  # a common word starting a sentence
    ("I liked Up a lot", ["Up"], True),
    ("It should be scary", ["It"], False),
    ("the matrixes are everywhere", ["The Matrix"], True),  # near-identical spelling
    ("A drama about a prison", ["Escape from Alcatraz"], False),
])
def test_leak_audit(message, titles, leaks):
    assert (find_leak(message, titles) is not None) == leaks


# ----------------------------------------------------------------------------- scenarios


def test_scenario_splits_are_fixed_and_disjoint(real_catalog):
    from convrec.eval.scenarios import all_scenarios, load_scenarios

    for source in ("movielens", "critics", "redial"):
        every = all_scenarios(real_catalog, source)
        dev = {s.user_id or s.id for s in every if s.split == "dev"}
        test = {s.user_id or s.id for s in every if s.split == "test"}
        assert dev and test and not dev & test, source
        first = load_scenarios(real_catalog, source, "test", 20, seed=0)
        again = load_scenarios(real_catalog, source, "test", 20, seed=0)
        other = load_scenarios(real_catalog, source, "test", 20, seed=1)
        assert [s.id for s in first] == [s.id for s in again]
        assert [s.id for s in first] != [s.id for s in other]
        assert all(s.split == "test" for s in first)
        for s in first:
            assert not set(s.target_ids) & set(s.liked_ids)


def test_movielens_target_is_a_highly_rated_film_of_the_user(real_catalog):
    from convrec.eval.scenarios import ML_TARGET_RATING, load_scenarios

    for s in load_scenarios(real_catalog, "movielens", "test", 10):
        user = int(s.user_id.split(":")[1])
        rows = real_catalog.query("SELECT MAX(rating) FROM ratings WHERE user_id = ? AND "
                                  "item_id = ?", [user, s.target_ids[0]])
        assert rows[0][0] >= ML_TARGET_RATING


def test_redial_scenarios_open_with_the_seekers_words(real_catalog):
    from convrec.eval.scenarios import load_scenarios

    scenarios = load_scenarios(real_catalog, "redial", "test", 30)
    assert all(s.opening and "@" not in s.opening and s.user_id is None for s in scenarios)
    assert all(real_catalog.exists(s.target_ids) == set(s.target_ids) for s in scenarios)


def test_unknown_source_or_split_is_one_clear_error(real_catalog):
    from convrec.errors import ConvrecError
    from convrec.eval.scenarios import load_scenarios, parse_spec

    with pytest.raises(ConvrecError, match="unknown scenario source"):
        parse_spec("imdb:test")
    with pytest.raises(ConvrecError, match="unknown split"):
        load_scenarios(real_catalog, "movielens", "train")


# ----------------------------------------------------------------------------- holdout


def test_evaluation_home_holds_the_targets_out(sim_home, sim_resources, real_catalog):
    from convrec.eval.scenarios import load_scenarios
    from convrec.tools.cf import CfArgs, rank_cf
    from convrec.tools.pipeline import history_ids

    masked = sim_resources.catalog
    for s in load_scenarios(real_catalog, "movielens", "test", 5):
        user, target = int(s.user_id.split(":")[1]), s.target_ids[0]
        sql = "SELECT COUNT(*) FROM ratings WHERE user_id = ? AND item_id = ?"
        assert real_catalog.query(sql, [user, target])[0][0] >= 1
        assert masked.query(sql, [user, target])[0][0] == 0
        ctx = ToolContext(sim_resources, s.user_id)
        assert target not in history_ids(ctx)  # so the agent may recommend it
        ranked = [i.item_id for i in rank_cf(CfArgs(k=1000), ctx).items]
        assert ranked  # cf still knows the user from the rest of their ratings
    for s in load_scenarios(real_catalog, "critics", "test", 5):
        critic, target = s.user_id.split(":", 1)[1], s.target_ids[0]
        sql = "SELECT COUNT(*) FROM reviews WHERE critic = ? AND item_id = ?"
        assert real_catalog.query(sql, [critic, target])[0][0] >= 1
        assert masked.query(sql, [critic, target])[0][0] == 0
    # the text indexes are the main home's, the user-side ones are rebuilt
    assert (sim_home / "index" / "bm25").is_symlink()
    assert not (sim_home / "index" / "cf").is_symlink()


# ----------------------------------------------------------------------------- truthfulness


def _users(resources, n_per_source=12):
    from convrec.eval.scenarios import load_scenarios
    from convrec.eval.target import target_facts

    catalog = resources.catalog
    rng = random.Random(0)
    for source in ("movielens", "critics", "redial"):
        for scenario in load_scenarios(catalog, source, "test", n_per_source, seed=3):
            for persona in PERSONAS:
                facts = target_facts(catalog, scenario.target_ids[0])
                yield SimulatedUser(scenario, facts, persona, rng.randrange(10**9),
                                    TemplatePhraser(), catalog, max_turns=10)


def _assert_truthful(user: SimulatedUser, ctx: ToolContext) -> None:
    """Every stated constraint holds for the target, checked with filter_items' clauses,
    and every fact revealed agrees with the catalog's record of the film."""
    from convrec.tools.filters import FilterArgs, violations

    stated = user.truthful_constraints()
    target = user.scenario.target_ids[0]
    if stated:
        broken = violations([target], FilterArgs.model_validate(stated), ctx)
        assert not broken.get(target), (user.scenario.id, user.persona, stated, broken)
    item = ctx.catalog.item(target)
    for genre in stated.get("genres_all", []):
        assert genre in item.genres
    for genre in stated.get("genres_none", []):
        assert genre not in item.genres
    if "year_from" in stated:
        assert stated["year_from"] <= item.year <= stated["year_to"]
    if "runtime_max" in stated:
        assert item.runtime <= stated["runtime_max"]
    credits = {c.person.name for c in ctx.catalog.credits(target)}
    for person in stated.get("people_include", []):
        assert person["name"] in credits


def test_simulated_users_answer_truthfully(sim_resources):
    """Drive each user through asks, rejected lists and a hit; after every message the facts
    it has stated agree with the catalog, and no message names the target."""
    from convrec.tools.cf import load_cf

    ctx = ToolContext(sim_resources)
    popular = [int(i) for i in load_cf(ctx).popularity.item_ids[:200]]
    acts = ["ask_genre", "recommend", "ask_era", "ask_liked_film", "recommend", "ask_mood",
            "ask_relax", "recommend"]
    checked = 0
    for user in _users(sim_resources):
        texts = [user.opening()]
        _assert_truthful(user, ctx)
        shown = [i for i in popular if i not in user.scenario.target_ids]
        for turn, act in enumerate(acts):
            films = shown[turn * 5:(turn + 1) * 5] if act == "recommend" else []
            reply = user.respond(act, films, ctx.catalog)
            texts.append(reply.text)
            _assert_truthful(user, ctx)
            assert reply.feedback != "accept"
            if reply.done:
                assert user.persona == "impatient" and reply.feedback == "bye"
                break
        for text in texts:
            assert text.strip()
            if not user.scenario.opening or text != texts[0]:
                assert find_leak(text, user.facts.titles) is None, (text, user.facts.titles)
        checked += 1
    assert checked == 3 * 12 * len(PERSONAS)


def test_simulated_user_accepts_the_target_by_position(sim_resources):
    user = next(u for u in _users(sim_resources, 1) if u.persona == "cooperative")
    user.opening()
    target = user.scenario.target_ids[0]
    reply = user.respond("recommend", [11, 12, target], sim_resources.catalog)
    assert reply.done and reply.feedback == "accept"
    assert "third" in reply.text and find_leak(reply.text, user.facts.titles) is None


def test_rejection_reason_is_how_the_list_differs(sim_resources):
    """Shown films of another genre: the user names the target's genre as the reason."""
    from convrec.eval.scenarios import load_scenarios
    from convrec.eval.target import target_facts

    catalog = sim_resources.catalog
    for scenario in load_scenarios(catalog, "movielens", "test", 40):
        facts = target_facts(catalog, scenario.target_ids[0])
        genre = facts.genres[0] if facts.genres and genre_word(facts.genres[0]) else None
        if genre is None:
            continue
        user = SimulatedUser(scenario, facts, "cooperative", 1, TemplatePhraser(), catalog)
        others = [r[0] for r in catalog.query(
            "SELECT item_id FROM items WHERE has_tmdb = 1 AND item_id NOT IN (SELECT item_id "
            "FROM item_genres ig JOIN genres g USING (genre_id) WHERE g.name = ?) "
            "ORDER BY rating_count DESC LIMIT 5", [genre])]
        reply = user.respond("recommend", others, catalog)
        assert reply.feedback == "reject"
        assert genre_word(genre) in reply.text.lower()
        assert genre in user.stated["genres_all"]
        return
    pytest.fail("no scenario with a describable genre")


def test_mind_changer_takes_its_decoy_back(sim_resources):
    from convrec.eval.scenarios import load_scenarios
    from convrec.eval.target import target_facts

    catalog = sim_resources.catalog
    scenario = load_scenarios(catalog, "movielens", "test", 1)[0]
    facts = target_facts(catalog, scenario.target_ids[0])
    user = SimulatedUser(scenario, facts, "mind_changer", 5, TemplatePhraser(), catalog)
    opening = user.opening()
    assert user.decoy and user.decoy not in facts.genres
    assert genre_word(user.decoy) in opening.lower()
    assert user.decoy in user.stated["genres_all"]
    assert user.decoy not in user.truthful_constraints().get("genres_all", [])
    reply = user.respond("recommend", [1, 2, 3], catalog)
    assert user.decoy is None
    assert "after all" in reply.text
    assert facts.genres and set(user.stated["genres_none"]).isdisjoint(facts.genres)


def test_template_simulator_is_deterministic_for_a_seed(sim_resources):
    def dialogue(seed):
        from convrec.eval.scenarios import load_scenarios
        from convrec.eval.target import target_facts

        catalog = sim_resources.catalog
        scenario = load_scenarios(catalog, "critics", "test", 1)[0]
        user = SimulatedUser(scenario, target_facts(catalog, scenario.target_ids[0]),
                             "cooperative", seed, TemplatePhraser(), catalog)
        texts = [user.opening()]
        for act in ("ask_genre", "recommend", "ask_era"):
            texts.append(user.respond(act, [1, 2] if act == "recommend" else [], catalog).text)
        return texts

    assert dialogue(7) == dialogue(7)
    assert dialogue(7) != dialogue(8)


# ----------------------------------------------------------------------------- dialogues


class _NamingPhraser(TemplatePhraser):
    """A phraser that names the target (as a careless LLM simulator might)."""

    def __init__(self, title: str) -> None:
        self.title = title

    def phrase(self, moves, history, rng):
        return super().phrase(moves, history, rng) + f" Something like {self.title}?"


def test_leaky_dialogue_is_flagged(sim_settings, sim_resources):
    from convrec.eval.dialogue import run_dialogue
    from convrec.eval.scenarios import load_scenarios
    from convrec.eval.systems import make_system
    from convrec.eval.target import target_facts

    catalog = sim_resources.catalog
    scenario = load_scenarios(catalog, "movielens", "test", 1)[0]
    facts = target_facts(catalog, scenario.target_ids[0])
    user = SimulatedUser(scenario, facts, "cooperative", 0, _NamingPhraser(facts.titles[0]),
                         catalog, max_turns=2)
    system = make_system("popularity", sim_settings, sim_resources)
    record = run_dialogue(system, user, ToolContext(sim_resources, scenario.user_id), seed=0,
                          simulator="template")
    assert record.leaked and facts.titles[0] in record.leak_detail


@pytest.mark.parametrize("system_name", ["agent:none", "bm25", "floor"])
def test_dialogue_against_a_real_system(system_name, sim_settings, sim_resources):
    from convrec.eval.dialogue import run_dialogue
    from convrec.eval.scenarios import load_scenarios
    from convrec.eval.systems import make_system
    from convrec.eval.target import target_facts

    catalog = sim_resources.catalog
    system = make_system(system_name, sim_settings, sim_resources)
    try:
        for scenario in load_scenarios(catalog, "movielens", "test", 3, seed=2):
            user = SimulatedUser(scenario, target_facts(catalog, scenario.target_ids[0]),
                                 "cooperative", 3, TemplatePhraser(), catalog, max_turns=4)
            record = run_dialogue(system, user, ToolContext(sim_resources, scenario.user_id),
                                  seed=0, simulator="template")
            assert record.error is None, record.error
            assert 1 <= len(record.turns) <= 4
            assert not record.leaked
            shown: set[int] = set()
            for turn in record.turns:
                assert not turn.out_of_catalog
                assert set(turn.repeats) == set(turn.item_ids) & shown
                shown |= set(turn.item_ids)
            if record.success:
                hit = record.turns[record.success_turn - 1]
                assert hit.item_ids[hit.hit_rank - 1] in scenario.target_ids
                assert record.ended_by == "accept"
            if system_name == "agent:none":  # the agent honours what the user stated
                assert not any(t.violations for t in record.turns), record.turns
    finally:
        getattr(system, "close", lambda: None)()
