"""Fit the skill normaliser's calibration with the real encoder (tools/taxonomy/calibrate.py).

Seeded (--seed, default 7): the same taxonomy and encoder give the same coefficients. Label
vectors come from the product's cache in var/vectors (encoded there once if missing). With
--write the fitted block of data/taxonomy/calibration.py is replaced. Prints the reliability
of the top suggestion on held-out names (fitted on the other half), then:
  calibration: pairs=… top1=… wrongly_accepted=… expected_error=… (held-out half)
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data.taxonomy import calibration as calibration_module  # noqa: E402
from data.taxonomy.calibration import FEATURES  # noqa: E402
from data.taxonomy.model import Taxonomy  # noqa: E402
from data.taxonomy.normalizer import SkillNormalizer  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402
from tools.taxonomy.calibrate import SCRIPT, run, write_fitted  # noqa: E402


class MemoEmbedder:
    """The encoder, answering from vectors already computed for the same texts."""

    def __init__(self, encode) -> None:
        self.encode = encode
        self.known: dict[str, np.ndarray] = {}

    def remember(self, texts: list[str], vectors: np.ndarray) -> None:
        self.known.update(zip(texts, vectors, strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.remember(missing, np.asarray(self.encode(missing), dtype=np.float32))
        return np.stack([self.known[t] for t in texts])


def with_sampled_tools(taxonomy: Taxonomy, count: int, seed: int) -> Taxonomy:
    """Every skill that is not a tool, and `count` tools drawn with the seed."""
    tools = sorted(s.skill_id for s in taxonomy.skills.values() if s.skill_type == "tool")
    kept = set(random.Random(seed).sample(tools, min(count, len(tools))))
    skills = [s for s in taxonomy.skills.values() if s.skill_type != "tool" or s.skill_id in kept]
    return Taxonomy.build(skills, version=f"{taxonomy.version}+{len(kept)}-tools")


def main(
    argv: list[str] | None = None, encode: Callable[[list[str]], np.ndarray] | None = None
) -> int:
    """`encode`: texts -> vectors in place of the packaged encoder (one with vectors at hand)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--known", type=int, default=1200, help="held-out names with an owner")
    parser.add_argument("--unknown", type=int, default=400, help="names with no owner")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument(
        "--tools",
        type=int,
        default=None,
        help="fit on a seeded sample of this many tools "
        "(all by default; fewer to bound the encoding on a slow machine)",
    )
    parser.add_argument("--write", action="store_true", help="update calibration.py")
    args = parser.parse_args(argv)

    from matching.encoder import SentenceEncoder

    encoder = SentenceEncoder()
    taxonomy: Taxonomy = load_packaged_taxonomy()
    if args.tools is not None:
        taxonomy = with_sampled_tools(taxonomy, args.tools, args.seed)
    memo = MemoEmbedder(encode or encoder.encode)
    full = SkillNormalizer(
        taxonomy.copy(), memo, cache_path=REPO / "var" / "vectors", embed_key=encoder.model_id
    )
    texts, owners = full._texts(list(taxonomy.skills.values()))
    memo.remember(texts, full._load_or_encode(texts, owners))
    started = time.perf_counter()
    final, checked, _, pairs = run(
        taxonomy,
        memo,
        known_count=args.known,
        unknown_count=args.unknown,
        seed=args.seed,
        threshold=args.threshold,
        onet_dir=REPO.parent / "shared" / "onet",
    )
    print(f"fitted on {pairs} (name, candidate) pairs in {time.perf_counter() - started:.0f} s")
    for name, value in zip(FEATURES, final.coefficients, strict=True):
        print(f"  {name:20s} {value:+.3f}")
    print(f"  {'intercept':20s} {final.intercept:+.3f}")
    print("held-out half (fitted on the other half): score bin, mean score, share right, names")
    for low, mean, right, count in checked.bins:
        print(f"  >= {low:.1f}: {mean:.3f} {right:.3f} {count}")
    tools = sum(1 for s in taxonomy.skills.values() if s.skill_type == "tool")
    sampled = f" --tools {args.tools}" if args.tools is not None else ""
    info = (
        f"{SCRIPT} --seed {args.seed} --known {args.known} --unknown {args.unknown}{sampled}: "
        "taxonomy "
        f"{taxonomy.version} ({len(taxonomy.skills)} skills, {tools} tools), {pairs} pairs; "
        f"held-out half: top1 {checked.top1:.3f}, wrongly accepted at {args.threshold} "
        f"{checked.wrongly_accepted:.3f}, expected calibration error {checked.expected_error:.3f}"
    )
    if args.write:
        write_fitted(Path(calibration_module.__file__), final, info)
        print(f"wrote {calibration_module.__file__}")
    print(
        f"calibration: pairs={pairs} top1={checked.top1:.3f} "
        f"wrongly_accepted={checked.wrongly_accepted:.3f} "
        f"expected_error={checked.expected_error:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
