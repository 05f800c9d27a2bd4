"""Bulk encoding of profile texts on a CUDA GPU against the CPU, with the project's encoder.

Optional: the project never needs a GPU. Run where CUDA is present:
    python bench/encode_gpu.py --texts profiles.txt [--model DIR]
`profiles.txt` holds one profile text per line (`python bench/encode_gpu.py --write N FILE`
writes N from the demo generator). Prints texts/s on CUDA and on the CPU, and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.encoder import SentenceEncoder


def write_texts(count: int, path: Path) -> None:
    import datetime as dt

    import numpy as np

    from bench.retrieval import employee_document
    from data.demo.families import build_families
    from data.demo.people import generate_workforce
    from data.taxonomy.packaged import load_packaged_taxonomy

    taxonomy = load_packaged_taxonomy()
    people = generate_workforce(
        np.random.default_rng(5),
        taxonomy,
        build_families(taxonomy),
        size=count,
        as_of=dt.date(2026, 11, 1),
    ).employees
    path.write_text(
        "".join(employee_document(e, taxonomy).replace("\n", " ") + "\n" for e in people)
    )


def rate(encoder: SentenceEncoder, texts: list[str], sync: object = None) -> float:
    encoder.encode(texts[: min(512, len(texts))])  # warm-up: weights, kernels, allocator
    if callable(sync):
        sync()
    started = time.perf_counter()
    encoder.encode(texts)
    if callable(sync):
        sync()
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, help="one profile text per line")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: packaged)")
    parser.add_argument("--cpu-sample", type=int, default=300)
    parser.add_argument("--write", nargs=2, metavar=("N", "FILE"), help="write N texts and stop")
    args = parser.parse_args()
    if args.write:
        write_texts(int(args.write[0]), Path(args.write[1]))
        return
    import torch

    texts = args.texts.read_text().splitlines()
    cpu = rate(SentenceEncoder(args.model, device="cpu"), texts[: args.cpu_sample])
    print(
        f"cpu: {cpu:.0f} texts/s on {min(len(texts), args.cpu_sample)} texts "
        f"({torch.get_num_threads()} threads)"
    )
    if not torch.cuda.is_available():
        print("gpu: no CUDA device; nothing more to measure (the project never needs one)")
        return
    # Each precision twice, alternating, so that one-off warm-up effects show as a spread.
    encoders = {
        precision: SentenceEncoder(args.model, device="cuda", batch_size=512, precision=precision)
        for precision in ("float16", "float32")
    }
    rates: dict[str, list[float]] = {precision: [] for precision in encoders}
    for _ in range(2):
        for precision, encoder in encoders.items():
            rates[precision].append(rate(encoder, texts, torch.cuda.synchronize))
    for precision, values in rates.items():
        print(
            f"gpu {precision}: {torch.cuda.get_device_name(0)}: "
            f"{' / '.join(f'{v:.0f}' for v in values)} texts/s on {len(texts)} texts"
        )
    best = max(max(values) for values in rates.values())
    print(
        f"encode_gpu: gpu_texts_per_s={best:.0f} cpu_texts_per_s={cpu:.0f} ratio={best / cpu:.0f}x"
    )


if __name__ == "__main__":
    main()
