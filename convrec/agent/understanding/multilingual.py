"""A little help for turns that are not in English.

The extractor's vocabularies are English. A turn in French, Spanish, German,
Italian, Portuguese or Chinese gets its commonest film words (genres,
nationalities, "the 90s") mapped to English before extraction, and nothing else
from it is kept as a wish: function words of another language would otherwise
become a retrieval query ("une des vous").
"""

from __future__ import annotations

import re

# Function words of other languages that English turns do not contain.
_FOREIGN_WORDS = frozenset({
    "une", "des", "les", "vous", "pour", "avec", "dans", "sur", "pas", "est", "sont", "très",
    "aussi", "mais", "donc", "je", "tu", "nous", "ils", "elles", "qui", "quoi", "svp", "plaît",
    "por", "favor", "una", "los", "las", "del", "con", "para", "pero", "muy", "también",
    "quiero", "película", "películas", "und", "der", "die", "das", "mit", "nicht", "ich", "ein",
    "eine", "einen", "bitte", "sehr", "auch", "aber", "oder", "ist", "sind", "gli", "della",
    "che", "per", "non", "sono", "anche", "molto", "vorrei", "um", "uma", "com", "não", "sim",
    "você", "filme", "filmes", "obrigado", "gracias", "merci", "danke", "grazie",
})
_NON_LATIN = re.compile(r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u3040-\u30ff\u3400-\u9fff"
                        r"\uac00-\ud7af]")

# word (lower case, accents kept) -> English
_WORDS: dict[str, str] = {
    "comédie": "comedy", "comédies": "comedies", "comedie": "comedy", "comedia": "comedy",
    "comedias": "comedies", "komödie": "comedy", "komödien": "comedies", "commedia": "comedy",
    "horreur": "horror", "terror": "horror", "terreur": "horror", "orrore": "horror",
    "drame": "drama", "drames": "dramas", "dramma": "drama", "policier": "crime",
    "documentaire": "documentary", "documental": "documentary", "dokumentarfilm": "documentary",
    "documentario": "documentary", "animación": "animation", "dessin animé": "animation",
    "zeichentrick": "animation", "romantique": "romantic", "romántica": "romantic",
    "romántico": "romantic", "romantisch": "romantic", "romantico": "romantic",
    "guerre": "war", "guerra": "war", "krieg": "war", "fantastique": "fantasy",
    "science-fiction": "science fiction", "ciencia ficción": "science fiction",
    "française": "French", "français": "French", "francés": "French", "francesa": "French",
    "französisch": "French", "francese": "French", "espagnol": "Spanish", "española": "Spanish",
    "español": "Spanish", "spanisch": "Spanish", "allemand": "German", "alemán": "German",
    "deutsch": "German", "deutscher": "German", "italien": "Italian", "italiana": "Italian",
    "italiano": "Italian", "italienisch": "Italian", "japonais": "Japanese",
    "japonés": "Japanese", "japanisch": "Japanese", "coréen": "Korean", "coreano": "Korean",
    "koreanisch": "Korean", "película": "film", "películas": "films", "filme": "film",
}
_DECADE_WORDS = re.compile(r"\b(?:années|años|anni|jahre)\s+'?(\d0)\b", re.I)
# Chinese film words (no spaces between words, so matched as substrings)
_CJK: dict[str, str] = {
    "喜剧": " comedy ", "恐怖": " horror ", "爱情": " romance ", "动作": " action ",
    "科幻": " science fiction ", "动画": " animation ", "纪录片": " documentary ",
    "犯罪": " crime ", "战争": " war ", "惊悚": " thriller ", "电影": " film ",
}


def looks_foreign(text: str) -> bool:
    """True for turns written mostly in another language (or another script)."""
    if _NON_LATIN.search(text):
        return True
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text.lower())
    foreign = sum(1 for w in words if w in _FOREIGN_WORDS or w.split("'")[-1] in _FOREIGN_WORDS)
    return foreign >= 2 or (bool(words) and foreign / len(words) >= 0.34)


def translate_common(text: str) -> str:
    """Map the commonest film words of other languages to English (foreign turns only)."""
    if not looks_foreign(text):
        return text
    for word, english in _CJK.items():
        text = text.replace(word, english)
    text = _DECADE_WORDS.sub(lambda m: f"the {m.group(1)}s", text)
    for word, english in sorted(_WORDS.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", english, text, flags=re.I)
    return " ".join(text.split())
