"""The words the deterministic extractor listens for: negations, triggers that introduce a
film ("loved", "hated", "seen"), filler that is never a wish, subgenres, comparatives,
prompt-injection phrases, references to the last list ("the second one")."""

from __future__ import annotations

import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Words that never carry a wish or a subject (scikit-learn's English list, and chat filler).
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | {
    "lol", "lmao", "tbh", "imo", "pls", "plz", "please", "thanks", "thx", "ok", "okay", "yeah",
    "yes", "nah", "kinda", "sorta", "gonna", "wanna", "gotta", "stuff", "thing", "things",
    "really", "maybe", "guys", "hey", "hi", "hello", "ones", "one", "only", "just", "like",
    "movie", "movies", "film", "films", "flick", "flicks", "watch", "watching", "watched",
    "week", "weekend", "month", "year", "lately", "recently", "tonight", "today", "tomorrow",
    "yesterday", "night", "evening", "ago", "soon", "later", "download", "downloading",
    "tell", "show", "give", "find", "recommend", "suggest", "pick", "help", "mind",
    "honestly", "basically", "literally", "seriously", "obviously", "probably", "definitely",
    "totally", "absolutely", "ngl", "idk", "btw", "say", "guess", "think", "know",
}

TOKEN = re.compile(r"[\w][\w'’\-.&]*[\w]|[\w]|[\"“”«»]|[^\w\s]")
CLAUSE_BREAK = {".", ",", ";", "!", "?", ":", "(", ")", "—", "–"}
CLAUSE_WORDS = {"but", "although", "though", "however", "whereas", "instead"}
LUKEWARM_NEGATORS = (
    "not a fan of", "not a big fan of", "not a huge fan of", "not really a fan of",
    "never been a fan of", "not big on", "not really into", "not much into", "not crazy about",
    "not much of a", "not really", "not interested in", "not the biggest fan of",
)
NEGATORS = {
    "no", "not", "nothing", "without", "never", "avoid", "except", "excluding", "hate",
    "hates", "don't", "dont", "doesn't", "isn't", "aren't", "skip", "neither", "nor", "none",
    "minus", "sans", "nope", "nah", "n't", "anything but", "rather not", "not into",
    "sick of", "tired of", "can't stand", "cannot stand", "don't want", "do not want",
    "no more", "steer clear of", "stay away from", "leave out", "not another",
    "is not", "are not", "instead of", "rather than", "other than", "in place of", "wasn't",
    "isnt", "arent",
    *LUKEWARM_NEGATORS,
}
# Negators that refuse what follows them directly ("no horror", "anything but westerns");
# the rest of NEGATORS only lean away ("never", "isn't", "tired of").
REFUSING = {
    "no", "not", "nothing", "without", "except", "excluding", "anything but", "don't want",
    "do not want", "no more", "skip", "avoid", "minus", "sans", "rather not", "steer clear of",
    "stay away from", "leave out", "hate", "hates", "can't stand", "cannot stand", "none",
    "nor", "neither", "dont want", "not another", "isn't", "aren't", "wasn't", "isnt",
    "arent", "is not", "are not",
}
# "X instead of Y": Y is no longer wanted, but not refused either.
DROPPING = {"instead of", "rather than", "other than", "in place of"}
# Taste negators: a leaning away, never a filter ("not a fan of horror").
LUKEWARM = {
    "not a fan of", "not a big fan of", "not a huge fan of", "not really a fan of",
    "never been a fan of", "not big on", "not really into", "not into", "not much into",
    "not crazy about", "not a huge", "not much of a", "not really", "not interested in",
    "not the biggest fan of", "not usually", "not always", "not so much",
}
# Words that may stand between a refusing negator and what it refuses.
LIGHT = {"a", "an", "the", "any", "more", "of", "with", "some", "that", "those", "these",
         "and", "or", "nor", "&", "/",
         "kind", "sort", "type", "movies", "movie", "films", "film", "stuff", "anything",
         "another", "other", "in", "from", "by", "starring", "featuring", "real", "actual"}
# Degree words: "not too bloody", "isn't full of jump scares" lean away, they don't refuse.
DEGREE = {"too", "very", "overly", "full", "so", "much", "many", "lots", "lot", "super",
          "excessively", "that", "really", "extremely", "crazy", "heavy", "heavily"}
# A subject disliked by what is said after it ("westerns aren't really my thing").
DISLIKING_PREDICATE = re.compile(
    r"(?:\b(?:(?:is|are|'s|'re|has|have|'ve)\s+)?(?:just\s+|really\s+|honestly\s+)?(?:not|"
    r"never)|\b(?:is|are|was|were|has|have|do|does)n'?t|n't)\s+(?:really\s+|quite\s+|exactly\s+"
    r"|ever\s+)?(?:been\s+)?(?:really\s+)?(?:my "
    r"(?:thing|cup of tea|jam|style|genre|type|favou?rite)|for me|doing it for me)\b"
    r"|\btoo\s+(?:\w+\s+){1,2}for\s+(?:me|my taste|my liking)\b"
    r"|\bgets?\s+on\s+my\s+nerves\b|\b(?:is|are)n'?t\s+my\s+favou?rite\b"
    r"|\b(?:usually\s+|always\s+|kinda\s+|kind of\s+)?bores?\s+me\b|\bbored me\b"
    r"|\b(?:doesn'?t|don'?t|do not|does not)\s+(?:really\s+|usually\s+)?do\s+(?:it|much|"
    r"anything)\s+for me\b"
    r"|\b(?:is|are|'s|'re)\s+(?:kind of\s+|kinda\s+|a bit\s+|so\s+|too\s+)?(?:boring|"
    r"annoying|overrated|tedious|not my thing)\b"
    r"|\b(?:is|are)\s+hit\s+(?:or|and)\s+miss\b"
    r"|\b(?:has|have)\s+never\s+(?:really\s+)?(?:clicked|worked|landed)\s+(?:with|for)\s+me\b"
    r"|\b(?:are|is)\s+(?:ok|okay|fine|alright)\s+i\s+guess\b"
)
# Double negations that welcome what follows ("I wouldn't say no to a western").
WELCOMING = re.compile(
    r"\b(?:wouldn'?t|would not|couldn'?t|can'?t|could not)\s+say\s+no\s+to\b|\bnot\s+(?:against|"
    r"opposed to|averse to)\b|\bno\s+objections?\s+to\b|\bwouldn'?t\s+hate\b"
    # "never seen any Kubrick": new to them, which is why they ask, not a dislike
    r"|\b(?:never|not|haven'?t|have\s+not|hasn'?t)\s+(?:ever\s+|yet\s+|really\s+|even\s+)?"
    r"(?:seen|watched)\s+(?:any|anything\s+(?:by|from|with))\b"
)
# A subject refused outright by what is said after it ("musicals are a no from me").
REFUSING_PREDICATE = re.compile(
    r"\b(?:is|are)\s+a\s+(?:no|hard no|pass|hard pass|no-go|no go)\s+(?:from|for)\s+me\b"
    r"|\b(?:is|are)\s+(?:off the table|out of the question|a dealbreaker)\b"
)
# A leaning away from what follows ("I'm kinda over superhero movies", "meh on sci-fi").
DISLIKING_PREFIX = re.compile(
    r"\b(?:i'?m|i am)\s+(?:kinda\s+|kind of\s+|a bit\s+|so\s+|pretty\s+|really\s+)?"
    r"(?:over|done with|tired of|sick of|burnt out on|burned out on)\b"
    r"|\bmeh\s+(?:on|about)\b|\bcan take (?:it\s+)?or leave\b|\bi (?:find|found)\b(?=[^.,;!?]*"
    r"\b(?:annoying|boring|overrated|tedious|grating)\b)"
    r"|\b(?:usually|generally|often|mostly|tend to)\s+(?:avoid|skip|dislike|steer clear of|"
    r"stay away from|pass on)\b"
)
ALLOW_AFTER = re.compile(
    r"^\s*(?:is|are|would be|'s|'re)?\s*(?:fine|ok|okay|alright|all right|good too|acceptable"
    r"|allowed|welcome)\b"
)
ALLOW_BEFORE = re.compile(
    r"(?:don't mind|do not mind|dont mind|ok with|okay with|fine with|happy with|open to"
    r"|allow|include)\s*$"
)
LIKE = ("like", "likes", "liked", "love", "loved", "loves", "enjoyed", "enjoy", "adore",
         "adored", "similar to", "in the vein of", "such as", "fan of", "reminds me of",
         "along the lines of", "favorite", "favourite", "favorite movie is",
         "favourite film is", "favorite film is", "favourite movie is", "dug", "dig",
         "more like", "something like")
DISLIKE = ("hated", "hate", "disliked", "didn't like", "did not like", "dont like",
            "don't like", "can't stand", "couldn't stand", "not a fan of", "didn't enjoy",
            "did not enjoy", "not like", "was boring", "bored me", "didn't care for",
            "did not care for", "couldn't get into", "couldn't get through", "never liked")
SEEN = ("seen", "watched", "saw", "already seen", "have seen", "'ve seen", "already watched")
NOT_SEEN = ("haven't seen", "have not seen", "never seen", "not seen", "haven't watched",
             "never watched", "didn't see", "not watched")
FILLER_AFTER_TRIGGER = {"the", "movie", "film", "movies", "films", "flick", "to", "watching",
                         "watch"}
GENERIC = {
    "it", "that", "this", "them", "those", "these", "one", "ones", "something", "anything",
    "movie", "movies", "film", "films", "stuff", "things", "a", "an", "the", "some", "more",
    "me", "you", "to", "watch", "see", "lot", "much", "very", "really", "so", "too", "all",
    "what", "which", "good", "great", "best", "new", "old", "other", "another", "similar",
    "i", "we", "my", "your", "our", "and", "or", "but", "with", "without", "for", "of",
    "in", "on", "at", "by", "from", "about", "just", "like", "love", "time", "now", "tonight",
    "today", "weekend", "night", "please", "thanks", "thank", "recommend", "recommendation",
    "recommendations", "suggest", "suggestion", "suggestions", "want", "wanna", "looking",
    "look", "find", "show", "give", "need", "would", "could", "can", "should", "maybe",
    "perhaps", "kind", "sort", "type", "genre", "genres", "something's", "is", "are", "was",
    "be", "have", "has", "had", "do", "does", "did", "not", "no", "yes", "ok", "okay",
    "hi", "hello", "hey", "actually", "instead", "rather", "also", "as", "well",
    "then", "again", "still", "any", "fine", "mind", "cool", "nice", "watched",
    "seen", "saw", "liked", "loved", "enjoyed", "prefer", "preferably", "ideally", "around",
    "minutes", "minute", "mins", "hours", "hour", "long", "short", "year", "years", "era",
    "decade", "released", "made", "set", "feel", "feeling", "mood", "vibe", "vibes", "pick",
    "picks", "choose", "option", "options", "list", "idea", "ideas", "if", "than", "less",
    "under", "over", "between", "before", "after", "since", "until", "language", "english",
    "subtitles", "rated", "rating", "highly", "top", "acclaimed", "critically", "starring",
    "directed", "director", "actor", "actress", "cast", "featuring", "someone",
    "nothing", "never", "avoid", "except", "excluding", "hate", "hates", "don't", "dont",
    "doesn't", "isn't", "aren't", "skip", "neither", "nor", "none", "minus", "sans", "nope",
    "nah", "two", "three", "four", "five", "half", "length", "runtime", "who", "how",
    "when", "where", "why", "whatever", "shorter", "longer", "newer", "older", "start",
    "reset", "search", "afresh", "begin", "let", "let's", "lets", "everything", "anyone",
    "lots", "bit", "little", "make", "makes", "drop", "remove", "sorry", "though", "get",
    "got", "going", "try", "evening", "afternoon", "friday", "saturday", "sunday", "guys",
    "hiya", "thx", "cheers", "yeah", "yep", "sure", "awesome", "different", "else",
    "surprise", "open",
}
LANGUAGE_NOUNS = {"movie", "movies", "film", "films", "cinema", "language", "flick", "flicks",
                   "one", "ones", "spoken", "audio", "classic", "classics", "director",
                   "directors", "animated", "indie", "arthouse", "new", "wave"}
GENRE_NOUNS = {"movie", "movies", "film", "films", "flick", "flicks", "drama", "dramas",
                "piece", "pieces", "friendly"}
GENRE_DETERMINERS = {"a", "some", "no", "any", "good", "great", "the"}
# Words for subgenres -> the TMDB keyword / MovieLens tag to exclude ("no zombies").
SUBGENRES: dict[str, str] = {
    "heist": "heist", "heists": "heist", "zombie": "zombie", "zombies": "zombie",
    "vampire": "vampire", "vampires": "vampire", "time travel": "time travel",
    "superhero": "superhero", "superheroes": "superhero", "dinosaur": "dinosaur",
    "dinosaurs": "dinosaur", "pirate": "pirate", "pirates": "pirate", "werewolf": "werewolf",
    "werewolves": "werewolf", "serial killer": "serial killer", "martial arts": "martial arts",
    "christmas": "christmas", "boxing": "boxing", "pixar": "pixar", "dystopia": "dystopia",
    "dystopian": "dystopia", "post apocalyptic": "post-apocalyptic", "courtroom": "courtroom",
    "mafia": "mafia", "submarine": "submarine", "alien invasion": "alien invasion",
}
COMPARATIVE = {
    "funnier": "funny", "scarier": "scary", "darker": "dark", "lighter": "light-hearted",
    "happier": "happy", "sadder": "sad", "weirder": "weird", "sillier": "silly",
    "smarter": "smart", "gorier": "gory", "sweeter": "sweet", "creepier": "creepy",
    "crazier": "crazy", "bloodier": "bloody", "stranger": "strange", "cuter": "cute",
    "grittier": "gritty", "campier": "campy", "quirkier": "quirky",
}
# Instructions to the system rather than wishes about films: overriding its rules, asking
# for its prompt or secrets, role play, commands to run, ranking orders.
INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|drop)\s+(?:all\s+|any\s+|the\s+|your\s+|"
    r"my\s+|previous\s+|prior\s+|above\s+|earlier\s+|these\s+|of\s+|\w+'s\s+)*(?:instructions|rules|"
    r"prompts?|directions|guidelines|filters|constraints|film stuff|programming|restrictions)"
    r"|\bsystem\s+(?:prompt|message|instructions)|\b(?:developer|admin|root|god)\s+(?:mode|"
    r"override|says|access)|\bnew\s+instructions\b|\b(?:previous|prior|all|your)\s+(?:rules|"
    r"instructions)\s+(?:are|is)\s+(?:now\s+)?(?:void|cancell?ed|null|invalid|off|lifted)"
    r"|\bpretend\s+(?:to\s+be|you\s+are|you're|youre)|\byou\s+are\s+now\b|\byou(?:'re|\s+are)\s+"
    r"(?:no\s+longer|not\s+a|now\s+allowed|allowed)\b|\byou\s+must\s+(?:reply|respond|"
    r"answer|output|say)\b|\breply\s+(?:only\s+)?with\s+the\b|\brespond\s+only\s+(?:in|with)"
    r"|\b(?:print|reveal|show|tell|repeat|translate|share|give|leak)\s+(?:me\s+)?(?:your|the)\s+"
    r"(?:system\s+|secret\s+|hidden\s+)?(?:prompt|instructions|rules|guidelines|api\s+key|"
    r"password|config)|\bapi\s+key\b|\bjailbreak|\bDAN\b|\b(?:write|run|execute)\s+(?:me\s+)?"
    r"(?:a\s+)?(?:script|code|command|program)\b|\bdelete\s+all\b|\brm\s+-rf|\bbrowse\s+the"
    r"\s+web\b|\bno\s+matter\s+what\b|\b(?:load|apply)\s+these\b|\bskip\s+the\s+rest\b"
    r"|\b\w+\s*=\s*\{|#{3,}|\bdisregard\s+(?:all|any|your|the|previous)\b"
    r"|(?:^|[\s.!?])(?:system|assistant|admin)\s*:\s|\breveal\s+(?:your|the)\s+(?:prompt|"
    r"instructions)",
    re.I,
)
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
             "4th": 3, "fifth": 4, "5th": 4, "last": -1, "final": -1}
ORDINAL_REF = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final)"
    r"(?:\s+(?:one|film|movie|pick|suggestion))?\b|\b(?:number|no\.?|#)\s*([1-5])\b",
    re.I,
)
_WORD_DECADES = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
                 "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
