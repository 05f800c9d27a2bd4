"""The short forms people write for O*NET product names, derived by rules for every name.

"Microsoft Power BI" is written "Power BI", "Atlassian JIRA" "JIRA", "Teradata software"
"Teradata", "Human resource information system (HRIS)" "HRIS". The rules: drop a vendor (a
first word that starts several products' names, or a company name ending in a corporate word);
drop a trailing "software"/"system(s)"; split a name from its acronym, both ways; "MS" for
Microsoft. A short form is kept only when it is distinctive: not an ordinary English word or
phrase (as ESCO's own prose writes it in lower case: "access", "project", "teams") and not the
name of an ESCO skill or occupation. `CURATED_ALIASES` holds what no rule can derive.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from data.schemas import normalize_label

# Well-known short forms no rule derives from O*NET's names: alias -> the product's O*NET
# label (or the ESCO label it merged into). Curated aliases win over ambiguity.
CURATED_ALIASES = {
    "k8s": "Kubernetes",
    "JS": "JavaScript",
    "TS": "TypeScript",
    "Node": "Node.js",
    "NodeJS": "Node.js",
    "GCP": "Google Cloud software",
    "Google Cloud Platform": "Google Cloud software",
    "AWS": "Amazon Web Services AWS software",
    "Amazon Web Services": "Amazon Web Services AWS software",
    "Azure": "Microsoft Azure software",
    "Mongo": "MongoDB",
    "Golang": "Go",
    "sklearn": "Scikit-learn",
    "ReactJS": "React",
    "React.js": "React",
    "Vue": "Vue.js",
    "VueJS": "Vue.js",
    "MSSQL": "Microsoft SQL Server",
    "Outlook": "Microsoft Outlook",
    "Visual Studio": "Microsoft Visual Studio",
    "RHEL": "Red Hat Enterprise Linux",
    "SFDC": "Salesforce software",
}

TRAILING_GENERIC = frozenset({"software", "system", "systems"})
# A company name ends in one of these: "Unity Technologies", "New World Systems".
CORPORATE = frozenset(
    {
        "technologies",
        "technology",
        "software",
        "systems",
        "corporation",
        "corp",
        "inc",
        "group",
        "labs",
        "solutions",
        "international",
        "associates",
        "company",
        "ltd",
        "llc",
        "gmbh",
        "incorporated",
        "research",
        "sciences",
        "scientific",
        "instruments",
        "association",
        "institute",
        "foundation",
        "electronics",
        "laboratories",
        "enterprises",
    }
)
_MINOR = frozenset({"of", "for", "and", "the", "in", "on", "to", "a", "an", "&", "with"})
COMMON_WORD_COUNT = 3  # seen this often in lower case in ESCO's text: an ordinary word
COMMON_PHRASE_COUNT = 2
MAX_ALIAS_WORDS = 6  # nobody types a longer short form; each alias costs an encoding


def strip_qualifier(label: str) -> str:
    """ESCO's "Python (computer programming)" -> "Python"."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", label).strip() or label


@dataclass(frozen=True)
class EnglishWords:
    """Ordinary words and phrases: what ESCO's labels and descriptions write in lower case."""

    words: Counter[str]
    phrases: Counter[str]
    companies: frozenset[str]  # named by ESCO as who made a product: "developed by Apple"

    @classmethod
    def from_esco(cls, document: Mapping[str, Any]) -> EnglishWords:
        words: Counter[str] = Counter()
        phrases: Counter[str] = Counter()
        records = [*document["skills"], *document["occupations"]]
        for record in records:
            # not the alternative labels: ESCO lists product names there in lower case too
            texts = [record["label"], record["description"]]
            for text in texts:
                for run in re.split(r"[^\w\s'-]+", text):
                    tokens = run.split()
                    lower: list[str] = []
                    for token in [*tokens, ""]:
                        if token and token == token.lower() and token[0].isalpha():
                            lower.append(token)
                            continue
                        words.update(lower)
                        for n in (2, 3):
                            phrases.update(
                                " ".join(lower[i : i + n]) for i in range(len(lower) - n + 1)
                            )
                        lower = []
        made_by = re.compile(
            r"(?:developed|created|made|maintained|owned|published|produced) by (?:the )?"
            r"(?:[a-z]+ )*?([A-Z][\w&-]*)(?=[.,;]|\s[a-z]|$)"
        )
        companies = frozenset(
            m.group(1) for record in records for m in made_by.finditer(record["description"])
        )
        return cls(words, phrases, companies)

    def ordinary(self, name: str) -> bool:
        tokens = normalize_label(name).split()
        if len(tokens) == 1:
            return self.words[tokens[0]] >= COMMON_WORD_COUNT
        return self.phrases[" ".join(tokens)] >= COMMON_PHRASE_COUNT


def _camel_initials(word: str) -> str:
    """ "MapReduce" -> "MR"; a plain word -> its first letter."""
    parts = re.findall(r"[A-Z][a-z]+", word)
    return "".join(p[0] for p in parts) if len(parts) > 1 else word[:1].upper()


def _is_acronym(token: str) -> bool:
    letters = sum(c.isalpha() for c in token)
    return bool(re.fullmatch(r"[A-Z][A-Z0-9]{1,9}s?", token)) and letters >= 2


def _expands(acronym: str, words: list[str]) -> int:
    """How many of the words before the acronym it abbreviates (0: none): "Technical Data
    Management System TDMS", "Elastic MapReduce (EMR)"; minor words may be skipped."""
    letters = "".join(c for c in acronym.removesuffix("s") if c.isalpha())
    for n in range(1, len(words) + 1):
        tail = words[-n:]
        if tail[0].casefold() in _MINOR:
            continue
        for kept in (tail, [w for w in tail if w.casefold() not in _MINOR]):
            plain = "".join(w[:1].upper() for w in kept)
            camel = "".join(_camel_initials(w) for w in kept)
            if letters in (plain, camel):
                return n
    return 0


class NameRules:
    """Short forms of product names, given every product name (to find vendors)."""

    def __init__(
        self,
        labels: Iterable[str],
        words: EnglishWords,
        taken: Callable[[str], bool],
    ) -> None:
        self.words = words
        self.taken = taken
        self.labels = set(labels)
        self.refused = 0
        # prefix of 1-3 words -> the product names it opens, followed by a name ("Microsoft
        # Excel"), not a description ("Microsoft operating system")
        self._opens: dict[str, list[str]] = {}
        for label in sorted(self.labels):
            tokens = label.split()
            for k in range(1, min(4, len(tokens))):
                if _names_something(tokens[k]):
                    self._opens.setdefault(" ".join(tokens[:k]), []).append(label)

    def _vendor_length(self, tokens: list[str]) -> int:
        """How many first words name the vendor: a prefix several products share, extended
        while they all go on alike ("Red" -> "Red Hat"), not an ordinary word ("Digital",
        unless ESCO names it as a company: "Apple") nor itself a product ("Microsoft
        Dynamics" opens "Microsoft Dynamics CRM" as a family, not as a vendor)."""
        shared = 0
        for k in range(1, min(4, len(tokens))):
            prefix = " ".join(tokens[:k])
            group = self._opens.get(prefix, [])
            if len(group) < 2:
                break
            following = {g.split()[k] for g in group}
            if len(following) == 1 and k + 1 < len(tokens):
                continue
            if prefix in self.labels:
                break
            if self.words.ordinary(prefix) and prefix not in self.words.companies:
                break
            shared = k
            break
        # a company name, longer than what other products share: "Vorum Research Corporation
        # CANFIT-PLUS", "SBS International Maestro Suite"
        for k in range(min(4, len(tokens) - 1), shared, -1):
            if tokens[k - 1].casefold().strip(".,") in CORPORATE and tokens[0][:1].isupper():
                return k
        return shared

    def vendor_drops(self, label: str) -> list[tuple[str, str]]:
        """(vendor, rest) where a vendor opens the name."""
        tokens = label.split()
        k = self._vendor_length(tokens)
        if not k or not _names_something(tokens[k]) or tokens[k].startswith("("):
            return []
        rest = " ".join(tokens[k:])
        return [] if rest in self.labels else [(" ".join(tokens[:k]), rest)]

    def full_forms(self, label: str) -> list[str]:
        """The name, its acronym and expansion apart, and without a trailing generic word."""
        forms = [label, *self._acronym_forms(label)]
        stripped = self._strip_generic(label)
        if stripped:
            forms.extend([stripped, *self._acronym_forms(stripped)])
        return _unique(forms)

    def aliases(self, label: str) -> list[str]:
        """Every distinctive short form of the name (the name itself excluded)."""
        candidates = self.full_forms(label)[1:]
        for _, rest in self.vendor_drops(label):
            for form in self.full_forms(rest):
                candidates.append(form)
        for form in [*candidates, label]:
            if form.startswith("Microsoft "):
                candidates.append("MS " + form.removeprefix("Microsoft "))
        kept = []
        for form in _unique(candidates):
            if form == label or len(form.split()) > MAX_ALIAS_WORDS:
                continue
            if self.distinctive(form):
                kept.append(form)
            else:
                self.refused += 1
        return kept

    def distinctive(self, name: str) -> bool:
        key = normalize_label(name)
        if len(key) < 2 or not re.search(r"[a-z]", key) or self.taken(name):
            return False
        if name.startswith("MS "):
            return True
        tokens = name.split()
        if len(tokens) == 1 and len(key) <= 3 and not _is_acronym(name):
            return False  # "Pro", "One": too short to mean one product
        if len(tokens) == 1 and _is_acronym(name):
            return len(key) >= 3 and not self.words.ordinary(name)  # "DISPATCH" is a word
        if len(tokens) > 1 and not any(_names_something(t) for t in tokens[1:]):
            # a description in sentence case ("Log book", "Billing and reimbursement") names a
            # product only if its first word is no ordinary word ("Teradata database")
            return not self.words.ordinary(tokens[0])
        return not self.words.ordinary(name)

    @staticmethod
    def _strip_generic(form: str) -> str | None:
        words = form.split()
        if len(words) > 1 and words[-1].casefold() in TRAILING_GENERIC:
            return " ".join(words[:-1])
        return None

    @staticmethod
    def _acronym_forms(form: str) -> list[str]:
        forms = []
        paren = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*(.*)", form)
        if paren:
            before, inside, after = (part.strip() for part in paren.groups())
            words = before.split()
            tail = f" {after}" if after else ""
            n = _expands(inside, words) if _is_acronym(inside) else 0
            if n:
                forms.append(before + tail)
                forms.append(" ".join([*words[:-n], inside]) + tail)
            elif _is_acronym(before) and _expands(before, inside.split()) == len(inside.split()):
                forms.append(inside + tail)
            elif before:
                forms.append(before + tail)  # a qualifier: "(accounting feature)"
            return [f.strip() for f in forms]
        words = form.split()
        for i in range(2, len(words)):
            if _is_acronym(words[i]):
                n = _expands(words[i], words[:i])
                if n:
                    forms.append(" ".join(words[:i] + words[i + 1 :]))
                    forms.append(" ".join(words[: i - n] + words[i:]))
        return forms


def _names_something(word: str) -> bool:
    """A word that reads as a name: a capital or digit in it ("Excel", "iWork", "3D"), or
    ".NET"."""
    return bool(re.search(r"[A-Z0-9]", word)) or word.startswith(".")


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        item = re.sub(r"\s+", " ", item).strip()
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out
