"""Build the packaged O*NET layer: tools and technologies as skills, and O*NET titles for ESCO.

    python -m tools.taxonomy.derive_onet --onet ../shared/onet --crosswalk ../shared/crosswalk \\
        --esco ../shared/esco --out data/taxonomy/onet.json.gz

Tools. Each distinct O*NET "Example" (Tableau, Microsoft Power BI, Kubernetes) becomes a skill
`tool:<slug>` in its UNSPSC commodity category (`toolcat:<code>`; a product O*NET files under
several takes the one most of its occupations use). Its aliases are derived by rules that
apply to every name (`_onet_names.py`), plus a short curated table of short forms no rule
can derive; an alias two skills could claim is dropped. A product ESCO already holds (its
name, or its name without the vendor where ESCO's text names that vendor, is an ESCO label)
is not duplicated: the ESCO skill takes the product's names as alternative labels and joins
the category.

Occupations. The Nesta ESCO-O*NET crosswalk maps ESCO occupations to O*NET codes; narrower
ESCO occupations inherit their broader occupation's code. O*NET codes of the 2010 taxonomy the
crosswalk used are carried to 29.2 by their title. Each code brings its alternate and reported
titles and its tools.

Categories. Each category lists the ESCO skills most over-represented (by lift) in the
profiles of the ESCO occupations whose O*NET codes use the category's tools.

The output depends on `esco_taxonomy.json.gz` (skill and occupation ids) and records its
version; the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data.schemas import normalize_label
from tools.taxonomy._onet_names import (
    CURATED_ALIASES,
    TRAILING_GENERIC,
    EnglishWords,
    NameRules,
    strip_qualifier,
)
from tools.taxonomy.derive import canonical_json, write_document

FORMAT = 1
ONET_RELEASE = "29.2"
TECHNOLOGY = "technology_skills.csv.gz"
ALTERNATE_TITLES = "alternate_titles.csv.gz"
REPORTED_TITLES = "reported_titles.csv.gz"
OCCUPATION_DATA = "occupation_data.csv.gz"
CROSSWALK = "esco_onet_crosswalk_Nov2020.csv.gz"
OCCUPATION_HIERARCHY = "broaderRelationsOccPillar_en.csv.gz"
OCCUPATION_URI = "http://data.europa.eu/esco/occupation/"
# the checkout's packaged file, beside which this layer is written
DEFAULT_ESCO_TAXONOMY = Path(__file__).resolve().parents[2] / "data/taxonomy/esco_taxonomy.json.gz"
ONET_ATTRIBUTION = (
    "This product includes information from the O*NET 29.2 Database by the U.S. Department of "
    "Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 "
    "license. O*NET® is a trademark of USDOL/ETA. USDOL/ETA has not approved, endorsed, or "
    "tested these modifications."
)
CROSSWALK_ATTRIBUTION = (
    "ESCO-O*NET occupation crosswalk by Nesta (Mapping Career Causeways, release of 23 "
    "November 2020). MIT License. Copyright (c) 2021 Nesta. Permission is hereby granted, "
    "free of charge, to any person obtaining a copy of this software and associated "
    'documentation files (the "Software"), to deal in the Software without restriction, '
    "including without limitation the rights to use, copy, modify, merge, publish, "
    "distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom "
    "the Software is furnished to do so, subject to the following conditions: The above "
    "copyright notice and this permission notice shall be included in all copies or "
    'substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY '
    "OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF "
    "MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL "
    "THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, "
    "WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN "
    "CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."
)
# Lift needs support: a skill listed by one or two occupations of a small group is noise.
CATEGORY_SKILLS = 12
MIN_CATEGORY_SUPPORT = 3
# and a share of the category's occupations: without it the spreadsheet category (in nearly
# every profile) took whatever two finance occupations happened to share ("green bonds")
MIN_CATEGORY_SHARE = 0.05

Record = dict[str, Any]


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode("utf-8"))))


@dataclass
class Report:
    products: int = 0
    tools: int = 0
    categories: int = 0
    aliases: int = 0
    curated: int = 0
    merged: dict[str, str] = field(default_factory=dict)  # product -> ESCO label
    folded: int = 0  # generic entries named as their category
    ambiguous: set[str] = field(default_factory=set)  # alias texts two skills could claim
    generic: int = 0  # candidate short forms refused as ordinary words or ESCO names
    codes_renamed: int = 0  # 2010 O*NET codes carried to 29.2 by title
    codes_unknown: list[str] = field(default_factory=list)
    occupations_mapped: int = 0
    occupations_inherited: int = 0


@dataclass(frozen=True)
class Product:
    label: str
    category: str
    hot: bool
    in_demand: bool
    codes: tuple[str, ...]


def read_products(onet: Path) -> tuple[dict[str, Product], dict[str, str]]:
    """Products by label, and the category titles by code."""
    rows = _csv(onet / TECHNOLOGY)
    titles: dict[str, str] = {}
    uses: dict[str, Counter[str]] = defaultdict(Counter)
    codes: dict[str, set[str]] = defaultdict(set)
    hot: dict[str, bool] = defaultdict(bool)
    demand: dict[str, bool] = defaultdict(bool)
    for row in rows:
        label = re.sub(r"\s+", " ", row["Example"]).strip()
        code = row["Commodity Code"].strip()
        titles[code] = row["Commodity Title"].strip()
        uses[label][code] += 1
        codes[label].add(row["O*NET-SOC Code"].strip())
        hot[label] |= row["Hot Technology"].strip() == "Y"
        demand[label] |= row["In Demand"].strip() == "Y"
    products = {
        label: Product(
            label=label,
            # the category most of its occupations file it under; ties: the lowest code
            category=min(count, key=lambda c: (-count[c], c)),
            hot=hot[label],
            in_demand=demand[label],
            codes=tuple(sorted(codes[label])),
        )
        for label, count in uses.items()
    }
    return products, titles


def slug(label: str) -> str:
    text = label.casefold().replace("++", "pp").replace("+", "plus").replace("#", "sharp")
    text = text.replace("&", " and ").replace(".", " dot ")
    # 76 leaves room for a "-2" and keeps within the skill-id contract's 80 characters
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:76].strip("-") or "x"


def tool_ids(labels: Iterable[str]) -> dict[str, str]:
    """label -> `tool:<slug>`, unique (a clash takes -2, -3 in label order)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for label in sorted(labels):
        base = candidate = f"tool:{slug(label)}"
        n = 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        ids[label] = candidate
    return ids


@dataclass
class EscoIndex:
    """ESCO's skills by every name they go by: label, label without its qualifier, alt labels."""

    by_name: dict[str, set[str]]
    labels: dict[str, str]  # id -> preferred label
    text: dict[str, str]  # id -> labels and description, casefolded (vendor mentions)
    occupation_names: set[str]

    @classmethod
    def build(cls, document: Record) -> EscoIndex:
        by_name: dict[str, set[str]] = defaultdict(set)
        labels, text = {}, {}
        for skill in document["skills"]:
            names = [skill["label"], strip_qualifier(skill["label"]), *skill["alt_labels"]]
            for name in names:
                by_name[normalize_label(name)].add(skill["id"])
            labels[skill["id"]] = skill["label"]
            text[skill["id"]] = " ".join([*names, skill["description"]]).casefold()
        occupation_names = {
            normalize_label(name)
            for occupation in document["occupations"]
            for name in [occupation["label"], *occupation["alt_labels"]]
        }
        return cls(dict(by_name), labels, text, occupation_names)

    def names_product(self, skill_id: str, product: str) -> bool:
        """Whether the ESCO skill is a product this one can be: its label is a name (its first
        word has a capital: "Hadoop", "iOS"; "computer programming" lists AWK among its
        alternative labels but is not AWK), and one that shares a word with the product's
        unless the product's name is that label ("Scripting software" is not "ICT system
        programming")."""
        label = strip_qualifier(self.labels[skill_id])
        if not any(c.isupper() for c in label.split()[0]):
            return False
        words = set(normalize_label(label).split()) - TRAILING_GENERIC
        return bool(words & set(normalize_label(product).split()))

    def preferred(self, name: str) -> str | None:
        """The ESCO skill whose preferred label (or the label without its qualifier) this
        is; where ESCO has two ("Metasploit"), the one whose label is exactly the name."""
        key = normalize_label(name)
        found = sorted(
            s
            for s in self.by_name.get(key, ())
            if key
            in (normalize_label(self.labels[s]), normalize_label(strip_qualifier(self.labels[s])))
        )
        exact = [s for s in found if self.labels[s] == name]
        return (exact or found or [None])[0]

    def unique(self, name: str) -> str | None:
        found = self.by_name.get(normalize_label(name), set())
        return next(iter(found)) if len(found) == 1 else None

    def taken(self, name: str) -> bool:
        key = normalize_label(name)
        return key in self.by_name or key in self.occupation_names


def match_esco(label: str, rules: NameRules, esco: EscoIndex) -> str | None:
    """The ESCO skill this product is, if any: one whose label names a product (ESCO writes
    generic skills in lower case: "computer programming" lists AWK among its alternative
    labels, but is not AWK). The product's own name (or its expansion, or without a trailing
    "software") must be an ESCO name; a name without the vendor counts only where ESCO's text
    names the vendor or ESCO's label is that name as written ("Hadoop"), so Apache Spark does
    not become ESCO's SPARK (a Java web framework) nor ACD Canvas "Canvas (learning
    management systems)"."""
    preferred = esco.preferred(label)
    if preferred is not None:  # "Audio editing software" is ESCO's "audio editing software"
        return preferred
    for name in rules.full_forms(label):
        found = esco.unique(name)
        if found is not None and esco.names_product(found, label):
            return found
    for vendor, rest in rules.vendor_drops(label):
        found = esco.unique(rest)
        if found is None or not esco.names_product(found, label):
            continue
        if vendor.casefold() in esco.text[found] or rest == esco.labels[found]:
            return found
    return None


# O*NET-SOC 2010 codes the crosswalk uses that 29.2 (SOC 2018) renumbered under another title
# (the .00 fallback and title matching miss them): the SOC 2018 successors.
SOC_2010_SUCCESSORS = {
    "11-2031.00": "11-2032.00",
    "13-2021.01": "13-2023.00",
    "13-2021.02": "13-2023.00",
    "15-1132.00": "15-1252.00",
    "15-1133.00": "15-1252.00",
    "15-1199.01": "15-1253.00",
    "15-1199.04": "15-1299.02",
    "19-3031.02": "19-3033.00",
    "25-4021.00": "25-4022.00",
    "25-9041.00": "25-9042.00",
    "27-3022.00": "27-3023.00",
    "29-1062.00": "29-1215.00",
    "29-1067.00": "29-1249.00",
    "29-2041.00": "29-2042.00",
    "29-2054.00": "29-1126.00",
    "29-2071.00": "29-2072.00",
    "39-1011.00": "39-1013.00",
    "43-5081.01": "53-7065.00",
    "43-5081.03": "53-7065.00",
    "45-3011.00": "45-3031.00",
    "45-3021.00": "45-3031.00",
    "51-4011.00": "51-9161.00",
    "51-4012.00": "51-9162.00",
    "51-9122.00": "51-9124.00",
    "53-3041.00": "53-3054.00",
    "53-4021.00": "53-4022.00",
}


def map_occupations(
    crosswalk: list[dict[str, str]],
    hierarchy: list[dict[str, str]],
    onet: Path,
    esco_ids: set[str],
    report: Report,
) -> dict[str, list[str]]:
    """ESCO occupation id -> O*NET 29.2 codes."""
    data = _csv(onet / OCCUPATION_DATA)
    current = {row["O*NET-SOC Code"] for row in data}
    by_title = {normalize_label(row["Title"]): row["O*NET-SOC Code"] for row in data}

    def carried(code: str, title: str) -> str | None:
        if code in current:
            return code
        renamed = SOC_2010_SUCCESSORS.get(code) or by_title.get(normalize_label(title))
        if renamed is None and code[:7] + ".00" in current:
            renamed = code[:7] + ".00"
        if renamed is None:
            report.codes_unknown.append(code)
        else:
            report.codes_renamed += 1
        return renamed

    direct: dict[str, set[str]] = defaultdict(set)
    cache: dict[str, str | None] = {}
    for row in crosswalk:
        code = row["onet_code"].strip()
        if code not in cache:
            cache[code] = carried(code, row["onet_occupation"])
        if cache[code] is not None and row["concept_uri"].startswith(OCCUPATION_URI):
            direct[row["concept_uri"]].add(cache[code])
    report.codes_unknown = sorted(set(report.codes_unknown))
    broader = {
        row["conceptUri"]: row["broaderUri"]
        for row in hierarchy
        if row["conceptType"] == "Occupation" and row["broaderType"] == "Occupation"
    }

    def codes_of(uri: str) -> set[str]:
        seen = set()
        while uri not in direct and uri in broader and uri not in seen:
            seen.add(uri)
            uri = broader[uri]
        return direct.get(uri, set())

    mapped: dict[str, list[str]] = {}
    for occupation_id in sorted(esco_ids):
        uri = OCCUPATION_URI + occupation_id.removeprefix("esco:")
        codes = codes_of(uri)
        if codes:
            mapped[occupation_id] = sorted(codes)
            report.occupations_mapped += 1
            report.occupations_inherited += uri not in direct
    return mapped


def read_titles(onet: Path, codes: set[str]) -> dict[str, list[str]]:
    """O*NET code -> its alternate and reported titles (and short titles), deduplicated."""
    titles: dict[str, dict[str, str]] = defaultdict(dict)
    rows = [
        *((r["O*NET-SOC Code"], r["Alternate Title"]) for r in _csv(onet / ALTERNATE_TITLES)),
        *((r["O*NET-SOC Code"], r["Short Title"]) for r in _csv(onet / ALTERNATE_TITLES)),
        *((r["O*NET-SOC Code"], r["Reported Job Title"]) for r in _csv(onet / REPORTED_TITLES)),
    ]
    for code, title in rows:
        title = re.sub(r"\s+", " ", title).strip()
        if code in codes and title:
            titles[code].setdefault(normalize_label(title), title)
    return {code: sorted(found.values()) for code, found in sorted(titles.items())}


def category_skills(
    products: dict[str, Product],
    onet_to_esco: dict[str, list[str]],
    document: Record,
) -> dict[str, list[str]]:
    """Category -> the ESCO skills most over-represented in the profiles of the occupations
    using its tools, ids by descending lift. An occupation counts as often as its O*NET codes
    list the category's tools: spreadsheets are in nearly every profile, business intelligence
    tools mostly in analysts' (unweighted, the category looked like sales and trade)."""
    skill_ids = [s["id"] for s in document["skills"]]
    profiles = {
        o["id"]: {skill_ids[i] for i in (*o["essential"], *o["optional"])}
        for o in document["occupations"]
    }
    overall = Counter(s for profile in profiles.values() for s in profile)
    total = len(profiles)
    code_to_esco: dict[str, set[str]] = defaultdict(set)
    for occupation_id, codes in onet_to_esco.items():
        for code in codes:
            code_to_esco[code].add(occupation_id)
    weights: dict[str, Counter[str]] = defaultdict(Counter)
    for product in products.values():
        for code in product.codes:
            for occupation_id in code_to_esco.get(code, ()):
                weights[product.category][occupation_id] += 1
    linked = {}
    for category, weight in sorted(weights.items()):
        mass = sum(weight.values())
        weighted: Counter[str] = Counter()
        support: Counter[str] = Counter()
        for occupation_id, w in weight.items():
            for s in profiles.get(occupation_id, ()):
                weighted[s] += w
                support[s] += 1
        scored = [
            ((weighted[s] / mass) / (overall[s] / total), s)
            for s in weighted
            if support[s] >= max(MIN_CATEGORY_SUPPORT, len(weight) * MIN_CATEGORY_SHARE)
        ]
        scored.sort(key=lambda x: (-x[0], x[1]))
        linked[category] = [s for lift, s in scored[:CATEGORY_SKILLS] if lift > 1.0]
    return linked


def derive(
    onet: Path, crosswalk_dir: Path, esco_dir: Path, esco_taxonomy: Path
) -> tuple[Record, Report]:
    report = Report()
    document = json.loads(gzip.decompress(esco_taxonomy.read_bytes()))
    esco = EscoIndex.build(document)
    products, category_titles = read_products(onet)
    report.products = len(products)
    words = EnglishWords.from_esco(document)
    rules = NameRules(products, words, esco.taken)

    merged_into: dict[str, str] = {}
    for label in sorted(products):
        found = match_esco(label, rules, esco)
        if found is not None:
            merged_into[label] = found
            report.merged[label] = esco.labels[found]
    # O*NET lists some generic entries under their own category's name ("Spreadsheet
    # software" in "Spreadsheet software"): the category is that skill; its names go there.
    category_keys = {normalize_label(title): code for code, title in category_titles.items()}
    folded = {}
    for label in sorted(products):
        forms = [normalize_label(f) for f in rules.full_forms(label)]
        named = [category_keys[f] for f in forms if f in category_keys]
        if label not in merged_into and named:
            folded[label] = f"toolcat:{named[0]}"
    report.folded = len(folded)
    ids = tool_ids(label for label in products if label not in merged_into and label not in folded)
    owner = {label: merged_into.get(label) or folded.get(label) or ids[label] for label in products}

    # Every candidate name, then keep those exactly one skill claims.
    claims: dict[str, set[str]] = defaultdict(set)
    shown: dict[str, str] = {}
    product_keys = {normalize_label(label): owner[label] for label in products}
    product_keys.update({key: f"toolcat:{code}" for key, code in category_keys.items()})
    for key, owner_id in product_keys.items():
        claims[key].add(owner_id)
    for label in sorted(products):
        for name in rules.aliases(label):
            key = normalize_label(name)
            if product_keys.get(key, owner[label]) != owner[label]:
                continue  # another product's own name
            claims[key].add(owner[label])
            shown.setdefault(key, name)
    report.generic = rules.refused
    names: dict[str, list[str]] = defaultdict(list)
    for key in sorted(claims):
        skill_id = next(iter(claims[key]))
        if key not in shown:
            continue  # a product's own name, not an alias
        if len(claims[key]) > 1:
            report.ambiguous.add(shown[key])
            continue
        if not skill_id.startswith("esco:") and esco.taken(key) and key not in product_keys:
            continue  # an ESCO name already (ambiguous there, so not merged): not ours
        names[skill_id].append(shown[key])
    for alias, target in sorted(CURATED_ALIASES.items()):
        skill_id = owner.get(target) or esco.unique(target)
        if skill_id is None:
            raise ValueError(f"curated alias {alias!r}: no product or ESCO skill {target!r}")
        key = normalize_label(alias)
        if key in product_keys or esco.by_name.get(key, {skill_id}) - {skill_id}:
            raise ValueError(f"curated alias {alias!r} is another skill's name")
        if key in esco.by_name:
            continue  # the ESCO skill it merged into has the name already
        for other in names:  # a curated alias wins over the rules' claims
            names[other] = [n for n in names[other] if normalize_label(n) != key]
        names[skill_id].append(alias)
        report.curated += 1

    tools = []
    for label, product in sorted(products.items()):
        if label in merged_into or label in folded:
            continue
        aliases = sorted(
            (n for n in names[ids[label]] if normalize_label(n) != normalize_label(label)),
            key=str.casefold,
        )
        report.aliases += len(aliases)
        tools.append(
            {
                "id": ids[label],
                "label": label,
                "aliases": aliases,
                "category": product.category,
                "hot": product.hot,
                "in_demand": product.in_demand,
                "codes": list(product.codes),
            }
        )
    merged: dict[str, Record] = {}
    for label, skill_id in sorted(merged_into.items()):
        product = products[label]
        entry = merged.setdefault(
            skill_id,
            {
                "skill": skill_id,
                "products": [],
                "alt_labels": [],
                "categories": [],
                "hot": False,
                "in_demand": False,
                "codes": [],
            },
        )
        entry["products"].append(label)
        entry["categories"].append(product.category)
        entry["hot"] |= product.hot
        entry["in_demand"] |= product.in_demand
        entry["codes"] = sorted({*entry["codes"], *product.codes})
    esco_names = {
        s["id"]: {normalize_label(n) for n in [s["label"], *s["alt_labels"]]}
        for s in document["skills"]
        if s["id"] in merged
    }
    for skill_id, entry in merged.items():
        entry["alt_labels"] = sorted(
            {
                n
                for n in [*names[skill_id], *entry["products"]]
                if normalize_label(n) not in esco_names[skill_id]
            },
            key=str.casefold,
        )
        counts = Counter(entry.pop("categories"))
        entry["category"] = min(counts, key=lambda c: (-counts[c], c))
        report.aliases += len(entry["alt_labels"])
    report.tools = len(tools)

    crosswalk = _csv(crosswalk_dir / CROSSWALK)
    hierarchy = _csv(esco_dir / OCCUPATION_HIERARCHY)
    occupations = map_occupations(
        crosswalk, hierarchy, onet, {o["id"] for o in document["occupations"]}, report
    )
    used_codes = {c for codes in occupations.values() for c in codes}
    linked = category_skills(products, occupations, document)
    used_categories = sorted({p.category for p in products.values()})
    report.categories = len(used_categories)
    content: Record = {
        "format": FORMAT,
        "onet_release": ONET_RELEASE,
        "esco_version": document["version"],
        "sources": [
            {
                "name": f"O*NET {ONET_RELEASE}",
                "license": "CC BY 4.0",
                "attribution": ONET_ATTRIBUTION,
            },
            {
                "name": "Nesta ESCO-O*NET crosswalk",
                "license": "MIT",
                "attribution": CROSSWALK_ATTRIBUTION,
            },
        ],
        "categories": [
            {
                "code": code,
                "title": category_titles[code],
                "aliases": sorted(
                    (
                        n
                        for n in {
                            *names[f"toolcat:{code}"],
                            *(p for p, c in folded.items() if c == f"toolcat:{code}"),
                        }
                        if normalize_label(n) != normalize_label(category_titles[code])
                    ),
                    key=str.casefold,
                ),
                "skills": linked.get(code, []),
            }
            for code in used_categories
        ],
        "tools": tools,
        "merged": list(merged.values()),
        "occupations": occupations,
        "titles": read_titles(onet, used_codes),
    }
    content["version"] = hashlib.sha256(canonical_json(content)).hexdigest()[:16]
    return content, report


def format_report(report: Report, document: Record, out: Path) -> str:
    merged = sorted(report.merged.items())
    return "\n".join(
        [
            f"wrote {out} ({out.stat().st_size:,} bytes), version {document['version']}",
            f"O*NET {ONET_RELEASE} products: {report.products} in {report.categories} categories",
            f"  tools (new skills)              {report.tools:>6}",
            f"  merged into an ESCO skill       {len(report.merged):>6}  e.g. "
            + ", ".join(f"{p} -> {e}" for p, e in merged[:6]),
            f"  named as their category (its skill)  {report.folded:>6}",
            f"  aliases kept                    {report.aliases:>6}  ({report.curated} curated)",
            f"  aliases dropped as ambiguous    {len(report.ambiguous):>6}  e.g. "
            + ", ".join(sorted(report.ambiguous)[:8]),
            f"  short forms refused as ordinary words or ESCO names {report.generic}",
            f"ESCO occupations with O*NET codes: {report.occupations_mapped} "
            f"({report.occupations_inherited} inherited from a broader occupation)",
            f"crosswalk codes carried to {ONET_RELEASE}: {report.codes_renamed}; unknown: "
            f"{len(report.codes_unknown)} {report.codes_unknown[:6]}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--onet", type=Path, required=True, help="O*NET 29.2 CSV folder")
    parser.add_argument("--crosswalk", type=Path, required=True, help="Nesta crosswalk folder")
    parser.add_argument("--esco", type=Path, required=True, help="ESCO CSV folder")
    parser.add_argument(
        "--esco-taxonomy",
        type=Path,
        default=DEFAULT_ESCO_TAXONOMY,
        help="the packaged ESCO taxonomy whose ids the output refers to",
    )
    parser.add_argument("--out", type=Path, required=True, help="output .json.gz")
    args = parser.parse_args(argv)
    document, report = derive(args.onet, args.crosswalk, args.esco, args.esco_taxonomy)
    write_document(document, args.out)
    print(format_report(report, document, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
