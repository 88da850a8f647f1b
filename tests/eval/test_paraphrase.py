"""The paraphrase simulator: deterministic, the template's moves in everyday words, truthful
quantities and genres for real targets, typos at the set rate and never in titles or numbers,
and a small simulation run with it."""

from __future__ import annotations

import random
import re

import pytest

from convrec.eval.everyday import GENRE_PHRASES
from convrec.eval.leak import find_leak
from convrec.eval.paraphrase import ParaphrasePhraser
from convrec.eval.phrasers import TemplatePhraser
from convrec.eval.simulator import PERSONAS, Move, SimulatedUser
from convrec.eval.typing_noise import (
    add_typos,
    keep,
    kept_spans,
    release,
    typo,
    typo_candidates,
)

ACTS = ("ask_genre", "recommend", "ask_era", "ask_liked_film", "recommend", "ask_relax")


def _scenarios(catalog, n=15):
    from convrec.eval.scenarios import load_scenarios
    from convrec.eval.target import target_facts

    for source in ("movielens", "critics"):
        for scenario in load_scenarios(catalog, source, "test", n, seed=5):
            yield scenario, target_facts(catalog, scenario.target_ids[0])


def _dialogue(catalog, scenario, facts, persona, seed, phraser):
    """The user's messages, feedback and stated constraints over a fixed run of acts."""
    user = SimulatedUser(scenario, facts, persona, seed, phraser, catalog, max_turns=10)
    texts, feedback = [user.opening()], []
    popular = [r[0] for r in catalog.query(
        "SELECT item_id FROM items ORDER BY rating_count DESC LIMIT 40")]
    shown = [i for i in popular if i not in scenario.target_ids]
    for turn, act in enumerate(ACTS):
        reply = user.respond(act, shown[turn * 5:turn * 5 + 5] if act == "recommend" else [],
                             catalog)
        texts.append(reply.text)
        feedback.append(reply.feedback)
        if reply.done:
            break
    reply = user.respond("recommend", [shown[-1], shown[-2], scenario.target_ids[0]], catalog)
    texts.append(reply.text)
    feedback.append(reply.feedback)
    return texts, feedback, user.truthful_constraints(), sorted(user.told), user


# ----------------------------------------------------------------------------- determinism


def test_paraphrase_is_deterministic_for_a_seed(real_catalog):
    scenario, facts = next(_scenarios(real_catalog, 1))

    def texts(seed):
        return _dialogue(real_catalog, scenario, facts, "cooperative", seed,
                         ParaphrasePhraser(typo_rate=0.1))[0]

    assert texts(7) == texts(7)
    assert texts(7) != texts(8)


def test_paraphrase_makes_the_template_moves(real_catalog):
    """On the same seed a paraphrase user says the same facts, in the same turns, as a
    template user, and ends the same way: the two runs pair dialogue by dialogue."""
    differ = 0
    for index, (scenario, facts) in enumerate(_scenarios(real_catalog, 6)):
        persona = PERSONAS[index % len(PERSONAS)]
        plain = _dialogue(real_catalog, scenario, facts, persona, index, TemplatePhraser())
        para = _dialogue(real_catalog, scenario, facts, persona, index, ParaphrasePhraser())
        assert plain[1:4] == para[1:4], (scenario.id, persona)
        assert para[1][-1] == "accept"
        differ += sum(a != b for a, b in zip(plain[0], para[0], strict=True))
        for text in para[0]:
            assert text.strip() and find_leak(text, facts.titles) is None, text
    assert differ > 0


# ----------------------------------------------------------------------------- truthfulness

DECADE_NAMES = {"thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
                "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000,
                "aughts": 2000, "roaring twenties": 1920, "twenty-tens": 2010}
SMALL = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen"))}
TENS = {w: 10 * i for i, w in enumerate(("twenty", "thirty", "forty", "fifty", "sixty",
                                         "seventy", "eighty", "ninety"), start=2)}
NUMBER = r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|" \
         r"fifty|sixty|seventy|eighty|ninety|hundred|and|-|\s)+"


def _words_number(text: str) -> int:
    """'a hundred and twenty' -> 120, 'ninety' -> 90."""
    total = 0
    for word in re.split(r"[\s-]+", text.strip()):
        if word in ("a", "an"):
            total += 1
        elif word == "hundred":
            total = (total or 1) * 100
        elif word in SMALL:
            total += SMALL[word]
        elif word in TENS:
            total += TENS[word]
    return total


def read_decades(text: str) -> set[int]:
    """Every decade a message names, read independently of the phraser's tables."""
    low = text.lower()
    found = {int(m) for m in re.findall(r"\b(1[89]\d0|20\d0)'?s\b", low)}
    found |= {1900 + int(m) for m in re.findall(r"(?<![\d])'?([3-9]0)'?s\b", low)}
    found |= {int(a) for a, _ in re.findall(r"between (\d{4}) and (\d{4})", low)}
    found |= {d for name, d in DECADE_NAMES.items() if name in low}
    return found


def read_runtime_limits(text: str) -> set[int]:
    """Every duration in a message, in minutes: '2 hrs', 'an hour and a half', '90 mins'."""
    low = text.lower()
    out: set[int] = set()
    hours = rf"(an|{'|'.join(SMALL)})"
    readers = [
        (rf"\b{hours} hour and a half\b", lambda m: _hours(m[1]) + 30),
        (rf"\b{hours} and a half hours\b", lambda m: _hours(m[1]) + 30),
        (rf"\b{hours} hours?\b", lambda m: _hours(m[1])),
        (r"\bhalf an hour\b", lambda m: 30),
        (r"\ba couple of hours\b", lambda m: 120),
        (r"(\d+(?:\.\d+)?)\s*(?:hours?|hrs?|h)\b", lambda m: round(float(m[1]) * 60)),
        (r"(\d+)\s*(?:minutes|mins?)\b", lambda m: int(m[1])),
        (rf"\b({NUMBER})minutes\b", lambda m: _words_number(m[1])),
    ]
    for pattern, value in readers:  # longest forms first; each read span is then blanked
        for match in re.finditer(pattern, low):
            out.add(value(match))
        low = re.sub(pattern, " ", low)
    return {m for m in out if m}


def _hours(word: str) -> int:
    return 60 * (1 if word == "an" else SMALL[word])


def read_genres(text: str) -> set[str]:
    """The genres whose everyday phrases a message uses (abbreviations spelt out)."""
    low = re.sub(r"\b(smth|sth|somethin)\b", "something", text.lower()).replace("w/", "with")
    low = low.replace("thatll", "that'll")
    return {g for g, phrases in GENRE_PHRASES.items() if any(p in low for p in phrases)}


def test_paraphrased_reveals_are_truthful_for_real_targets(real_catalog):
    """For real targets, every paraphrase of their era, runtime limit and genre (opening or
    reply, casual spelling included) names a value the target satisfies."""
    phraser = ParaphrasePhraser(typo_rate=0.0, casual_rate=0.5)
    checked = {"era": 0, "runtime": 0, "genre": 0}
    for index, (scenario, facts) in enumerate(_scenarios(real_catalog)):
        user = SimulatedUser(scenario, facts, "cooperative", index, TemplatePhraser(),
                             real_catalog)
        values = user._values
        for seed in range(12):
            history = [] if seed % 2 else [("user", "hi"), ("assistant", "hello")]
            for slot in ("era", "runtime", "genre"):
                if slot not in values:
                    continue
                text = phraser.phrase([Move("reveal", slot, values[slot])], history,
                                      random.Random(seed))
                if slot == "era":
                    assert read_decades(text) == {facts.decade}, (text, facts.year)
                elif slot == "runtime":
                    limits = read_runtime_limits(text)
                    assert limits == {values[slot]}, (text, facts.runtime)
                    assert facts.runtime < min(limits)
                else:
                    genres = read_genres(text)
                    assert genres and genres <= set(facts.genres), (text, facts.genres)
                checked[slot] += 1
    assert min(checked.values()) >= 100, checked


def test_accepts_name_the_position():
    phraser = ParaphrasePhraser(typo_rate=0.3)
    names = {1: r"\b(1(st)?|first|number one|top one)\b",
             2: r"\b(2(nd)?|second|number two)\b",
             3: r"\b(3(rd)?|third|number three)\b"}
    for seed in range(30):
        for position in names:
            text = phraser.phrase([Move("accept", position=position)], [("user", "hi")],
                                  random.Random(seed)).lower()
            said = {p for p, pattern in names.items() if re.search(pattern, text)}
            assert said == {position}, text


# ----------------------------------------------------------------------------- typos


def test_typo_rate_is_respected_outside_kept_spans():
    rng = random.Random(0)
    words = ["something", "scary", "would", "great", "nothing", "longer", "movie", "night",
             "the", "a", "and", "for"]
    pieces = []
    for i in range(4000):
        pieces.append(rng.choice(words))
        if i % 20 == 0:
            pieces.append(keep("Heat (1995)"))
        if i % 25 == 0:
            pieces.append(f"{keep('two hours')} 120 mins 2hrs")
    text = " ".join(pieces)
    for rate in (0.05, 0.2):
        noisy = add_typos(text, rate, random.Random(1))
        assert kept_spans(noisy) == kept_spans(text)
        clean_words, noisy_words = release(text).split(), release(noisy).split()
        assert len(clean_words) == len(noisy_words)
        changed = [(a, b) for a, b in zip(clean_words, noisy_words, strict=True) if a != b]
        eligible = len(typo_candidates(text))
        assert abs(len(changed) / eligible - rate) < 0.25 * rate + 0.01, (rate, len(changed))
        for before, after in changed:
            assert before.isalpha() and len(before) >= 4 and before[0] == after[0]
            assert abs(len(before) - len(after)) <= 1
    assert add_typos(text, 0.0, random.Random(1)) == text
    assert all(typo("scary", random.Random(s)) != "scary" for s in range(200))
    assert typo("noon", random.Random(0)) != "noon"


def test_phraser_typos_never_touch_titles_names_or_numbers(real_catalog):
    """The same seed at typo rate 0 and 0.3: the messages differ only in words of 4+ letters,
    at about the rate; titles, people and digits read as the template writes them."""
    changed = eligible = 0
    for index, (scenario, facts) in enumerate(_scenarios(real_catalog, 10)):
        clean = _dialogue(real_catalog, scenario, facts, "cooperative", index,
                          ParaphrasePhraser(typo_rate=0.0))
        noisy = _dialogue(real_catalog, scenario, facts, "cooperative", index,
                          ParaphrasePhraser(typo_rate=0.3))
        liked = noisy[4]._values.get("liked")
        kept = [*facts.directors[:1], *facts.cast[:1]]
        for a, b in zip(clean[0], noisy[0], strict=True):
            a_words, b_words = re.split(r"[\s/-]+", a), re.split(r"[\s/-]+", b)
            assert len(a_words) == len(b_words)
            for x, y in zip(a_words, b_words, strict=True):
                if x != y:
                    assert re.fullmatch(r"\W*[A-Za-z]{4,}\W*", x), (x, y)
                    assert not any(x.strip(".,!?") in k.split() for k in kept), (x, a)
                    changed += 1
            eligible += len(re.findall(r"(?<![\w'])[A-Za-z]{4,}(?![\w'])", a))
            assert re.findall(r"\d+", a) == re.findall(r"\d+", b)
            if liked and liked in a:
                assert liked in b, (liked, b)
    assert 0.15 < changed / eligible < 0.35, (changed, eligible)


# ----------------------------------------------------------------------------- wiring


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"simulator": "parrot"}, "--simulator"),
    ({"simulator": "paraphrase", "typo_rate": 0.7}, "--typo-rate"),
    ({"simulator": "paraphrase", "typo_rate": -0.1}, "--typo-rate"),
])
def test_config_checks_the_simulator_and_typo_rate(changes, fragment):
    from convrec.errors import ConvrecError
    from convrec.eval.runner import SimulationConfig

    with pytest.raises(ConvrecError, match=fragment):
        SimulationConfig(systems=["popularity"], **changes).validate()
    SimulationConfig(systems=["popularity"], simulator="paraphrase", typo_rate=0.5).validate()


def test_simulate_rejects_a_bad_typo_rate_in_one_line(tmp_path):
    from tests.test_cli import assert_one_line_error, run_cli

    result = run_cli("simulate", "--simulator", "paraphrase", "--typo-rate", "0.9", "--out",
                     str(tmp_path / "run"), env={"CONVREC_HOME": str(tmp_path / "home")})
    assert_one_line_error(result, "--typo-rate")


def test_paraphrase_simulation_run(sim_settings, sim_home, tmp_path):
    from convrec.eval.runner import DIALOGUES, SimulationConfig, read_records, run_simulation

    config = SimulationConfig(scenarios=["movielens:test", "redial:test"], n=2,
                              systems=["agent:none", "popularity"], max_turns=3, seed=4,
                              simulator="paraphrase", typo_rate=0.1)
    records = run_simulation(config, sim_settings, tmp_path / "run")
    assert len(records) == len(read_records(tmp_path / "run" / DIALOGUES)) == 8
    for record in records:
        assert record.simulator == "paraphrase"
        assert record.error is None, record.error
        assert not record.leaked, record.leak_detail
        assert record.turns and all(t.user.strip() for t in record.turns)
    by_scenario: dict[str, set[str]] = {}
    for record in records:
        by_scenario.setdefault(record.scenario.id, set()).add(record.turns[0].user)
    assert all(len(openings) == 1 for openings in by_scenario.values())
