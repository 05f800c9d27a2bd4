"""Skills taxonomy: the packaged ESCO subset, the ESCO CSV importer and the skill normaliser."""

from data.taxonomy.esco_csv import EscoCsvError, read_esco_csv
from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill
from data.taxonomy.normalizer import SkillMatch, SkillNormalizer, custom_skill_id
from data.taxonomy.packaged import load_packaged_taxonomy, taxonomy_from_json
from data.taxonomy.text_vectors import Embedder

__all__ = [
    "Embedder",
    "EscoCsvError",
    "SkillMatch",
    "SkillNormalizer",
    "Taxonomy",
    "TaxonomyOccupation",
    "TaxonomySkill",
    "custom_skill_id",
    "load_packaged_taxonomy",
    "read_esco_csv",
    "taxonomy_from_json",
]
