"""Text folded for the marketplace search: "krakow" finds Kraków, "AI制御" finds ＡＩ制御 and "batteries"
finds "battery", in SQL on any database (LIKE on a folded copy, Participant.search_text)."""
from __future__ import annotations

import re
import unicodedata

# Latin letters that no Unicode decomposition takes to a plain one.
_PLAIN = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "æ": "ae", "Æ": "ae",
                        "œ": "oe", "Œ": "oe", "ı": "i", "þ": "th"})
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")  # compounds such as lithium-ion stay whole
MAX_WORDS = 10


def fold(text: str) -> str:
    """Width (ＡＩ, ﾘｻｲｸﾙ), case and accents on Latin letters folded away. Marks on other scripts stay: a
    Japanese voicing mark makes another word."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        kept: list[str] = []
        for char in unicodedata.normalize("NFD", text.translate(_PLAIN)):
            if not (unicodedata.combining(char) and kept and kept[-1].isascii()):
                kept.append(char)
        text = unicodedata.normalize("NFC", "".join(kept))
    return text.casefold()


def _root(word: str) -> str:
    """The part singular and plural share, for a substring search ("batter" of battery and batteries)."""
    if word.isascii() and word.isalpha():
        if len(word) > 4 and word.endswith("ies"):
            return word[:-3]
        if len(word) > 4 and word.endswith("y"):
            return word[:-1]
        if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


def search_words(query: str) -> list[str]:
    """The words of a search, folded: punctuation and quotes pasted with them ("radar," "(robotics)") go.
    A search of symbols alone ("%") looks for them as typed."""
    folded = fold(query)
    words = [_root(word) for word in _WORD.findall(folded)] or folded.split()
    return list(dict.fromkeys(words))[:MAX_WORDS]


def searchable(organisation: str, description: str, opportunities) -> str:
    """What the marketplace search looks in: the profile and every opportunity, folded."""
    parts = [organisation or "", description or ""]
    for o in opportunities:
        parts += [o.title or "", o.description or "", o.keywords or ""]
    return fold("\n".join(parts))
