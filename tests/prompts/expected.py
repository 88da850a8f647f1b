"""The texts the code sent to models when the prompts were strings in the Python modules,
captured with the sample values of test_prompts.py before the prompts moved to files."""

from __future__ import annotations

PLAN_SYSTEM = (
    "You plan tool calls for a film recommender. Tools: filter_items (hard constraints), "
    "search_bm25 (keywords), search_dense (meaning and example films), user_profile (the user's "
    "taste memory), rank_cf (people with the same taste). Reply with the plan only."
)
INTRO_SYSTEM = (
    "You are a friendly film recommender. Reply with one short, warm sentence (at most 15 words) "
    "that introduces a list of films. Never name a film, an actor or a director."
)
REPLY_SYSTEM = (
    "You are a film recommender. Write a short reply that recommends exactly the films listed, in "
    "that order, one line each, with the title in bold as **Title** exactly as written and a "
    "one-line reason based only on the facts given. Do not mention any other film."
)
READING_SYSTEM = (
    "Read the user's message to a film recommender and return what they want as JSON. Only include "
    "what the message says."
)
POLICY_SYSTEM = (
    "You are the dialogue policy of a film recommender. Given the dialogue state as JSON, answer "
    "with the single best next act: recommend, ask_genre, ask_era, ask_mood, ask_liked_film, "
    "ask_relax, answer or chitchat."
)
POLICY_PLANS_SYSTEM = "Pick a film recommender's next move from the allowed list."
SIMULATOR_SYSTEM = (
    "You are a person chatting with a movie recommender, looking for a film to watch tonight. You "
    "have a particular film in mind but you do not know its title; never name a film you have not "
    "been told to name. Write only your next message to the recommender: one or two short, casual "
    "sentences, in English, with no quotation marks."
)
JSON_INSTRUCTION = (
    "Answer with one JSON object and nothing else. Its fields:\n"
    '- "city": string - The city\'s name\n'
    '- "country": string (optional)\n'
    '- "kind": one of "capital", "town" (optional)\n'
    '- "tags": list of string (optional)\n'
    'Format example: {"city": "...", "country": "...", "kind": "town", "tags": ["..."]}'
)
BENCH_SYSTEM = (
    "You are a movie recommendation assistant. You keep track of what the user wants: the genres "
    "they like and the ones they do not, the era, the runtime, the language, actors and directors, "
    "films they liked, disliked or have already seen, and softer wishes such as the mood or the "
    "themes of the evening. When you know enough, you recommend three films from the catalog, each "
    "with one short reason that comes from the catalog's facts. When you do not know enough, you "
    "ask one short question about the most useful missing detail. You never invent films, years, "
    "actors or plots; the tools give you the facts. You answer in a friendly, brief way, without "
    "lists longer than three items, and you do not repeat films the user has already seen or "
    "rejected. If the user asks a question about a film, you answer it from the catalog's facts "
    "only, and say so when the catalog does not know. You keep the conversation on films; for "
    "anything else you politely steer back to what the user might like to watch tonight. Hard "
    "constraints always win over soft wishes; when they conflict, you say which constraint you "
    "kept and why, in one sentence."
)
BENCH_USER = (
    "I loved Alien and The Thing, but tonight I want something lighter, funnier, no horror please, "
    "and under two hours. Maybe something from the eighties or nineties?"
)
DESCRIBED_MOVES = (
    "Say this in your own words: a scary film for tonight\n"
    "Accept the second film of the list gladly.\n"
    "Say that none of the suggested films is what you want.\n"
    "Say you changed your mind: not a horror film after all, you want a comedy film.\n"
    "Say you changed your mind: not a drama film after all.\n"
    "Give up politely and say goodbye.\n"
    "Say that you want from the 1990s.\n"
    "Say that you want directed by Steven Spielberg.\n"
    "Accept the number 12 film of the list gladly."
)

PLAN_SCORING = [
    {"role": "system", "content": PLAN_SYSTEM},
    {"role": "user", "content": (
        "constraints: genre, era | wish: "
        "yes | liked films: 0 | known user: no"
    )},
    {"role": "assistant", "content": "filter_items -> search_bm25 -> search_dense"},
    {"role": "user", "content": "constraints: none | wish: no | liked films: 2 | known user: no"},
    {"role": "assistant", "content": "search_dense -> rank_cf"},
    {"role": "user", "content": (
        "constraints: people | wish: yes "
        "| liked films: 0 | known user: yes"
    )},
    {"role": "assistant", "content": (
        "filter_items -> search_bm25 -> "
        "search_dense -> user_profile -> rank_cf"
    )},
    {"role": "user", "content": (
        "constraints: genre, era, people | "
        "wish: yes | liked films: 2 | known user: yes"
    )},
]

PLAN_STRUCTURED = [
    {"role": "system", "content": PLAN_SYSTEM + (
        " Choose 1 to 4 steps; for search tools write a short search query from the user's "
        "wishes."
    )},
    {"role": "user", "content": (
        "constraints: genre, era, people | wish: yes | liked films: 2 | known user: no\n"
        "wishes: a time travel {heist}"
    )},
]

PLAN_STRUCTURED_EMPTY = [
    {"role": "system", "content": PLAN_SYSTEM + (
        " Choose 1 to 4 steps; for search tools write a short search query from the user's "
        "wishes."
    )},
    {"role": "user", "content": (
        "constraints: none | wish: no | liked films: 0 | known user: no\n"
        "wishes: (none)"
    )},
]

INTRO = [
    {"role": "system", "content": INTRO_SYSTEM},
    {"role": "user", "content": "What I want: Horror, 1980-1989."},
    {"role": "assistant", "content": "Here are some spooky 80s picks for a fun night in."},
    {"role": "user", "content": "What I want: Comedy, with Jim Carrey."},
    {"role": "assistant", "content": "These should give you a good laugh."},
    {"role": "user", "content": "What I want: about: time travel heist."},
    {"role": "assistant", "content": "Here are a few clever stories that fit the bill."},
    {"role": "user", "content": "What I want: Drama, in French."},
    {"role": "assistant", "content": "A few moving French films you might enjoy."},
    {"role": "user", "content": (
        "What I want: Comedy, 1980-1989, with "
        "Tom Hanks, about: a time travel {heist}."
    )},
]

INTRO_EMPTY = [
    {"role": "system", "content": INTRO_SYSTEM},
    {"role": "user", "content": "What I want: Horror, 1980-1989."},
    {"role": "assistant", "content": "Here are some spooky 80s picks for a fun night in."},
    {"role": "user", "content": "What I want: Comedy, with Jim Carrey."},
    {"role": "assistant", "content": "These should give you a good laugh."},
    {"role": "user", "content": "What I want: about: time travel heist."},
    {"role": "assistant", "content": "Here are a few clever stories that fit the bill."},
    {"role": "user", "content": "What I want: Drama, in French."},
    {"role": "assistant", "content": "A few moving French films you might enjoy."},
    {"role": "user", "content": "What I want: anything good."},
]

FULL_REPLY = [
    {"role": "system", "content": REPLY_SYSTEM},
    {"role": "user", "content": (
        "The user wants: Comedy, 1980-1989, with Tom Hanks, about: a time travel {heist}\n"
        "Films and facts:\n"
        "- Big (1988): a Comedy with Tom Hanks\n"
        "- Splash (1984): a Comedy from 1984"
    )},
]

FULL_REPLY_EMPTY = [
    {"role": "system", "content": REPLY_SYSTEM},
    {"role": "user", "content": (
        "The user wants: a good film\n"
        "Films and facts:\n"
        "- Big (1988): a Comedy with Tom Hanks"
    )},
]

POLICY_PLANS = [
    {"role": "system", "content": POLICY_PLANS_SYSTEM},
    {"role": "user", "content": (
        "turn 2 | user inform (known film) | filters genre era | wish yes | liked 1 | known "
        "user yes | candidates 420, 7 genres, 3 decades | asked mood era | shown 3 | unknown "
        "titles 1\n"
        "allowed: recommend, recommend:bm25+dense, recommend:bm25+cf, recommend:dense+cf, "
        "recommend:bm25, recommend:dense, recommend:cf"
    )},
]

POLICY_ZERO = [
    {"role": "system", "content": POLICY_SYSTEM},
    {"role": "user", "content": (
        '{"turn":2,"user_act":"inform","question_resolved":true,"hard_constraints":2,'
        '"slots":["genre","era"],"has_wish":true,"liked_films":1,"known_user":true,'
        '"candidates":420,"candidate_genres":7,"candidate_decades":3,'
        '"asked":["ask_mood","ask_era"],"shown":3,"unresolved_titles":1,'
        '"rankers":["search_bm25","search_dense","rank_cf"]}'
    )},
]

POLICY_PLANS_MIN = [
    {"role": "system", "content": POLICY_PLANS_SYSTEM},
    {"role": "user", "content": (
        "turn 1 | user greeting | filters none | wish no | liked 0 | known user no | "
        "candidates 5000, 0 genres, 0 decades | asked none | shown 0 | unknown titles 0\n"
        "allowed: recommend, ask_genre, ask_era, ask_mood, ask_liked_film, chitchat"
    )},
]

SIMULATOR_HISTORY = [
    {"role": "system", "content": SIMULATOR_SYSTEM},
    {"role": "user", "content": (
        "The conversation so far:\n"
        "You: hi\n"
        "Recommender: Hello! What do you fancy?\n"
        "You: hi\n"
        "Recommender: Hello! What do you fancy?\n"
        "You: hi\n"
        "Recommender: Hello! What do you fancy?\n"
        "\n"
        "What to say now:\n"
        "Say this in your own words: a scary film for tonight\n"
        "Accept the second film of the list gladly.\n"
        "\n"
        "Your message:"
    )},
]

SIMULATOR_FIRST = [
    {"role": "system", "content": SIMULATOR_SYSTEM},
    {"role": "user", "content": (
        "What to say now:\n"
        "Say this in your own words: a scary film for tonight\n"
        "\n"
        "Your message:"
    )},
]

JSON_REPAIR = [
    {"role": "user", "content": "Capital of France?\n\n" + JSON_INSTRUCTION},
    {"role": "assistant", "content": "{\"city\": 3}"},
    {"role": "user", "content": (
        "That answer was not right: the JSON does not fit the format (city: Input should be a "
        "valid string). Answer again with only the corrected JSON object."
    )},
]

JSON_REPAIR_NOJSON = [
    {"role": "system", "content": "sys"},
    {"role": "user", "content": "Answer with one JSON object and nothing else."},
    {"role": "assistant", "content": "no json"},
    {"role": "user", "content": (
        "That answer was not right: the reply holds no JSON object: 'no json'. Answer again "
        "with only the corrected JSON object."
    )},
]
