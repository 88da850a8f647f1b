"""The patterns `cues.read_shape` reads a plan's shape with, over lower-cased text whose
number words are digits ("three" -> "3", "a couple of" -> "2")."""

from __future__ import annotations

import re

FILMS = (r"(?:films?|movies?|picks?|titles?|flicks?|features?|suggestions?|recommendations?"
         r"|ones)")
# units and people a number can count that are not films ("2 hours", "my 2 kids")
UNITS = (r"(?:hours?|hrs?|minutes?|mins?|stars?|years?|yrs?|decades?|days?|nights?|weeks?|"
         r"months?|times?|people|persons?|kids?|friends?|episodes?|seasons?|parts?|points?"
         r"|percent|votes?|adults?|teens?|teenagers?|boys?|girls?|guys?|sons?|daughters?"
         r"|brothers?|sisters?|parents?|s)")
COUNT = re.compile(
    rf"(?<!watched\s)(?<!seen\s)(?<!saw\s)(?<!the\s)\b(\d+)\s+(?:(?!{UNITS}\b)[\w'-]+\s+){{0,3}}?"
    rf"(?:{FILMS}|(?!{UNITS}\b)[a-z-]{{3,}}(?:s|es))\b"
    rf"|\b(\d+)\s+(?:of\s+them|of\s+those|please|for\s+(?:me|us)|in\s+(?:total|all)|total)\b"
    rf"|\b(?:line\s+up|give\s+me|pick(?:\s+out)?|recommend|suggest|get\s+me|find\s+me|choose"
    rf"|say)\s+(\d+)\b(?!\s*(?:{UNITS}|\.\d)\b)"
)
PAIR = re.compile(rf"\b(?P<cut>(?:an?\s+)?(couple|pair|few)\s+of)\s+(?:[\w'-]+\s+){{0,3}}?"
                  rf"(?:{FILMS}|[a-z-]{{3,}}(?:s|es))\b")
DOUBLE = re.compile(r"\b(?:an?\s+)?(double|triple)[\s-]+(?:feature|bill|header)s?\b")
ONE_EACH = re.compile(r"\b(?:one|1)\s+for\s+[\w\s']{1,25}?\s+and\s+(?:one|1)\s+for\b"
                      r"|\b(?:one|1)\s+(?:each|apiece|of\s+each|for\s+each(?:\s+of\s+(?:them|us))?)\b"
                      r"|\bfor\s+each\s+of\s+(?:them|us|you)\b")
PER = re.compile(
    r"\b(?:one|1|a\s+film|a\s+movie)\s+(?:[a-z-]+\s+){0,2}?(?P<cut>(?:per|a|each|every)\s+"
    r"(night|day|evening))\b|\b(?P<cut2>for\s+each\s+(night|day|evening))\b"
    r"|\b(?P<cut3>(?:each|every)\s+(night|day|evening))\b"
)
NIGHTS = re.compile(r"\b(?:for\s+|over\s+)?(?:the\s+next\s+)?(\d+)\s+(nights|days|evenings)\b")
WEEK = re.compile(r"\b(?:this|for\s+the|over\s+the|for\s+a|next|the)\s+(long\s+)?(week|weekend)\b")
_EASY = (r"(?:easiest|most\s+accessible|gentlest|lightest|simplest|most\s+approachable"
         r"|most\s+popular|best[\s-]known|most\s+famous|least\s+scary|mildest)")
ORDERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("newest", re.compile(
        r"\b(?:newest|latest|most\s+recent)\s+(?:ones?\s+|films?\s+|movies?\s+)?first\b"
        r"|\breverse\s+chronological(?:ly)?(?:\s+order)?\b"
        r"|\b(?:from\s+)?(?:newest|latest|most\s+recent|new)\s+to\s+(?:the\s+)?(?:oldest|"
        r"earliest|old)\b")),
    ("oldest", re.compile(
        r"\b(?:oldest|earliest)\s+(?:ones?\s+|films?\s+|movies?\s+)?first\b"
        r"|\b(?:in\s+)?chronological(?:ly)?(?:\s+order)?\b|\bin\s+(?:the\s+)?order\s+"
        r"(?:of\s+release|they\s+came\s+out|they\s+were\s+made)\b|\bin\s+release\s+order\b"
        r"|\b(?:from\s+)?(?:the\s+)?(?:oldest|earliest|old|early)\s+to\s+(?:the\s+)?(?:newest|"
        r"latest|most\s+recent|new|late|recent)\b"
        r"|\bfrom\s+(?:his|her|their|the)\s+(?:very\s+)?(?:early|earliest|first)\s+(?:stuff|"
        r"work|films|movies|days|years|ones)\s+(?:onwards?|on|forward|to)\b"
        r"|\bover\s+time\b|\bthrough\s+the\s+(?:years|decades)\b")),
    ("easiest", re.compile(
        rf"\b(?:the\s+)?{_EASY}\s+(?:ones?\s+|films?\s+|movies?\s+|one\s+)?(?:to\s+(?:get\s+into|"
        rf"watch|start\s+with|follow)\s+)?first\b"
        rf"|\b(?:start|starting|begin|beginning|kick\s+off|open|opening|ease\s+\w+\s+in)"
        rf"(?:\s+\w+){{0,3}}?\s+(?:with|from)\s+(?:the\s+|his\s+|her\s+|their\s+)?{_EASY}"
        rf"(?:\s+ones?)?\b"
        rf"|\bstart(?:ing)?\s+(?:with\s+|from\s+)?(?:the\s+)?{_EASY}(?:\s+ones?)?\b"
        rf"|\b(?:from\s+)?(?:the\s+)?(?:easy|easiest|light|lightest|gentle|gentlest|"
        rf"accessible)\s+to\s+(?:the\s+)?(?:hard|hardest|difficult|challenging|heavy|heaviest"
        rf"|dark|darkest|intense|demanding)\b"
        rf"|\bin\s+order\s+of\s+difficulty\b|\bordered\s+by\s+how\s+(?:easy|hard|heavy)\b")),
)
DURATION_TEXT = (r"(?P<h>\d+(?:\.\d+)?)\s*(?:hours?|hrs?|h)\b(?:\s*(?:and\s+)?(?P<hm>\d+)\s*"
                 r"(?:minutes?|mins?)\b)?|(?P<m>\d+)\s*(?:minutes?|mins?)\b")
DURATION_RE = re.compile(DURATION_TEXT)
_DUR = re.sub(r"\(\?P<\w+>", "(?:", DURATION_TEXT)
_TOTAL = (r"(?:total|in\s+total|altogether|all\s+together|combined|in\s+all|back\s+to\s+back"
          r"|in\s+one\s+sitting|tops)")
_LIMIT = (r"(?:under|within|below|less\s+than|no\s+more\s+than|no\s+longer\s+than|at\s+most|"
          r"up\s+to|max(?:imum)?\s+(?:of\s+)?|not\s+more\s+than|can'?t\s+go\s+(?:past|over|beyond)"
          r"|cannot\s+(?:go\s+past|exceed)|(?:isn'?t|not)\s+(?:over|more\s+than)|of)")
_HEDGE = r"(?:about|around|roughly|like|maybe|only|just|nearly|almost|approximately)"
BUDGET_SURE = re.compile(
    rf"\b(?:that\s+|which\s+|to\s+)?(?:fits?|fitting|squeezed?|squeezing)\s+(?:in(?:to)?|within)"
    rf"\s+(?:an?\s+|my\s+|the\s+|our\s+)?(?:{_DUR})(?:\s+{_TOTAL})?"
    rf"|\b(?:(?:in\s+)?{_LIMIT}\s+|in\s+)?(?:{_DUR})\s+(?:max(?:imum)?\s+)?{_TOTAL}\b"
    rf"|\b(?:{_TOTAL}|(?:total|combined|overall)\s+(?:watch(?:ing)?\s+|running\s+|run\s+)?"
    rf"(?:time|runtime|length))\s+(?:is\s+|should\s+be\s+|of\s+)?(?:{_LIMIT}\s+)?(?:{_DUR})"
    rf"|\b(?:the\s+)?(?:whole\s+thing|all\s+of\s+(?:it|them)|everything|the\s+lot)\s+(?:\w+\s+)"
    rf"{{0,3}}?(?:{_LIMIT}\s+)?(?:{_DUR})"
    rf"|\b(?:{_DUR})\s+of(?=\s+(?!the\b|a\b|an\b|it\b|them\b|runtime\b|running\b)[a-z])"
)
BUDGET_IF_PLAN = re.compile(
    rf"\b(?:(?:i|we)\s*(?:'ve|have)?\s*(?:only\s+)?(?:have|got)|(?:have|got)|{_LIMIT}|in)"
    rf"\s+(?:an?\s+|{_HEDGE}\s+)?(?:{_DUR})"
    rf"|\b(?:{_DUR})\s+(?:max(?:imum)?|tops|at\s+most|or\s+less|or\s+under)\b"
)
# "as many as will fit in that time": the time said elsewhere in the request is the budget
FILL = re.compile(r"(?P<a>\bas\s+many)\b[\w\s-]{0,40}?(?P<b>\bas\s+(?:will|can|would|could|we\s+can"
                  r"|i\s+can)?\s*fit)\b")
ANY_DURATION = re.compile(rf"\b(?:{_DUR})")
PLAN_WORDS = re.compile(
    r"\b(?:an?\s+)?(?:film\s+|movie\s+)?(?:marathon|line-?up|watch\s*list|programme|program"
    r"|binge|festival|sampler|double\s+bill)\b|\bback[\s-]+to[\s-]+back\b"
    r"|\bsqueeze\s+in\b|\bfill\s+(?:it|them|that|the\s+(?:time|afternoon|evening|day))\b"
)
_ATTR = r"(?P<attr>decades?|eras?|genres?|directors?|languages?|countr(?:y|ies))"
DISTINCT = (
    re.compile(rf"\bdifferent\s+{_ATTR}\b(?!\s+(?:as|than|from\s+(?:last|before)))"),
    re.compile(rf"\b(?:no|not|never|without|don'?t\s+(?:want|give\s+(?:me|us)))\s+(?:[\w']+\s+)"
               rf"{{0,4}}?same\s+{_ATTR}\b(?!\s+as\b)"),
    re.compile(rf"\b(?:no|not|never|without|don'?t\s+(?:want|give\s+(?:me|us)))\s+(?:[\w']+\s+)"
               rf"{{0,4}}?{_ATTR}\s+(?:repeated|twice|again|repeats?)\b"),
    re.compile(rf"\bsame\s+{_ATTR}\s+twice\b"),
    re.compile(rf"\b(?:one|1)\s+(?:per|from\s+each|for\s+each|in\s+each|each)\s+{_ATTR}\b"),
    re.compile(rf"\b(?:one|1)\s+(?:[a-z-]+\s+){{1,2}}?(?P<cut>(?:per|from\s+each|for\s+each"
               rf"|in\s+each|each)\s+{_ATTR})\b"),
    re.compile(rf"\b(?:across|spanning|covering|through|over)\s+(?:the\s+|different\s+|several\s+"
               rf"|many\s+|\d+\s+)?{_ATTR}\b"),
)
DISTINCT_KIND = {"decade": "decade", "era": "decade", "genre": "genre", "director": "director",
                 "language": "language", "country": "language", "countrie": "language"}
PAST = re.compile(r"\b(?:[a-z]{2,}[^e]ed|wrote|saw|seen|had|made|took|got|bought|drew|chose|did"
                  r"|went|was|were)\s+(?:[\w'-]+\s+){0,2}$")
