"""The paraphrase phraser: the template's facts in everyday wording, casual spelling and typos.

`ParaphrasePhraser` says exactly what `TemplatePhraser` says (the same genres, decade,
people, theme, language, runtime limit, liked films, acceptances by position, rejections,
the mind-changer's take-back) in the words people type: casual names for genres ("spooky",
"sci-fi", "a whodunit"; everyday.py), quantities in words ("the nineties", "an hour and a
half at most"), openings of several sentences ("hey! so it's movie night. I really liked
X. something scary would be great, nothing longer than two hours."), casual spelling in
about `casual_rate` of the messages, and typos in `typo_rate` of the words of 4+ letters
(typing_noise.py). Titles, names, languages, numbers and list positions are written as the
template writes them, without typos. A ReDial seeker's own opening words pass unchanged.

Pairing with the template simulator. The phraser advances the simulator's random generator
exactly as `TemplatePhraser` does (it runs the template on it) and draws its own wording
from a generator seeded from that generator's state, so on the same seed a paraphrase run
makes the same moves as a template run for as long as the systems' replies agree: the two
differ in wording only, and compare dialogue by dialogue. Deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Any

from convrec.eval.everyday import (
    combinable,
    decade_modifiers,
    genre_phrases,
    mood_phrases,
    position_phrases,
    runtime_modifiers,
    runtime_sentences,
)
from convrec.eval.moves import Move
from convrec.eval.phrasers import TemplatePhraser
from convrec.eval.typing_noise import KEEP_OPEN, add_typos, casualise, keep, release

DEFAULT_TYPO_RATE = 0.05
DEFAULT_CASUAL_RATE = 0.35

GREETINGS = ("hey!", "hi!", "hello :)", "hey there.", "evening!", "hi there.", "", "")
CONTEXTS = ("so it's movie night.", "need something to watch tonight.",
            "friday night and I'm bored.", "want to watch a film later.",
            "I want to watch a movie with my partner tonight.", "", "")
OPENING_ASKS = ("I'm after {}.", "I'm in the mood for {}.", "can you find me {}?",
                "any ideas for {}?", "I'd love {}.", "looking for {}.")
WOULD_BE_GREAT = ("{} would be great.", "{} would be nice.", "thinking {}.",
                  "maybe {}?", "in the mood for {}.")
ANSWERS = ("{}, please.", "{} would be nice.", "maybe {}?", "I'd say {}.", "ideally {}.",
           "hmm, {}.", "{} I guess.")
REASONS = ("I'm after {}.", "more like {}.", "I want {}.", "I was hoping for {}.",
           "looking for {} really.")
REJECTS = ("nah, not those.", "none of those, sorry.", "hmm, not quite.", "nope.",
           "not feeling these.", "meh, not really.", "none of these grab me.",
           "not what I'm after.")
ACCEPTS = ("{} looks great!", "ooh {}, that's the one!", "I'll take {}, thanks!",
           "{} sounds perfect, watching that tonight.", "yes! {}. thank you!",
           "{} it is, thanks!", "oh nice, {} is exactly what I wanted.")
BYES = ("never mind, I'll find something myself. bye.", "ok forget it, thanks anyway.",
        "eh, I'll just browse on my own. thanks anyway.", "never mind, gotta go. bye!",
        "this isn't working, I'll look elsewhere. bye.")
FLIPS = ("actually, I don't want {} after all.", "scratch that, I'm not in the mood for {}.",
         "wait, not {} after all.", "hmm, changed my mind about {}.")
FLIP_INSTEAD = ("I'd rather have {}.", "more like {}.", "make it {} instead.",
                "{} sounds better.")


def _cap(sentence: str) -> str:
    if not sentence or sentence[0] == KEEP_OPEN:
        return sentence
    return sentence[0].upper() + sentence[1:]


class ParaphrasePhraser:
    """Everyday wording of the template's moves (see the module docstring)."""

    name = "paraphrase"

    def __init__(self, typo_rate: float = DEFAULT_TYPO_RATE,
                 casual_rate: float = DEFAULT_CASUAL_RATE) -> None:
        if not 0 <= typo_rate <= 0.5:
            raise ValueError(f"typo_rate must be between 0 and 0.5, not {typo_rate}")
        self.typo_rate = typo_rate
        self.casual_rate = casual_rate
        self.template = TemplatePhraser()

    def phrase(self, moves: Sequence[Move], history: Sequence[tuple[str, str]],
               rng: random.Random) -> str:
        words = random.Random(_state_seed(rng))
        typos = random.Random(words.getrandbits(64))  # the same clean text at any typo rate
        template_text = self.template.phrase(moves, history, rng)  # keeps `rng` in step
        if any(m.kind == "opening" for m in moves):
            return template_text  # a ReDial seeker's own words
        text = self.marked(moves, opening=not history, rng=words)
        if words.random() < self.casual_rate:
            text = casualise(text, words)
        return release(add_typos(text, self.typo_rate, typos))

    def marked(self, moves: Sequence[Move], *, opening: bool, rng: random.Random) -> str:
        """The message before typos, with its kept spans marked (typing_noise.keep)."""
        reveals = [m for m in moves if m.kind == "reveal"]
        sentences: list[str] = []
        for move in moves:
            if move.kind == "accept":
                sentences.append(rng.choice(ACCEPTS).format(
                    rng.choice(position_phrases(move.position or 1))))
            elif move.kind == "reject":
                sentences.append(rng.choice(REJECTS))
            elif move.kind == "flip":
                sentences.append(rng.choice(FLIPS).format(
                    rng.choice(genre_phrases(move.detail))))
                if move.value:
                    sentences.append(rng.choice(FLIP_INSTEAD).format(
                        rng.choice(genre_phrases(str(move.value)))))
            elif move.kind == "bye":
                sentences.append(rng.choice(BYES))
        if reveals:
            if opening:
                sentences += self._opening(reveals, rng)
            else:
                sentences += self._reply(reveals, rejected=bool(sentences), rng=rng)
        return " ".join(_cap(s) for s in sentences if s)

    # -- reveals

    def _opening(self, reveals: Sequence[Move], rng: random.Random) -> list[str]:
        """A greeting, some context, then the facts in one or several sentences."""
        head = next((m for m in reveals if m.slot in ("genre", "mood")), None)
        liked = [m for m in reveals if m.slot == "liked"]
        mods = [m for m in reveals if m is not head and m.slot != "liked"]
        facts: list[str] = [_liked_sentence(m.value, rng) for m in liked]
        if rng.random() < 0.5:  # everything in one sentence
            facts.append(rng.choice(OPENING_ASKS).format(_noun_phrase(head, mods, rng)))
        else:  # the main wish, then one sentence per remaining fact
            if head is not None:
                facts.append(rng.choice(WOULD_BE_GREAT).format(_head_phrase(head, rng)))
            facts += [_fact_sentence(m, rng) for m in mods]
        rng.shuffle(facts)
        return [rng.choice(GREETINGS), rng.choice(CONTEXTS), *facts]

    def _reply(self, reveals: Sequence[Move], *, rejected: bool,
               rng: random.Random) -> list[str]:
        liked = [m for m in reveals if m.slot == "liked"]
        rest = [m for m in reveals if m.slot != "liked"]
        out: list[str] = []
        era = next((m for m in rest if m.slot == "era" and m.detail in ("older", "newer")), None)
        if era is not None:
            out.append(rng.choice(("these are too {}.", "all a bit too {}.")).format(
                "recent" if era.detail == "older" else "old"))
        if len(rest) == 1 and rest[0].slot not in ("genre", "mood") and rng.random() < 0.5:
            out.append(_fact_sentence(rest[0], rng))
        elif rest:
            head = next((m for m in rest if m.slot in ("genre", "mood")), None)
            phrase = _noun_phrase(head, [m for m in rest if m is not head], rng)
            out.append(rng.choice(REASONS if rejected else ANSWERS).format(phrase))
        out += [_liked_sentence(m.value, rng) for m in liked]
        return out


def _state_seed(rng: random.Random) -> int:
    """A seed from the generator's state, without drawing from it."""
    return int.from_bytes(hashlib.sha256(repr(rng.getstate()).encode()).digest()[:8], "little")


def _head_phrase(move: Move, rng: random.Random, *, short: bool = False) -> str:
    options = (genre_phrases(str(move.value)) if move.slot == "genre"
               else mood_phrases(str(move.value)))
    if short:
        options = tuple(p for p in options if combinable(p)) or options
    return rng.choice(options)


def _noun_phrase(head: Move | None, mods: Sequence[Move], rng: random.Random) -> str:
    """'a horror flick from the '90s, under 2 hrs': the head wish and its modifiers."""
    if head is not None:
        phrase = _head_phrase(head, rng, short=bool(mods))
    else:
        phrase = rng.choice(("something", "a movie", "a film"))
    parts = [_modifier(m, rng) for m in mods]
    use_and = len(parts) > 1 and rng.random() < 0.5
    for index, part in enumerate(parts):
        if use_and and index == len(parts) - 1:
            sep = " and "
        elif index or part.startswith(KEEP_OPEN):  # "sci-fi from the 2010s, 2 hrs max"
            sep = ", "
        else:
            sep = " "
        phrase += sep + part
    return phrase


def _modifier(move: Move, rng: random.Random) -> str:
    v: Any = move.value
    slot = move.slot
    if slot == "era":
        return rng.choice(decade_modifiers(int(v)))
    if slot == "runtime":
        return rng.choice(runtime_modifiers(int(v)))
    if slot == "person":
        name = keep(str(v[0]))
        frames = (("directed by {}", "by {}", "that {} directed", "from director {}")
                  if v[1] == "director" else
                  ("with {}", "starring {}", "with {} in it", "that {} is in"))
        return rng.choice(frames).format(name)
    if slot == "theme":
        return rng.choice(("about {}", "involving {}", "that's about {}")).format(v)
    if slot == "language":
        return rng.choice(("in {}", "in the original {}", "that's in {}",
                           "spoken in {}")).format(keep(str(v)))
    if slot == "liked":
        return rng.choice(("like {}", "similar to {}", "along the lines of {}")).format(
            keep(str(v)))
    return rng.choice(mood_phrases(str(v)) if slot == "mood" else genre_phrases(str(v)))


def _fact_sentence(move: Move, rng: random.Random) -> str:
    """One fact said on its own: 'nothing longer than two hours.', 'ideally from the 90s.'"""
    v: Any = move.value
    if move.slot in ("genre", "mood"):
        return rng.choice(WOULD_BE_GREAT).format(_head_phrase(move, rng))
    if move.slot == "runtime":
        return rng.choice(runtime_sentences(int(v)))
    if move.slot == "liked":
        return _liked_sentence(v, rng)
    if move.slot == "person" and v[1] == "director":
        return rng.choice(("ideally directed by {}.", "something {} directed.",
                           "a {} film would be great.")).format(keep(v[0]))
    if move.slot == "person":
        return rng.choice(("{} should be in it.", "something with {} in it.",
                           "I'm in the mood for something starring {}.")).format(keep(v[0]))
    if move.slot == "language":
        return rng.choice(("it should be in {}.", "preferably in {}, subtitles are fine.",
                           "{}-language if possible.")).format(keep(str(v)))
    if move.slot == "theme":
        return rng.choice(("the story should be about {}.", "ideally it's about {}.",
                           "something about {}.")).format(v)
    modifier = _modifier(move, rng)
    frames = ("ideally {}.", "preferably {}.") if modifier.startswith("sometime") else \
        ("ideally {}.", "preferably {}.", "something {}.")
    return rng.choice(frames).format(modifier)


def _liked_sentence(title: Any, rng: random.Random) -> str:
    return rng.choice(("I really liked {}.", "{} was great.", "loved {}.",
                       "I'm a big fan of {}.", "{} is one of my favourites.",
                       "something in the vein of {} would be cool.")).format(keep(str(title)))
