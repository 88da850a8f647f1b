"""Phrasers: turn a simulated user's moves into a message.

- `TemplatePhraser`: fixed sentence templates with seeded variation; deterministic for a
  seed and fast. The default, and the RL environment.
- `LlmPhraser`: any configured LLM backend writes the message from the moves and the
  dialogue so far, in the style of the iEvaLM / InteRecAgent user simulators (the model is
  told what the user wants and what to say this turn, never the title). When the model's
  message is empty, overlong or leaves out a fact (`carries`), the template's is used, and
  counted.
- `ParaphrasePhraser` (convrec/eval/paraphrase.py): the template's facts in everyday wording,
  casual spelling and typos at a set rate.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from convrec.eval.moves import Move, article, genre_word, ordinal
from convrec.llm.types import Llm, LlmError
from convrec.prompts import load_prompt, load_prompt_data, render_prompt


def fragment(move: Move) -> str:
    """A noun-phrase modifier for one fact: 'from the 1990s', 'directed by X'."""
    v = move.value
    return {
        "genre": lambda: f"{article(genre_word(str(v)))} {genre_word(str(v))} movie",
        "era": lambda: f"from the {v}s",
        "person": lambda: f"directed by {v[0]}" if v[1] == "director" else f"with {v[0]}",
        "theme": lambda: f"about {v}",
        "mood": lambda: f"something {v}",
        "language": lambda: f"in {v}",
        "runtime": lambda: f"under {v} minutes",
        "liked": lambda: f"something like {v}",
    }[move.slot or "genre"]()


class TemplatePhraser:
    """Sentence templates with seeded variation (see the module docstring)."""

    name = "template"

    def phrase(self, moves: Sequence[Move], history: Sequence[tuple[str, str]],
               rng: random.Random) -> str:
        parts: list[str] = []
        reveals = [m for m in moves if m.kind == "reveal"]
        for move in moves:
            if move.kind == "opening":
                parts.append(move.detail)
            elif move.kind == "accept":
                parts.append(rng.choice((
                    "The {} one sounds perfect, I'll watch that!",
                    "Oh, the {} one is exactly what I was after. Thanks!",
                    "I'll go with the {} one, thank you!",
                )).format(ordinal(move.position or 1)))
            elif move.kind == "reject":
                parts.append(rng.choice(("Not those.", "None of these, sorry.",
                                         "Hmm, not quite.", "No, not really."))
                             if reveals or len(moves) > 1 else
                             rng.choice(("Nah.", "Not those.", "None of these, sorry.")))
            elif move.kind == "flip":
                new = f" I'd rather have {fragment(Move('reveal', 'genre', move.value))}." \
                    if move.value else ""
                decoy = genre_word(move.detail)
                parts.append(f"Not {article(decoy)} {decoy} after all.{new}")
            elif move.kind == "bye":
                parts.append(rng.choice(("Never mind, I'll find something myself. Bye.",
                                         "Forget it, thanks anyway.")))
        if reveals:
            parts.append(self._reveals(reveals, opening=not history, rng=rng))
        return " ".join(p for p in parts if p)

    def _reveals(self, reveals: Sequence[Move], *, opening: bool, rng: random.Random) -> str:
        liked = [m for m in reveals if m.slot == "liked"]
        head = next((m for m in reveals if m.slot in ("genre", "mood")), None)
        mods = [m for m in reveals if m is not head and m.slot != "liked"]
        if head is None and not mods:
            return f"I loved {liked[0].value}." if liked else ""
        if head is not None:
            phrase = fragment(head)
        elif mods and mods[0].detail in ("older", "newer") and mods[0].slot == "era":
            phrase = f"something {mods[0].detail},"
        else:
            phrase = "a movie" if opening else "something"
        phrase = " ".join(p for p in [phrase, *(fragment(m) for m in mods)] if p).strip(" ,")
        if opening:
            text = rng.choice(("I'm looking for {}.", "Can you recommend {}?",
                               "I'd like to watch {}.", "Hi! I want {}."))
        else:
            text = rng.choice(("{}, please.", "I'd like {}.", "Maybe {}?"))
        sentence = text.format(phrase)
        sentence = sentence[0].upper() + sentence[1:]
        if liked:
            sentence += f" I loved {liked[0].value}."
        return sentence


def describe_moves(moves: Sequence[Move]) -> str:
    """The moves as instructions to an LLM: what to say this turn (prompts/simulator_moves.json)."""
    says = load_prompt_data("simulator_moves")
    lines = []
    for m in moves:
        if m.kind == "opening":
            lines.append(says["opening"].format(detail=m.detail))
        elif m.kind == "accept":
            lines.append(says["accept"].format(ordinal=ordinal(m.position or 1)))
        elif m.kind == "reject":
            lines.append(says["reject"])
        elif m.kind == "flip":
            genre = genre_word(m.detail)
            lines.append(says["flip_to"].format(genre=genre, new_genre=genre_word(str(m.value)))
                         if m.value else says["flip"].format(genre=genre))
        elif m.kind == "bye":
            lines.append(says["bye"])
        elif m.kind == "reveal":
            lines.append(says["reveal"].format(fragment=fragment(m)))
    return "\n".join(lines)


def simulator_messages(moves: Sequence[Move], history: Sequence[tuple[str, str]]
                       ) -> list[dict[str, str]]:
    """The chat whose reply is the simulated user's next message: who they are, the last six
    messages of the dialogue and what to say now."""
    dialogue = "\n".join(f"{'You' if who == 'user' else 'Recommender'}: {text}"
                         for who, text in history[-6:])
    said = describe_moves(moves)
    prompt = (render_prompt("simulator_user", dialogue=dialogue, moves=said) if dialogue
              else render_prompt("simulator_first_user", moves=said))
    return [{"role": "system", "content": load_prompt("simulator_system")},
            {"role": "user", "content": prompt}]


class LlmPhraser:
    """An LLM writes the user's message from the moves (see the module docstring)."""

    max_chars = 400

    def __init__(self, llm: Llm) -> None:
        self.llm = llm
        self.name = f"llm:{getattr(llm, 'name', 'unknown')}"
        self.fallback = TemplatePhraser()
        self.fallbacks = 0

    def phrase(self, moves: Sequence[Move], history: Sequence[tuple[str, str]],
               rng: random.Random) -> str:
        messages = simulator_messages(moves, history)
        try:
            text = self.llm.complete(messages, max_tokens=80, temperature=0.7)
        except LlmError:
            text = ""
        text = " ".join(str(text).replace('"', "").split())
        if not text or len(text) > self.max_chars or not carries(text, moves):
            self.fallbacks += 1
            return self.fallback.phrase(moves, history, rng)
        return text


def required_words(move: Move) -> list[str]:
    """What a message must contain to carry `move` (any one of the alternatives)."""
    v = move.value
    if move.kind == "accept":
        return [ordinal(move.position or 1), str(move.position)]
    if move.kind == "flip":
        return [genre_word(move.detail)]
    if move.kind != "reveal":
        return []
    if move.slot == "genre":
        return [genre_word(str(v))]
    if move.slot == "era":
        return [str(v), f"{int(v) % 100:02d}s"]
    if move.slot == "person":
        return [str(v[0]).split()[-1]]
    if move.slot == "liked":
        return [str(v).rsplit(" (", 1)[0]]
    return [str(v)]


def carries(text: str, moves: Sequence[Move]) -> bool:
    """Whether an LLM's message says what the moves say: every fact to reveal, the accepted
    position, the genre taken back. A message that does not is replaced by the template's,
    so the simulated user stays truthful and informative whatever the model."""
    low = text.lower()
    return all(any(w.lower() in low for w in words)
               for words in map(required_words, moves) if words)
