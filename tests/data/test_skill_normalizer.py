"""The skill normaliser knows when it does not know: lexical and embedding evidence, calibrated.

Fast tests use a taxonomy with a few tools and stand-in encoders; the slow ones use the real
encoder on the packaged taxonomy.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from data.taxonomy import calibration as calibration_module
from data.taxonomy.calibration import FEATURES, FITTED, UNSUPPORTED_CAP, Calibration
from data.taxonomy.lexical import LexicalIndex, core_forms, is_acronym_of, stem, words
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.normalizer import SkillNormalizer
from data.taxonomy.packaged import load_packaged_taxonomy
from matching.encoder import SentenceEncoder
from tools.taxonomy.calibrate import (
    draw_names,
    examples,
    fitted_block,
    held_out_taxonomy,
    made_up_words,
    reliability,
    write_fitted,
)

TOOLS = [
    ("tool:tableau", "Tableau", ()),
    ("tool:power-bi", "Microsoft Power BI", ("Power BI",)),
    ("tool:jira", "Atlassian JIRA", ("JIRA", "Jira")),
    ("tool:docker", "Docker", ()),
    ("tool:kubernetes", "Kubernetes", ("k8s",)),
    ("tool:react", "React", ()),
    ("tool:spark", "Apache Spark", ()),
    ("tool:salesforce", "Salesforce software", ("Salesforce",)),
]
ESCO = [
    ("esco:dock", "dock operations", ("manage dock operations",)),
    ("esco:table-tennis", "table tennis", ("ping-pong",)),
    ("esco:spark", "SPARK", ()),  # ESCO's Java web micro-framework
    ("esco:react", "react to events in time-critical environments", ()),
    ("esco:nlp", "natural language processing", ()),
    ("esco:ml", "machine learning", ()),
    ("esco:sql", "SQL", ()),
    ("esco:lead", "lead a team", ("direct a team",)),
    ("esco:dbms", "database management systems", ()),
    ("esco:japanese", "Japanese", ()),
    ("esco:computer-equipment", "computer equipment", ()),
]


def tool_taxonomy() -> Taxonomy:
    skills = [TaxonomySkill(i, label, alts) for i, label, alts in ESCO]
    skills += [
        TaxonomySkill(i, label, alts, skill_type="tool", source="onet") for i, label, alts in TOOLS
    ]
    return Taxonomy.build(skills, version="tools-test")


def trigram_embed(texts: list[str]) -> np.ndarray:
    """Stand-in encoder: hashed character trigrams, unit length (similar letters, similar
    vectors: "tableau" lands near "table tennis", as MiniLM put it)."""
    rows = np.zeros((len(texts), 96), dtype=np.float32)
    for row, text in enumerate(texts):
        padded = f"  {text.casefold()} "
        for i in range(len(padded) - 2):
            rows[row, sum(map(ord, padded[i : i + 3])) % 96] += 1.0
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class ConfusedEmbedder:
    """The worst case for a brand name: the encoder puts it exactly on a skill it is not.
    Texts listed in `confuse` get the vector of their decoy's label (cosine 1.0)."""

    def __init__(self, confuse: dict[str, str]) -> None:
        self.confuse = confuse

    def __call__(self, texts: list[str]) -> np.ndarray:
        return trigram_embed([self.confuse.get(text, text) for text in texts])


def _cases(text: str) -> list[str]:
    return [text, text.lower(), text.upper(), text.title(), f"  {text.swapcase()} "]


# -- known tools resolve to the tool, whatever the case -------------------------------------------


@pytest.mark.parametrize(("tool_id", "label", "aliases"), TOOLS)
def test_a_tool_by_its_label_or_alias_in_any_case_is_that_tool(
    tool_id: str, label: str, aliases: tuple[str, ...]
) -> None:
    normalizer = SkillNormalizer(tool_taxonomy(), trigram_embed)
    names = [variant for text in (label, *aliases) for variant in _cases(text)]
    for name, match in zip(names, normalizer.resolve_many(names), strict=True):
        assert match.skill_id == tool_id, (name, match)
        assert normalizer.suggest(name, limit=1)[0].skill_id == tool_id


def test_apache_spark_is_the_tool_not_escos_java_framework() -> None:
    normalizer = SkillNormalizer(tool_taxonomy(), trigram_embed)
    for name in ("Apache Spark", "apache spark", "APACHE SPARK", "Apache-Spark"):
        assert normalizer.resolve(name).skill_id == "tool:spark", name


# -- brand-like names are never resolved by the embedding alone ----------------------------------


def test_made_up_product_names_never_resolve_even_on_top_of_a_skill() -> None:
    """Generated pronounceable names, each placed by the encoder exactly on an ESCO label
    (cosine 1.0): suggested perhaps, resolved never; kept as custom skills naming the nearest."""
    rng = random.Random(11)
    taxonomy = tool_taxonomy()
    names = made_up_words(60, rng, set())
    decoys = [label for _, label, _ in ESCO]
    confuse = {name: decoys[i % len(decoys)] for i, name in enumerate(names)}
    normalizer = SkillNormalizer(taxonomy, ConfusedEmbedder(confuse))
    for name, match in zip(names, normalizer.resolve_many(names), strict=True):
        assert match.method == "custom", (name, match)
        assert match.nearest is not None and match.nearest[1] <= UNSUPPORTED_CAP
        suggested = normalizer.suggest(name, limit=3)
        assert all(s.score <= UNSUPPORTED_CAP for s in suggested)


@pytest.mark.parametrize("name", ["Docker", "Salesforce", "Jira", "Tableau", "Kubernetes"])
def test_without_the_tool_a_product_name_is_kept_as_typed(name: str) -> None:
    """The products of the issue, in a taxonomy that lacks them (ESCO alone), placed by the
    encoder on the skill it was wrongly matched to: custom, not that skill."""
    taxonomy = Taxonomy.build([TaxonomySkill(i, label, alts) for i, label, alts in ESCO])
    wrong = {
        "Docker": "dock operations",
        "Salesforce": "computer equipment",
        "Jira": "Japanese",
        "Tableau": "table tennis",
        "Kubernetes": "machine learning",
    }
    normalizer = SkillNormalizer(taxonomy, ConfusedEmbedder(wrong))
    match = normalizer.resolve(name)
    assert match.method == "custom", match
    assert match.nearest is not None, match
    assert match.nearest[0] == wrong[name], match


def test_an_unknown_acronym_is_not_resolved_by_the_embedding_and_its_expansion_is_found() -> None:
    """The encoder knows nothing of NLP here (its vector is "table tennis"'s): never that skill;
    the skill whose label it spells is among the candidates, with the acronym as evidence."""
    normalizer = SkillNormalizer(tool_taxonomy(), ConfusedEmbedder({"NLP": "table tennis"}))
    assert normalizer.resolve("NLP").skill_id != "esco:table-tennis"
    top = normalizer.suggest("NLP", limit=3)
    assert all(s.skill_id != "esco:table-tennis" or s.score <= UNSUPPORTED_CAP for s in top)
    (found,) = normalizer.candidate_evidence(["NLP"])
    ids = [found.index.skill_ids[n] for n in found.skill_numbers]
    assert found.features[ids.index("esco:nlp"), FEATURES.index("acronym")] == 1.0


# -- the lexical evidence ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("short", "words_", "expected"),
    [
        ("nlp", ["natural", "language", "processing"], True),
        ("ml", ["machine", "learning"], True),
        ("sql", ["structured", "query", "language"], True),
        ("nlp", ["natural", "language"], False),
        ("ab", ["apache"], False),  # one word has no initials to spell
        ("n1p", ["natural", "language", "processing"], False),
    ],
)
def test_acronyms(short: str, words_: list[str], expected: bool) -> None:
    assert is_acronym_of(short, words_) is expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("teams", "team"),
        ("databases", "database"),
        ("tableau", "tableau"),
        ("analysis", "analysis"),
        ("programming", "programm"),
        ("jira", "jira"),
        ("abilities", "ability"),
    ],
)
def test_the_stem_is_light_and_never_cuts_a_brand_into_a_word(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_brand_like_names() -> None:
    index = LexicalIndex(
        ["lead a team", "table tennis", "machine learning", "react to events"], [0, 1, 2, 3]
    )
    brand = ["Tableau", "Zorvex", "NLP", "SPSS", "PyTorch", "iOS", "Jira software", "k8s"]
    plain = ["lead a team", "machine learning", "Table", "react", "leading machine learning teams"]
    assert all(index.brand_like(name) for name in brand)
    assert not any(index.brand_like(name) for name in plain)


def test_evidence_counts_rare_words_more() -> None:
    index = LexicalIndex(
        ["apache tomcat", "apache kafka", "apache hadoop", "spark", "use spreadsheets"],
        [0, 1, 2, 3, 4],
    )
    # "apache" is common among the labels, "spark" rare: "spark" carries most of the name.
    evidence = index.evidence("Apache Spark", "SPARK")
    assert evidence.query_cover > 0.5 and evidence.text_cover == 1.0 and evidence.supported
    assert not index.evidence("Tableau", "table tennis").supported
    assert index.evidence("test sensrs", "test sensors").query_cover == pytest.approx(1.0)
    assert words("Leading the teams") == ["lead", "team"]


# -- the calibrated score ------------------------------------------------------------------------


def _random_features(rng: np.random.Generator, count: int) -> np.ndarray:
    """Evidence of candidates that share some words with the name (supported)."""
    x = np.zeros((count, len(FEATURES)))
    column = {name: i for i, name in enumerate(FEATURES)}
    for name in ("cosine", "query_cover", "prefix_cover", "label_inside", "text_cover"):
        x[:, column[name]] = rng.uniform(0, 1, count)
    x[:, column["trigrams"]] = rng.uniform(0, 1, count)
    x[:, column["bm25_relative"]] = rng.uniform(0, 1, count)
    x[:, column["cosine_gap"]] = -rng.uniform(0, 0.3, count)
    x[:, column["acronym"]] = rng.integers(0, 2, count)
    x[:, column["tool"]] = rng.integers(0, 2, count)
    x[:, column["query_words"]] = np.log1p(rng.integers(1, 6, count))
    return x


@pytest.mark.parametrize(
    "feature",
    [
        "cosine",
        "query_cover",
        "prefix_cover",
        "label_inside",
        "text_cover",
        "acronym",
        "core_exact",
    ],
)
def test_more_evidence_never_lowers_the_score(feature: str) -> None:
    """Over generated evidence: raising the cosine or the share of words in common (all else
    alike) never makes a suggestion less likely."""
    rng = np.random.default_rng(3)
    x = _random_features(rng, 400)
    more = x.copy()
    column = FEATURES.index(feature)
    more[:, column] = np.minimum(more[:, column] + 0.2, 1.0)
    assert np.all(FITTED.probability(more) >= FITTED.probability(x) - 1e-12)


def test_a_brand_without_words_in_common_is_capped_below_the_threshold() -> None:
    x = np.zeros((3, len(FEATURES)))
    x[:, 0] = [0.99, 0.9, 0.8]
    x[:, FEATURES.index("unsupported")] = 1
    x[:, FEATURES.index("cosine_unsupported")] = x[:, 0]
    x[:, FEATURES.index("brand_unsupported")] = 1
    assert np.all(FITTED.probability(x) <= UNSUPPORTED_CAP)
    with pytest.raises(ValueError, match="features"):
        FITTED.probability(np.zeros((2, 3)))


def test_the_fitted_coefficients_say_where_they_came_from(tmp_path: Path) -> None:
    assert len(FITTED.coefficients) == len(FEATURES)
    assert "bench.fit_skill_calibration" in calibration_module.FIT_INFO
    assert "--seed" in calibration_module.FIT_INFO
    # The writer replaces only its block and the result reads back.
    copy = tmp_path / "calibration.py"
    copy.write_text(Path(calibration_module.__file__).read_text(encoding="utf-8"))
    new = Calibration(intercept=-1.5, coefficients=tuple(float(i) for i in range(len(FEATURES))))
    write_fitted(copy, new, "test fit")
    namespace: dict[str, Any] = {}
    exec(compile(copy.read_text(encoding="utf-8"), str(copy), "exec"), namespace)
    fitted = namespace["FITTED"]
    assert (fitted.intercept, fitted.coefficients) == (new.intercept, new.coefficients)
    assert namespace["FIT_INFO"] == "test fit"
    assert fitted_block(new, "x").count("BEGIN FITTED") == 1


def test_held_out_names_leave_the_index_and_unknowns_have_no_owner() -> None:
    taxonomy = tool_taxonomy()
    names, removed = draw_names(taxonomy, known_count=5, unknown_count=6, seed=1)
    held = held_out_taxonomy(taxonomy, names, removed)
    for name in names:
        if name.owner is not None:
            assert held.lookup_label(name.text) is None, name
    assert removed and not any(r in held.skills for r in removed)
    assert sum(n.owner is None for n in names) == 6


def test_a_batch_scores_each_name_as_it_would_alone() -> None:
    normalizer = SkillNormalizer(tool_taxonomy(), trigram_embed)
    names = ["tableu dashboards", "Zorvex", "leading teams", "SQL databases", "NLP", "spark"] * 60
    together = [(m.skill_id, m.method, round(m.score, 6)) for m in normalizer.resolve_many(names)]
    alone = [normalizer.resolve(name) for name in names[:6]]
    assert together[:6] == [(m.skill_id, m.method, round(m.score, 6)) for m in alone]
    assert together[-6:] == together[:6]


# -- with the real encoder -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(encoder: SentenceEncoder, var_dir: Path) -> SkillNormalizer:
    return SkillNormalizer(
        load_packaged_taxonomy().copy(),
        encoder.encode,
        cache_path=var_dir / "vectors",
        embed_key=encoder.model_id,
    )


def _shares_a_word(name: str, label: str) -> bool:
    return bool(set(words(name)) & set(words(label)))


@pytest.mark.slow
def test_real_product_and_made_up_names_never_resolve_to_an_unrelated_skill(
    real: SkillNormalizer,
) -> None:
    """Products ESCO does not name, and generated names: each is either an entry of its own
    (a tool the taxonomy holds) or a custom skill, never an ESCO skill sharing none of its
    words."""
    products = [
        "Docker",
        "Salesforce",
        "Jira",
        "Tableau",
        "Snowflake",
        "Databricks",
        "Looker",
        "HubSpot",
        "Zendesk",
        "Figma",
        "Airtable",
        "Asana",
        "Trello",
        "Grafana",
        "Terraform",
        "Kafka",
        "Confluence",
        "Workday",
        "ServiceNow",
        "Okta",
        "Datadog",
        "Splunk",
        "Postman",
        "Jenkins",
    ]
    names = products + made_up_words(60, random.Random(5), set())
    for name, match in zip(names, real.resolve_many(names), strict=True):
        skill = real.taxonomy.skills.get(match.skill_id)
        if match.method == "custom" or skill is None or skill.skill_type == "tool":
            continue
        assert _shares_a_word(name, skill.label) or any(
            _shares_a_word(name, alt) for alt in skill.alt_labels
        ), (name, match)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tableau", "Tableau", "TABLEAU", "tableau software"])
def test_tableau_is_never_table_tennis(real: SkillNormalizer, name: str) -> None:
    match = real.resolve(name)
    assert "tennis" not in match.label.casefold(), match
    suggestions = real.suggest(name, limit=5)
    assert all(s.score < real.min_score for s in suggestions if "tennis" in s.label.casefold()), (
        suggestions
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("NLP", "natural language processing"),
        ("machine learning models", "machine learning"),
        ("leading a team", "lead a team"),
        ("Docker containers", "Docker"),
        ("Power BI reports", "Microsoft Power BI"),
        ("python programming", "Python (computer programming)"),
    ],
)
def test_ordinary_phrasings_still_resolve(real: SkillNormalizer, name: str, label: str) -> None:
    match = real.resolve(name)
    assert (match.label, match.method != "custom") == (label, True), match


@pytest.mark.slow
def test_the_score_is_calibrated_on_held_out_names(real: SkillNormalizer) -> None:
    """Names the fit never saw (another seed): the top suggestion's score is close to how often
    it is right, bin by bin, and few names are wrongly accepted at the threshold."""
    taxonomy = real.taxonomy
    names, removed = draw_names(taxonomy, known_count=240, unknown_count=80, seed=2027)
    index = real._current_index()
    known = dict(zip(index.texts, index.vectors, strict=True))
    real_embed = real.embed
    assert real_embed is not None  # the fixture's normalizer embeds

    def embed(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, real_embed(missing), strict=True))
        return np.stack([known[t] for t in texts])

    held = SkillNormalizer(held_out_taxonomy(taxonomy, names, removed), embed)
    asked, features, labels = examples(held, names)
    assert len(asked) > 200
    result = reliability(FITTED, features, labels, asked, threshold=real.min_score)
    assert result.expected_error < 0.1, result
    # What the threshold means: of the names taken (score >= min_score), most were right.
    taken = [b for b in result.bins if b[0] >= real.min_score]
    right = sum(share * count for _, _, share, count in taken) / sum(b[3] for b in taken)
    assert right >= 0.8, result.bins
    well_populated = [b for b in result.bins if b[3] >= 20]
    assert well_populated[0][2] < well_populated[-1][2] - 0.3, result.bins  # scores rank
    # Made-up names have no right answer (a tool taken out often has a sibling product that
    # is a fair answer: "Salesforce software" and "Salesforce.com Salesforce CRM").
    products = {taxonomy.skills[r].label for r in removed}
    made_up = [i for i, n in enumerate(asked) if n.owner is None and n.text not in products]
    assert len(made_up) >= 20
    made_up_taken = sum(
        bool(len(features[i]) and FITTED.probability(features[i]).max() >= real.min_score)
        for i in made_up
    )
    assert made_up_taken == 0, [asked[i].text for i in made_up]


# -- a product's name proper ----------------------------------------------------------------------

NEAR_NAMES = [
    # (typed, the product meant, what else is close: a skill or a product sharing its words)
    (
        "document imaging",
        ("tool:imaging", "Document imaging software"),
        ("tool:office-imaging", "Microsoft Office Document Imaging"),
    ),
    (
        "feds",
        ("tool:feds", "Facility Energy Decision Systems FEDS"),
        ("tool:fedstats", "FedStats"),
    ),
    ("elms", ("tool:elms", "Halogen eLMS"), ("tool:elm", "ELM Resources ELM")),
]


@pytest.mark.parametrize(("typed", "meant", "decoy"), NEAR_NAMES)
def test_a_products_name_without_software_its_vendor_or_its_acronym_finds_it(
    typed: str, meant: tuple[str, str], decoy: tuple[str, str]
) -> None:
    """The name as people type it, which no label or alias of the product is, finds the product
    over a skill or another product with the same words in another form."""
    skills = [TaxonomySkill(i, label, ()) for i, label, _ in ESCO]
    for skill_id, label in (meant, decoy):
        is_tool = skill_id.startswith("tool:")
        skills.append(
            TaxonomySkill(
                skill_id,
                label,
                (),
                skill_type="tool" if is_tool else "skill",
                source="onet" if is_tool else "esco",
            )
        )
    normalizer = SkillNormalizer(Taxonomy.build(skills, version="near-names"), trigram_embed)
    assert normalizer.suggest(typed, limit=1)[0].skill_id == meant[0]


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("Internal audit software", ("internal", "audit")),
        ("Autodesk Maya", ("maya",)),
        ("IBM Lotus 1-2-3", ("lotus", "1", "2", "3")),
        ("Collection Point Management System CPMS", ("cpms",)),
        (
            "Collection Point Management System CPMS",
            ("collection", "point", "management", "system"),
        ),
        ("Swan River Software Estimiser Pro", ("swan", "river", "estimiser", "pro")),
    ],
)
def test_core_forms_of_a_products_name(text: str, form: tuple[str, ...]) -> None:
    vocabulary = frozenset(
        {"internal", "audit", "collection", "point", "management", "system", "river", "pro"}
    )
    assert form in core_forms(text, vocabulary)


def test_a_leading_word_the_taxonomy_uses_is_no_vendor() -> None:
    vocabulary = frozenset({"document", "imag", "imaging"})
    assert ("imaging",) not in core_forms("Document imaging software", vocabulary)


def test_a_products_name_typed_run_together_is_that_product() -> None:
    """A new user's trial: "powerbi" scored 0.07 for Microsoft Power BI. A name proper of two
    or three words typed as one word names the product with the fewest words taken off to get
    there ("Power BI" itself over "Bing for Power BI"); a word labels use is that word."""
    skills = [TaxonomySkill(i, label, alts) for i, label, alts in ESCO]
    skills += [
        TaxonomySkill("tool:power-bi", "Microsoft Power BI", ("Power BI",), skill_type="tool"),
        TaxonomySkill("tool:bing-bi", "Bing for Power BI", (), skill_type="tool"),
        TaxonomySkill("tool:sheets", "Google Sheets", (), skill_type="tool"),
        TaxonomySkill("tool:db", "Data Base", (), skill_type="tool"),
        TaxonomySkill("esco:database", "database", (), skill_type="knowledge"),
    ]
    normalizer = SkillNormalizer(Taxonomy.build(skills, version="joined"), trigram_embed)
    for typed, meant in (("powerbi", "tool:power-bi"), ("GoogleSheets", "tool:sheets")):
        assert normalizer.suggest(typed, limit=1)[0].skill_id == meant
        resolved = normalizer.resolve(typed)
        assert (resolved.skill_id, resolved.method) == (meant, "joined_name")
    assert normalizer.resolve("database").skill_id == "esco:database"
