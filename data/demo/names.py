"""Person names and e-mail addresses for the demo workforce."""

from __future__ import annotations

import unicodedata

import numpy as np

# First names carry a gender signal as they do in real companies; the matcher never reads names
# and the lead view masks identities, so this adds realism without leaking into rankings.
# fmt: off
FEMALE_FIRST_NAMES = (
    "Ada", "Aisha", "Amara", "Ana", "Anja", "Beatriz", "Chen", "Chloe", "Daniela", "Elif",
    "Emma", "Fatima", "Grace", "Hana", "Ines", "Ingrid", "Isabel", "Jasmine", "Julia", "Kavya",
    "Lea", "Leila", "Lucia", "Maya", "Mei", "Nadia", "Naomi", "Nia", "Olivia", "Priya",
    "Rosa", "Sakura", "Sara", "Sofia", "Tanvi", "Valentina", "Yara", "Zanele", "Zoë", "Hannah",
)
MALE_FIRST_NAMES = (
    "Aarav", "Ahmed", "Alejandro", "Ben", "Carlos", "Chidi", "Daniel", "David", "Diego", "Ethan",
    "Felix", "Hiroshi", "Ibrahim", "Jamal", "Jonas", "José", "Karan", "Kenji", "Lars", "Liam",
    "Lucas", "Malik", "Marco", "Mateus", "Mohammed", "Noah", "Oliver", "Omar", "Paulo", "Rahul",
    "Ravi", "Samuel", "Stefan", "Tariq", "Thomas", "Tomasz", "Wei", "Yusuf", "Arjun", "Kwame",
)
NEUTRAL_FIRST_NAMES = (
    "Alex", "Ari", "Avery", "Charlie", "Dana", "Eden", "Jordan", "Kai", "Kim", "Morgan",
    "Noor", "Quinn", "Riley", "Robin", "Sam", "Sasha", "Taylor", "Yuki", "Jules", "Rowan",
)
LAST_NAMES = (
    "Adeyemi", "Almeida", "Andersson", "Bauer", "Becker", "Bianchi", "Chen", "Costa", "Das",
    "Dubois", "Fischer", "Fernandes", "Garcia", "Gonzalez", "Gupta", "Hansen", "Hernandez",
    "Hoffmann", "Huang", "Ibrahim", "Iyer", "Jansen", "Johnson", "Kaur", "Khan", "Kim",
    "Kowalski", "Kumar", "Lee", "Lim", "Lopez", "Martin", "Martins", "Mensah", "Meyer", "Müller",
    "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor", "Oliveira", "Park", "Patel", "Pereira",
    "Petrov", "Reddy", "Rossi", "Santos", "Schmidt", "Schneider", "Shah", "Silva", "Singh",
    "Smith", "Souza", "Suzuki", "Tan", "Tanaka", "Taylor", "Thomas", "Wagner", "Walker",
    "Wang", "Weber", "Williams", "Wilson", "Wong", "Yilmaz", "Zhang", "Ong", "Rao", "Nowak",
    "Brown", "Davies", "Evans", "Ferreira", "Haddad", "Mwangi", "Osei",
)
# fmt: on
EMAIL_DOMAIN = "corp.example"


def first_name_pool(gender: str | None) -> tuple[str, ...]:
    if gender == "female":
        return FEMALE_FIRST_NAMES
    if gender == "male":
        return MALE_FIRST_NAMES
    if gender == "non-binary":
        return NEUTRAL_FIRST_NAMES
    return FEMALE_FIRST_NAMES + MALE_FIRST_NAMES + NEUTRAL_FIRST_NAMES


def draw_name(rng: np.random.Generator, gender: str | None) -> str:
    pool = first_name_pool(gender)
    first = pool[int(rng.integers(len(pool)))]
    last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
    return f"{first} {last}"


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == " ")).lower()


def unique_emails(names: list[str]) -> list[str]:
    """first.last@domain, numbered from the second holder of a name on (ASCII-only local part)."""
    seen: dict[str, int] = {}
    emails = []
    for name in names:
        local = ".".join(_ascii_slug(name).split())
        count = seen.get(local, 0) + 1
        seen[local] = count
        emails.append(f"{local}{count if count > 1 else ''}@{EMAIL_DOMAIN}")
    return emails
