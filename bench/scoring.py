"""Scoring and explaining one page: LightGBM as served, against its baselines and compiled models.

On a pool like a served request's (200 retrieved rows × the registry's features, each drawn
between the smallest and largest split threshold the model uses, 10% zeros) with each packaged
default ranker, the median of `--repeats` batches of each call:
  - score200_before / score200: the 200 rows scored by LightGBM with its default OpenMP
    threads (what `LambdaRanker.predict` did) and as `LambdaRanker.predict` scores them now;
  - shap200 / shap_page_before / shap_page: TreeSHAP (`pred_contrib`) on all 200 rows, and on
    the page of `--page` rows only, default threads and as `LambdaRanker.contributions` now;
  - words_page: the page's explanations put into words from those contributions (Python);
  - lleaves200 / tl2cgen200: a compiled model's score of the 200 rows, where that compiler is
    installed (neither is a dependency), with its compile time, and how many of `--check` rows
    (plain rows, and rows with exact thresholds and their float32 neighbours, NaN, ±inf, ±0,
    negatives and |x| ≤ 1e-35) it scores other than `booster.predict` does, bit for bit, and
    the largest difference: replay (fairness/replay.py) requires equal scores.
Every "after" output is checked equal to its baseline's before it is timed. One line each:
  scoring: model=… trees=… score200_before_ms=… score200_ms=… shap200_ms=…
  shap_page_before_ms=… shap_page_ms=… words_page_ms=… [lleaves… tl2cgen…]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402

from features.registry import FEATURE_NAMES  # noqa: E402
from matching.explain import EMPLOYEE, explain_rows  # noqa: E402
from training.cold_start import DEFAULTS_DIR  # noqa: E402
from training.ranker import LambdaRanker  # noqa: E402

# What the templates may say about a pair (matching/explain.pair_details), one made-up pair.
DETAILS: dict[str, Any] = {
    "matched": 4,
    "required": 5,
    "matched_names": ": Python (computer programming), SQL, data mining, statistics",
    "missing_count": 1,
    "missing_names": ": Apache Spark",
    "implied": 1,
    "implied_names": ": Apache Spark",
    "related": 0,
    "related_names": "",
    "preferred_matched": 1,
    "preferred": 2,
    "hours": 10.0,
    "availability": 6.0,
    "free_hours": "you have 6 free",
    "mentor_ahead": "a step ahead of you",
    "asked": "required skills",
    "asked_missing": "Required skills not held yet",
    "location_text": "remote or in your location",
    "applications": 3,
    "resemblance": "closely",
    "band_part": "middle",
    "kind": "gig",
    "department": "Finance",
}


def thresholds(booster: lgb.Booster) -> list[np.ndarray]:
    """Each feature's split thresholds in the model ([0.0] for a feature it never splits on)."""
    found: list[set[float]] = [set() for _ in range(booster.num_feature())]

    def walk(node: dict[str, Any]) -> None:
        if "split_feature" in node:
            found[node["split_feature"]].add(float(node["threshold"]))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return [np.array(sorted(t)) if t else np.array([0.0]) for t in found]


def pool(booster: lgb.Booster, rows: int, seed: int, *, edges: bool = False) -> np.ndarray:
    """Rows as float32, as served: each feature uniform over its thresholds' range (a tenth
    beyond each end), 10% zeros; `edges` puts in the values where a compiled model could part
    from LightGBM: exact thresholds and their float32 neighbours, NaN, ±inf, ±0, negatives,
    and values within LightGBM's zero band (|x| ≤ 1e-35, read as 0)."""
    rng = np.random.default_rng(seed)
    columns = []
    for cuts in thresholds(booster):
        low, high = float(cuts.min()), float(cuts.max())
        span = max(high - low, 1.0)
        column = rng.uniform(low - span / 10, high + span / 10, rows)
        column[rng.random(rows) < 0.1] = 0.0
        if edges:
            exact = rng.choice(cuts, rows).astype(np.float32)
            special = [
                exact,
                np.nextafter(exact, np.float32(np.inf)),
                np.nextafter(exact, np.float32(-np.inf)),
                np.full(rows, np.nan),
                np.full(rows, np.inf),
                np.full(rows, -np.inf),
                np.full(rows, -0.0),
                rng.choice([1e-36, -1e-36, 1.0000000180025095e-35, -1.0000000180025095e-35], rows),
                -rng.uniform(0, span, rows),
            ]
            pick = rng.integers(0, 2 * len(special), rows)  # about half the cells special
            for k, values in enumerate(special):
                column = np.where(pick == k, values, column)
        columns.append(column)
    return np.column_stack(columns).astype(np.float32)


def median_ms(call: Callable[[], object], *, repeats: int, inner: int) -> float:
    """Median over `repeats` batches of `inner` calls, in ms per call (after one warm-up)."""
    call()
    per_call = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(inner):
            call()
        per_call.append((time.perf_counter() - started) / inner * 1000)
    return statistics.median(per_call)


def exactness(
    booster: lgb.Booster, score: Callable[[np.ndarray], np.ndarray], rows: int
) -> tuple[int, int, float]:
    """(rows checked, rows scored other than booster.predict, largest |difference|)."""
    checked = unequal = 0
    worst = 0.0
    batch = 2000
    for seed in range(max(1, rows // (2 * batch))):
        for edges in (False, True):
            data = pool(booster, batch, 1000 + seed, edges=edges)
            want, got = booster.predict(data), score(data)
            differs = ~((got == want) | (np.isnan(got) & np.isnan(want)))
            checked, unequal = checked + len(data), unequal + int(differs.sum())
            gap = np.abs(got - want)
            worst = max(worst, float(np.where(np.isnan(gap), np.inf, gap).max()))
    return checked, unequal, worst


def compiled(path: Path, booster: lgb.Booster, x: np.ndarray, args: argparse.Namespace) -> str:
    """The compilers that are installed: compile time, 200-row score time, exactness."""
    out = []
    work = Path(tempfile.mkdtemp(prefix="scoring-bench-"))
    try:
        import lleaves  # type: ignore[import-not-found]  # optional: tried, not a dependency

        model = lleaves.Model(model_file=str(path))
        started = time.perf_counter()
        model.compile(cache=str(work / f"{path.stem}.lleaves.so"))
        took = time.perf_counter() - started

        def lleaves_score(data: np.ndarray) -> np.ndarray:
            return model.predict(data.astype(np.float64), n_jobs=1)

        ms = median_ms(lambda: lleaves_score(x), repeats=args.repeats, inner=20)
        checked, unequal, worst = exactness(booster, lleaves_score, args.check)
        out.append(
            f"lleaves_compile_s={took:.2f} lleaves200_ms={ms:.3f} "
            f"lleaves_unequal={unequal}/{checked} lleaves_max_diff={worst:.3g}"
        )
    except Exception as missing:  # not installed, or cannot compile with this llvmlite
        out.append(f"lleaves=unavailable({type(missing).__name__})")
    try:
        import tl2cgen  # type: ignore[import-not-found]  # optional: tried, not a dependency
        import treelite  # type: ignore[import-not-found]  # optional: tried, not a dependency

        library = work / f"{path.stem}.tl2cgen.so"
        started = time.perf_counter()
        tl2cgen.export_lib(
            treelite.frontend.load_lightgbm_model(str(path)),
            toolchain="gcc",
            libpath=str(library),
            params={"parallel_comp": 0},
        )
        took = time.perf_counter() - started
        predictor = tl2cgen.Predictor(str(library), nthread=1)

        def tl2cgen_score(data: np.ndarray) -> np.ndarray:
            matrix = tl2cgen.DMatrix(data.astype(np.float64), dtype="float64")
            return np.asarray(predictor.predict(matrix)).ravel()

        ms = median_ms(lambda: tl2cgen_score(x), repeats=args.repeats, inner=20)
        checked, unequal, worst = exactness(booster, tl2cgen_score, args.check)
        out.append(
            f"tl2cgen_compile_s={took:.2f} tl2cgen200_ms={ms:.3f} "
            f"tl2cgen_unequal={unequal}/{checked} tl2cgen_max_diff={worst:.3g}"
        )
    except Exception as missing:
        out.append(f"tl2cgen=unavailable({type(missing).__name__})")
    return " ".join(out)


def measure(path: Path, args: argparse.Namespace) -> str:
    """One model's line."""
    ranker = LambdaRanker.load(path)
    booster = lgb.Booster(model_file=str(path))  # the baseline: LightGBM's defaults
    x = pool(booster, args.rows, 1)
    page = x[: args.page]
    assert np.array_equal(ranker.predict(x), booster.predict(x))
    assert np.array_equal(ranker.contributions(page), booster.predict(page, pred_contrib=True))
    contributions = ranker.contributions(page)
    details = [DETAILS] * len(page)
    r, few = args.repeats, 3
    figures = {
        "score200_before_ms": median_ms(lambda: booster.predict(x), repeats=r, inner=20),
        "score200_ms": median_ms(lambda: ranker.predict(x), repeats=r, inner=20),
        "shap200_ms": median_ms(
            lambda: booster.predict(x, pred_contrib=True), repeats=r, inner=few
        ),
        "shap_page_before_ms": median_ms(
            lambda: booster.predict(page, pred_contrib=True), repeats=r, inner=few * 3
        ),
        "shap_page_ms": median_ms(lambda: ranker.contributions(page), repeats=r, inner=few * 3),
        "words_page_ms": median_ms(
            lambda: explain_rows(contributions, page, details, audience=EMPLOYEE),
            repeats=r,
            inner=few * 3,
        ),
    }
    line = " ".join(f"{k}={v:.3f}" for k, v in figures.items())
    return (
        f"scoring: model={path.stem} trees={booster.num_trees()} features={len(FEATURE_NAMES)} "
        f"rows={args.rows} page={args.page} {line} {compiled(path, booster, x, args)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200, help="a request's scored pool")
    parser.add_argument("--page", type=int, default=20, help="rows explained")
    parser.add_argument("--repeats", type=int, default=31)
    parser.add_argument("--check", type=int, default=100_000, help="rows for exactness")
    parser.add_argument("--model", type=Path, action="append", help="default: both packaged")
    args = parser.parse_args()
    for path in args.model or [DEFAULTS_DIR / "employee.txt", DEFAULTS_DIR / "opportunity.txt"]:
        print(measure(path, args), flush=True)


if __name__ == "__main__":
    main()
