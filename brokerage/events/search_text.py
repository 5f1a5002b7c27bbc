"""Text folded for the marketplace search: "krakow" finds Kraków, "AI制御" finds ＡＩ制御 and "batteries"
finds "battery", in SQL on any database (LIKE on a folded copy, Participant.search_text)."""
from __future__ import annotations

import re
import unicodedata

# Latin letters that no Unicode decomposition takes to a plain one, and typographic apostrophes and hyphens.
_PLAIN = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
                        "ħ": "h", "Ħ": "h", "ŀ": "l", "Ŀ": "l", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
                        "ı": "i", "þ": "th", "Þ": "th", "’": "'", "‘": "'", "‐": "-", "‑": "-"})
_WORD = re.compile(r"\w+(?:[-']\w+)*")  # compounds such as lithium-ion stay whole
# Around a word as people paste it: quotes, brackets and sentence punctuation (a leading "." stays: .NET).
_AROUND = "\"'“”«»()[]{}<>,;:!?…"
_SYMBOLS = re.compile(r"[&+#@/.]")  # R&D, C++, C#, Industry 4.0: a term, not two words
_NOT_PLURAL = frozenset({"series", "species", "analysis", "status", "process", "business", "glass", "gas"})
MAX_WORDS = 10


def fold(text: str) -> str:
    """Width (ＡＩ, ﾘｻｲｸﾙ), case and accents on Latin letters folded away. Marks on other scripts stay: a
    Japanese voicing mark makes another word."""
    text = unicodedata.normalize("NFKC", text.translate(_PLAIN))  # before NFKC, which makes ŀ "l·"
    if not text.isascii():
        kept: list[str] = []
        for char in unicodedata.normalize("NFD", text):
            if not (unicodedata.combining(char) and kept and kept[-1].isascii()):
                kept.append(char)
        text = unicodedata.normalize("NFC", "".join(kept))
    return text.casefold()


def _root(word: str) -> str:
    """The part singular and plural share, for a substring search ("batter" of battery and batteries,
    "switch" of switches)."""
    if word.endswith("'s") and len(word) > 3:  # a possessive: battery's
        word = word[:-2]
    if not (word.isascii() and word.isalpha()) or word in _NOT_PLURAL:
        return word
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3]
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxzh":
        return word[:-2]
    if len(word) > 4 and word.endswith("y"):
        return word[:-1]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def search_words(query: str) -> list[str]:
    """The words of a search, folded: quotes and punctuation pasted around them ("radar," "(robotics)") go;
    terms with symbols (R&D, C++) and short ones (AI) are looked for as typed."""
    words: list[str] = []
    for chunk in fold(query).split():
        term = chunk.strip(_AROUND).rstrip(".")
        if not term:
            continue
        found = _WORD.findall(term)
        if _SYMBOLS.search(term.lstrip(".")) or term.startswith(".") or not found or len("".join(found)) <= 2:
            words.append(term)
        else:
            words += [_root(word) for word in found]
    return list(dict.fromkeys(words))[:MAX_WORDS]


def searchable(organisation: str, description: str, opportunities) -> str:
    """What the marketplace search looks in: the profile and every opportunity, folded."""
    parts = [organisation or "", description or ""]
    for o in opportunities:
        parts += [o.title or "", o.description or "", o.keywords or ""]
    return fold("\n".join(parts))
