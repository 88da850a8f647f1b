"""Everyday wording of a simulated user's facts, written by hand for the paraphrase phraser.

The lists are deliberately *not* taken from the agent's vocabulary (convrec/agent/vocab.py,
lexicon.py): the paraphrase simulator measures how the agent copes with words outside its
lists, so they hold the casual names people use ("spooky", "a whodunit", "lol-type stuff"),
each one that unambiguously means its genre.

Every phrase is truthful for the value it is made from: a decade phrase names that decade
only, a runtime phrase states a limit of exactly the stated minutes (`runtime_bucket`, which
the target is shorter than), a position phrase names that position.

Phrases come in two shapes: noun phrases ("a horror flick", "something spooky") and
modifiers that follow one ("from the nineties", "under 2 hrs"). Quantities, names and titles
are wrapped by `keep` so casual spelling and typos leave them alone (typing_noise.py).
"""

from __future__ import annotations

from convrec.eval.typing_noise import keep

# Noun phrases per catalog genre. Phrases of more than `COMBINABLE_WORDS` words read badly
# with a modifier after them ("something for the whole family from the 90s"): said alone.
GENRE_PHRASES: dict[str, tuple[str, ...]] = {
    "Action": ("an action flick", "something action-packed", "an action movie",
               "a shoot-em-up", "something with lots of action", "a proper action film"),
    "Adventure": ("an adventure", "an adventure flick", "something adventurous",
                  "a big adventure", "an adventure story", "a proper adventure movie"),
    "Animation": ("something animated", "an animated film", "a cartoon", "an animated movie",
                  "a cartoon movie", "some animation"),
    "Comedy": ("something funny", "a comedy", "lol-type stuff", "a funny movie",
               "something hilarious", "a good laugh", "something that'll make me laugh"),
    "Crime": ("a crime flick", "a crime movie", "a crime story", "a cops-and-robbers thing",
              "something about criminals", "something crime-y"),
    "Documentary": ("a doc", "a documentary", "a docu", "a nonfiction film", "a doco",
                    "a real-life documentary"),
    "Drama": ("a drama", "something dramatic", "a serious drama", "a proper drama",
              "a dramatic movie", "something drama-ish"),
    "Family": ("something family-friendly", "a family movie", "a family flick",
               "something for the whole family", "something the kids can watch too",
               "a film for all ages"),
    "Fantasy": ("fantasy", "a fantasy flick", "something magical", "a fantasy movie",
                "something fantasy-ish", "some fantasy"),
    "Film-Noir": ("a noir", "a film noir", "something noir", "a noir flick",
                  "a noir-style movie"),
    "History": ("a historical film", "a period piece", "something historical",
                "a history movie", "something based on history"),
    "Horror": ("something scary", "something spooky", "a horror flick", "a scary movie",
               "something creepy", "a fright fest", "a horror movie",
               "something that'll give me nightmares"),
    "Music": ("a music movie", "something about music", "a film about musicians",
              "a movie about a band"),
    "Musical": ("a musical", "a song-and-dance movie", "a movie musical",
                "something with songs and dancing", "a sing-along movie"),
    "Mystery": ("a mystery", "a whodunit", "a whodunnit", "something mysterious",
                "a mystery movie", "a good mystery"),
    "Romance": ("something romantic", "a love story", "a romance", "a romantic movie",
                "something lovey-dovey", "a romantic flick"),
    "Science Fiction": ("sci-fi", "scifi", "science-fiction", "something sci-fi",
                        "a sci fi movie", "a scifi flick", "some science-fiction"),
    "Thriller": ("a thriller", "something suspenseful", "an edge-of-your-seat movie",
                 "a nail-biter", "a thriller flick", "something tense and thrilling"),
    "War": ("a war movie", "a war flick", "a war film", "something about war",
            "something set during a war"),
    "Western": ("a western", "a cowboy movie", "a cowboy flick", "something with cowboys",
                "a western flick"),
}
COMBINABLE_WORDS = 3

# Noun phrases per mood (target.GENRE_MOODS values): soft wishes, worded around the adjective.
MOOD_PHRASES: dict[str, tuple[str, ...]] = {
    "funny": ("something funny", "something light and funny", "something to make me laugh"),
    "scary": ("something scary", "something creepy", "something spooky"),
    "romantic": ("something romantic", "something sweet and romantic"),
    "tense": ("something tense", "something gripping", "something nerve-wracking"),
    "family-friendly": ("something family-friendly", "something kid-friendly"),
    "animated": ("something animated",),
    "action-packed": ("something action-packed", "something with lots of action"),
    "gritty": ("something gritty", "something raw and gritty"),
    "mysterious": ("something mysterious", "something with a mystery to it"),
    "magical": ("something magical", "something with a bit of magic"),
    "moving": ("something moving", "something emotional", "something that'll move me"),
    "adventurous": ("something adventurous",),
    "mind-bending": ("something mind-bending", "something that messes with your head"),
    "musical": ("something musical", "something with lots of music"),
    "dusty": ("something dusty", "something with a dusty frontier feel"),
    "historical": ("something historical", "something set in the past"),
    "true-story": ("a true story", "something based on real events"),
    "noirish": ("something noirish", "something noir-ish"),
}

DECADE_WORDS = {1930: "thirties", 1940: "forties", 1950: "fifties", 1960: "sixties",
                1970: "seventies", 1980: "eighties", 1990: "nineties"}
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen")
TENS_WORDS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
              "ninety")


def combinable(phrase: str) -> bool:
    return len(phrase.split()) <= COMBINABLE_WORDS


def genre_phrases(genre: str) -> tuple[str, ...]:
    """Everyday noun phrases for a catalog genre (its plain name for one not listed)."""
    return GENRE_PHRASES.get(genre, (f"{genre.lower()}",))


def mood_phrases(mood: str) -> tuple[str, ...]:
    return MOOD_PHRASES.get(mood, (f"something {mood}",))


# ----------------------------------------------------------------------------- quantities


def number_words(n: int) -> str:
    """0..999 in words, British style: 'a hundred and twenty'."""
    if n < 20:
        return NUMBER_WORDS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS_WORDS[tens] + (f"-{NUMBER_WORDS[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = "a hundred" if hundreds == 1 else f"{NUMBER_WORDS[hundreds]} hundred"
    return head + (f" and {number_words(rest)}" if rest else "")


def digit_ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def decade_modifiers(decade: int) -> list[str]:
    """'from the nineties', "from the '90s", 'sometime in the 1990s': that decade only.

    Two-digit forms are used for 1930-1990 alone: 'the 20s' could be the 1920s or the 2020s.
    """
    full = f"{decade}s"
    names = [f"the {full}"]
    if decade in DECADE_WORDS:
        short = f"{decade % 100:02d}"
        names += [f"the {DECADE_WORDS[decade]}", f"the {short}s", f"the {short}'s",
                  f"the '{short}s"]
    elif decade == 1920:
        names.append("the roaring twenties")
    elif decade == 2000:
        names += ["the noughties", "the aughts"]
    elif decade == 2010:
        names += ["the 2010's", "the twenty-tens"]
    out = [f"from {keep(n)}" for n in names]
    out += [f"made in {keep(n)}" for n in names[1:3] or names]
    out += [f"sometime in {keep('the ' + full)}",
            f"from between {keep(str(decade))} and {keep(str(decade + 9))}"]
    return out


def duration_words(minutes: int) -> list[str]:
    """`minutes` said as people say it: 'two hours', '2 hrs', 'ninety minutes', '1.5h'."""
    hours, rest = divmod(minutes, 60)
    out = [f"{number_words(minutes)} minutes", f"{minutes} mins", f"{minutes} min"]
    if rest == 0 and hours:
        word = "an hour" if hours == 1 else f"{NUMBER_WORDS[hours]} hours"
        out += [word, f"{hours} hour" + ("s" if hours > 1 else ""), f"{hours} hrs" if hours > 1
                else "1 hr", f"{hours}h"]
        if hours == 2:
            out.append("a couple of hours")
    elif rest == 30:
        if hours == 0:
            out.append("half an hour")
        else:
            word = "an hour" if hours == 1 else f"{NUMBER_WORDS[hours]} hours"
            out += [f"{word} and a half" if hours == 1 else
                    f"{NUMBER_WORDS[hours]} and a half hours", f"{hours}.5 hours",
                    f"{hours}.5 hrs", f"{hours}.5h"]
    return out


def runtime_modifiers(minutes: int) -> list[str]:
    """Runtime limits of exactly `minutes` (the target is shorter): 'under 2 hrs'."""
    frames = ("under {}", "no longer than {}", "{} at most", "{} max", "{} or less",
              "not more than {}", "shorter than {}")
    return [frame.format(keep(words)) for words in duration_words(minutes) for frame in frames]


def runtime_sentences(minutes: int) -> list[str]:
    frames = ("nothing longer than {}.", "I've only got {}.", "has to be under {}.",
              "{} max.", "keep it under {}, please.", "nothing too long, {} at most.")
    return [frame.format(keep(words)) for words in duration_words(minutes) for frame in frames]


def position_phrases(position: int) -> list[str]:
    """'the second one', 'the 2nd one', '#2', 'number two': that position of the list."""
    d = digit_ordinal(position)
    out = [f"the {d} one", f"#{position}", f"number {position}", f"the {d}"]
    if position < len(NUMBER_WORDS):
        out.append(f"number {NUMBER_WORDS[position]}")
    if position <= 10:
        word = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                "ninth", "tenth")[position - 1]
        out += [f"the {word} one", f"the {word}"]
    if position == 1:
        out += ["the top one", "the very first one"]
    return [keep(p) for p in out]
