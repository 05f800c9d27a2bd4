"""Retrieval benchmark: composed skill vectors + FAISS against encoding whole profiles.

On generated pools (default 100k employees, 10k opportunities, demo-company generator):
  - build: cold skill-vector cache -> every vector composed -> every index built;
  - baseline "full encode": each profile's whole text through the transformer, timed on a
    sample and extrapolated to the pool (the alternative a user might pick);
  - query latency in both directions with all eligibility masks applied (p50 / p99);
  - recall@50 of the served index against exact search under the same masks;
  - peak process RSS;
  - ranking quality of composed vectors vs whole-text vectors, as NDCG@10 against the demo
    company's hidden true fit (2,000 people x 300 opportunities);
  - bulk encoding on a CUDA GPU is bench/encode_gpu.py's job (optional, never required).
Last line:
  retrieval: build_s=… speedup_vs_full_encode=…x p99_ms_emp=… p99_ms_opp=… recall50=… rss_mb=…
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.schemas import EmployeeIn, OpportunityIn
from data.taxonomy.model import Taxonomy
from features.composition import EmployeeText, LeveledSkill, OpportunityText
from matching.encoder import SentenceEncoder
from matching.records import EmployeeRecord, OpportunityRecord

AS_OF = dt.date(2026, 11, 1)


def employee_records(people: list[EmployeeIn], taxonomy: Taxonomy) -> list[EmployeeRecord]:
    return [
        EmployeeRecord(
            row_id=i + 1,
            external_id=e.external_id,
            level=e.level,
            availability=e.availability_hours_per_week,
            open_to=tuple(k.value for k in e.open_to),
            location=e.location,
            text=EmployeeText(
                skills=[LeveledSkill(taxonomy.skills[s.skill_id].label, s.level) for s in e.skills],
                interests=list(e.interests),
            ),
        )
        for i, e in enumerate(people)
    ]


def opportunity_records(jobs: list[OpportunityIn], taxonomy: Taxonomy) -> list[OpportunityRecord]:
    def leveled(refs: list) -> list[LeveledSkill]:
        return [LeveledSkill(taxonomy.skills[s.skill_id].label, s.level) for s in refs]

    return [
        OpportunityRecord(
            row_id=i + 1,
            external_id=o.external_id,
            kind=o.kind.value,
            owner_external_id=o.owner_external_id,
            level_min=o.level_min,
            level_max=o.level_max,
            hours=o.hours_per_week,
            status=o.status.value,
            seats=o.seats,
            start_date=o.start_date,
            location=o.location,
            text=OpportunityText(o.title, leveled(o.required_skills), leveled(o.preferred_skills)),
        )
        for i, o in enumerate(jobs)
    ]


def employee_document(e: EmployeeIn, taxonomy: Taxonomy) -> str:
    skills = ", ".join(f"{taxonomy.skills[s.skill_id].label} (level {s.level})" for s in e.skills)
    return (
        f"{e.title} in {e.department}. Skills: {skills}. Interests: {', '.join(e.interests)}. "
        f"{e.aspirations}"
    )


def opportunity_document(o: OpportunityIn, taxonomy: Taxonomy) -> str:
    required = ", ".join(taxonomy.skills[s.skill_id].label for s in o.required_skills)
    preferred = ", ".join(taxonomy.skills[s.skill_id].label for s in o.preferred_skills)
    return f"{o.title}. {o.description} Required: {required}. Preferred: {preferred}."


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q))


def ndcg_at_10(scores: np.ndarray, fit: np.ndarray) -> float:
    """Mean NDCG@10 over rows, graded by the true fit (continuous gains)."""
    discounts = 1 / np.log2(np.arange(2, 12))
    values = []
    for row_scores, row_fit in zip(scores, fit, strict=True):
        top = np.argsort(-row_scores)[:10]
        ideal = np.sort(row_fit)[::-1][:10]
        values.append(float((row_fit[top] * discounts).sum() / (ideal * discounts).sum()))
    return float(np.mean(values))


def generate(
    employees: int, opportunities: int, seed: int, as_of: dt.date = AS_OF
) -> tuple[list, list, Taxonomy]:
    """The demo generators' people and catalogue at any size (no history, no true fit)."""
    from data.demo.families import build_families
    from data.demo.opportunities import generate_catalogue
    from data.demo.people import generate_workforce
    from data.taxonomy.packaged import load_packaged_taxonomy

    taxonomy = load_packaged_taxonomy()
    families = build_families(taxonomy)
    rng = np.random.default_rng(seed)
    workforce = generate_workforce(rng, taxonomy, families, size=employees, as_of=as_of)
    catalogue = generate_catalogue(
        rng,
        taxonomy,
        families,
        workforce,
        size=opportunities,
        as_of=as_of,
        period_days=182,
        lead_persona=1,
    )
    return workforce.employees, catalogue.opportunities, taxonomy


def measure_quality(encoder: SentenceEncoder, sample: int) -> dict[str, float]:
    """Composed vs whole-text vectors, scored against the demo company's hidden true fit."""
    from data.demo import generate_company
    from data.taxonomy.packaged import load_packaged_taxonomy
    from features.composition import compose_employees, compose_opportunities
    from matching.skill_vectors import SkillVectorCache

    taxonomy = load_packaged_taxonomy()
    company = generate_company(taxonomy, employees=2000, opportunities=300, seed=7, as_of=AS_OF)
    rows = np.random.default_rng(0).choice(len(company.employees), size=sample, replace=False)
    people = [company.employees[i] for i in rows]
    jobs = company.opportunities
    fit = company.true_fit[rows]
    cache = SkillVectorCache(encoder)
    composed_e = compose_employees(
        [r.text for r in employee_records(people, taxonomy)], cache.vectors, encoder_dim(encoder)
    )
    composed_o = compose_opportunities(
        [r.text for r in opportunity_records(jobs, taxonomy)], cache.vectors, encoder_dim(encoder)
    )
    started = time.perf_counter()
    full_e = encoder.encode([employee_document(e, taxonomy) for e in people])
    full_o = encoder.encode([opportunity_document(o, taxonomy) for o in jobs])
    full_seconds = time.perf_counter() - started
    return {
        "ndcg10_composed": ndcg_at_10(composed_e @ composed_o.T, fit),
        "ndcg10_full_text": ndcg_at_10(full_e @ full_o.T, fit),
        "full_text_per_doc_ms": 1000 * full_seconds / (len(people) + len(jobs)),
    }


def encoder_dim(encoder: SentenceEncoder) -> int:
    return int(encoder.encode(["dimension probe"]).shape[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sample", type=int, default=300, help="profiles fully encoded")
    parser.add_argument("--queries", type=int, default=1000, help="timed queries per direction")
    parser.add_argument("--recall-queries", type=int, default=200)
    parser.add_argument("--quality-sample", type=int, default=300)
    args = parser.parse_args()

    from matching.engine import MatchEngine
    from matching.index import exact_top_k
    from matching.skill_vectors import SkillVectorCache

    started = time.perf_counter()
    people, jobs, taxonomy = generate(args.employees, args.opportunities, args.seed)
    print(
        f"generated {len(people)} employees and {len(jobs)} opportunities in "
        f"{time.perf_counter() - started:.1f}s (not part of the build)"
    )
    emp_records = employee_records(people, taxonomy)
    opp_records = opportunity_records(jobs, taxonomy)
    rng = np.random.default_rng(args.seed)
    documents = [
        employee_document(people[i], taxonomy)
        for i in rng.choice(len(people), size=args.sample, replace=False)
    ]
    del people, jobs  # keep the RSS figure about the index, not the generator's objects

    encoder = SentenceEncoder()
    encoder.encode(["warm-up"])  # model load is a one-off per process, not index building
    with tempfile.TemporaryDirectory() as tmp:
        cache = SkillVectorCache(encoder, Path(tmp) / "cache.npz")
        engine = MatchEngine(cache, today=lambda: AS_OF)
        encoded_before = encoder.texts_encoded
        started = time.perf_counter()
        engine.refresh_employees(emp_records, index=False)
        engine.refresh_opportunities(opp_records, index=False)
        engine.rebuild_indexes()
        build_s = time.perf_counter() - started
    distinct = encoder.texts_encoded - encoded_before
    infos = {"employees": engine.employees.index.info}
    infos.update({k: p.index.info for k, p in engine.opportunities.items()})
    print(
        f"build: {build_s:.1f}s from a cold cache ({distinct} distinct short texts encoded); "
        + "; ".join(
            f"{k}: {i.kind} n={i.size} nprobe={i.nprobe} recall@50={i.recall_at_50:.3f}"
            for k, i in infos.items()
        )
    )

    started = time.perf_counter()
    encoder.encode(documents)
    per_text = (time.perf_counter() - started) / len(documents)
    full_s = per_text * (len(emp_records) + len(opp_records))
    speedup = full_s / build_s
    print(
        f"baseline full encode: {1000 * per_text:.1f} ms per profile text on {len(documents)} "
        f"texts -> {full_s:.0f}s for {len(emp_records) + len(opp_records)} profiles "
        f"(extrapolated); speed-up {speedup:.0f}x"
    )

    employee_rows = rng.choice([r.row_id for r in emp_records], size=args.queries)
    kinds = rng.choice(["gig", "mentorship", "role"], size=args.queries)
    emp_times, opp_times = [], []
    for row, kind in zip(employee_rows.tolist(), kinds.tolist(), strict=True):
        t = time.perf_counter()
        engine.matches_for_employee(row, kind=kind, limit=20)
        emp_times.append(time.perf_counter() - t)
    open_rows = [r.row_id for r in opp_records if r.status in ("open", "draft")]
    for row in rng.choice(open_rows, size=args.queries).tolist():
        t = time.perf_counter()
        engine.candidates_for_opportunity(row, limit=20)
        opp_times.append(time.perf_counter() - t)
    print(
        f"latency employee->opportunities: p50 {percentile_ms(emp_times, 50):.2f} ms, "
        f"p99 {percentile_ms(emp_times, 99):.2f} ms; opportunity->employees: p50 "
        f"{percentile_ms(opp_times, 50):.2f} ms, p99 {percentile_ms(opp_times, 99):.2f} ms"
    )

    # Recall: served (masked) top-50 against an exact scan under the same mask.
    from matching.eligibility import employees_for, opportunity_facts

    recalls = []
    for row in rng.choice(open_rows, size=args.recall_queries).tolist():
        kind = engine._kind_of[row]
        pool = engine.opportunities[kind]
        facts = opportunity_facts(pool, pool.position_of[row], kind)
        mask, _ = employees_for(facts, engine.employees, today=AS_OF)
        query = pool.vectors[pool.position_of[row]]
        truth, _ = exact_top_k(engine.employees.vectors, query, 50, np.flatnonzero(mask))
        if len(truth) == 0:
            continue
        served = engine.candidates_for_opportunity(row, limit=50).hits
        served_positions = {engine.employees.position_of[h.row_id] for h in served}
        recalls.append(len(served_positions & set(truth.tolist())) / len(truth))
    recall50 = float(np.mean(recalls))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"recall@50 (opportunity->employees, masked, vs exact): {recall50:.4f} over "
        f"{len(recalls)} queries; peak RSS {rss_mb:.0f} MB"
    )

    quality = measure_quality(encoder, args.quality_sample)
    print(
        f"quality (NDCG@10 vs hidden true fit, {args.quality_sample} people x 300 "
        f"opportunities): composed {quality['ndcg10_composed']:.4f}, whole text "
        f"{quality['ndcg10_full_text']:.4f}; whole text costs "
        f"{quality['full_text_per_doc_ms']:.1f} ms per document"
    )
    import torch

    if torch.cuda.is_available():
        print("gpu: CUDA present; run bench/encode_gpu.py for bulk encoding on it")
    else:
        print("gpu: no CUDA device here; bulk GPU encoding is bench/encode_gpu.py's (optional)")
    p99_emp, p99_opp = percentile_ms(emp_times, 99), percentile_ms(opp_times, 99)
    print(
        f"retrieval: build_s={build_s:.1f} speedup_vs_full_encode={speedup:.0f}x "
        f"p99_ms_emp={p99_emp:.2f} p99_ms_opp={p99_opp:.2f} recall50={recall50:.4f} "
        f"rss_mb={rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
