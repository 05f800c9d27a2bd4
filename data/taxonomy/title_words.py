"""The words of a job title that name the work: without seniority, grade, shift or place.

Job-board titles carry more than the occupation: "Fish Cook (Ikan Bakar)", "Staff Nurse -
Night Shift", "Senior Data Analyst II", "Welder, Jurong". The part in brackets, the shift and
contract words, and the seniority and grade are about the post, not the work.
"""

from __future__ import annotations

import re

from data.schemas import normalize_label

# Words about level or contract, not about the work: taken off the start of a title, and
# grade numbers off its end ("Senior Business Analyst II"). Inside a title they can be the
# work itself ("team lead", "chief executive officer" is matched as typed first).
LEADING_WORDS = frozenset(
    [
        "senior",
        "sr",
        "snr",
        "junior",
        "jr",
        "jnr",
        "lead",
        "principal",
        "staff",
        "trainee",
        "intern",
        "graduate",
        "entry",
        "level",
        "mid",
        "experienced",
        "interim",
        "temporary",
        "temp",
        "contract",
        "contractor",
        "freelance",
        "remote",
    ]
)
TRAILING_WORDS = frozenset(
    [
        "i",
        "ii",
        "iii",
        "iv",
        "v",
        "vi",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "intern",
        "trainee",
        "contractor",
    ]
)
# Words that join the words of a title without naming anything.
STOP_WORDS = frozenset(["and", "of", "the", "for", "in", "a", "an", "to", "with", "at", "on", "or"])
# Phrases about the shift, the hours or the contract: never the work ("Nurse - Night Shift").
_NOISE = re.compile(
    r"\b(?:(?:night|day|evening|morning|rotating|rotational|weekend|split)s? shifts?|shifts?"
    r"|part[ -]?time|full[ -]?time|fixed[ -]?term|permanent|temporary|casual|seasonal|urgent"
    r"|immediate(?: start)?|hiring|m f d|f m d|w m d|m w d|h f|f h)\b"
)
_BRACKETS = re.compile(r"\([^)]*\)?|\[[^\]]*\]?|\{[^}]*\}?")
# Where a title says "of"/"for" ("head of marketing"), the work follows it.
_HEAD_OF = re.compile(r"^(?:head|director|vp|vice president) (?:of|for) (.+)$")
_SEGMENTS = re.compile(r"\s+[-\u2013\u2014|]\s+|[,;:|]")
_TOKEN = re.compile(r"[a-z0-9+#]+")


def core_title(title: str) -> str:
    """The work a title names, without seniority or grade ("Sr. Data Engineer II" -> "data
    engineer"); the whole normalised title if nothing would be left."""
    text = normalize_label(title)
    head_of = _HEAD_OF.match(text)
    if head_of:
        text = head_of.group(1)
    words = text.replace(".", " ").split()
    while len(words) > 1 and words[0] in LEADING_WORDS:
        words.pop(0)
    while len(words) > 1 and words[-1] in TRAILING_WORDS:
        words.pop()
    return " ".join(words) or normalize_label(title)


def title_forms(title: str) -> list[str]:
    """The title with none, some and all of its level words taken off, least taken first:
    "senior construction general contractor ii" -> [..., "construction general contractor",
    "construction general"]. The last is `core_title`."""
    text = normalize_label(title)
    head_of = _HEAD_OF.match(text)
    words = text.replace(".", " ").split()
    forms = [" ".join(words)]
    if head_of:
        words = head_of.group(1).split()
        forms.append(" ".join(words))
    lead = 0
    while lead < len(words) - 1 and words[lead] in LEADING_WORDS:
        lead += 1
    trail = 0
    while trail < len(words) - lead - 1 and words[len(words) - 1 - trail] in TRAILING_WORDS:
        trail += 1
    for i in range(lead + 1):
        for j in range(trail + 1):
            forms.append(" ".join(words[i : len(words) - j]))
    forms.append(core_title(title))
    return list(dict.fromkeys(f for f in forms if f))


def only_level_words(core: str) -> bool:
    words = core.replace(".", " ").split()
    return bool(words) and all(w in LEADING_WORDS or w in TRAILING_WORDS for w in words)


def title_segments(title: str) -> list[str]:
    """The title's parts, brackets and shift words taken out: "Staff Nurse - Night Shift,
    Jurong" -> ["staff nurse", "jurong"]. The first part is the title proper; the others may
    be a place, a team or the rest of the work ("Director, Sales")."""
    text = _BRACKETS.sub(" ", title.casefold())
    parts = []
    for part in _SEGMENTS.split(text):
        cleaned = _NOISE.sub(" ", normalize_label(part))
        cleaned = re.sub(r"\s+", " ", cleaned).strip()
        if cleaned:
            parts.append(cleaned)
    return parts or [normalize_label(title)]


def stem(word: str) -> str:
    """A plural's singular, enough to match "cooks" to "cook" (both sides get the same)."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Content words, stemmed, in order (stop words dropped)."""
    return [stem(w) for w in _TOKEN.findall(text.casefold()) if w not in STOP_WORDS]
