"""`bench/quality.py` at its smallest: every task on a tiny sample, through the product's
normalisers and API. What it asserts is that the bench runs, prints its last line in the agreed
form, and scores the project and both baselines on the same items (`make bench-quality` is the
measurement); and that the typed product names it makes are what people type."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.quality import SHARED, VectorMemo, alias_forms  # noqa: E402

LAST_LINE = re.compile(
    r"quality: titles_top5=(\d\.\d{3}) titles_misses_vs_best=(\d+\.\d{3}) "
    r"tools_top1=(\d\.\d{3}) tools_misses_vs_best=(\d+\.\d{3}) "
    r"people_roles_mrr=(\d\.\d{3}) people_roles_misses_vs_best=(\d+\.\d{3}) "
    r"tool_people_mrr=(\d\.\d{3}) tool_people_misses_vs_best=(\d+\.\d{3})"
)
SIZES = {"titles": 12, "tools": 12, "people_roles": 12, "tool_people": 8}


def _figure(items: list[dict], ranker: str, metric: str) -> float:
    values = []
    for item in items:
        ranked = item["answers"][ranker]
        rank = next((i for i, o in enumerate(ranked, 1) if o in item["truth"]), None)
        if metric == "mrr":
            values.append(0.0 if rank is None else 1.0 / rank)
        else:
            values.append(float(rank is not None and rank <= int(metric[3:])))
    return sum(values) / len(values)


@pytest.mark.skipif(not (SHARED / "onet").is_dir(), reason=f"no public data in {SHARED}")
def test_every_task_scores_the_project_and_both_baselines_on_the_same_items(
    var_dir: Path, tmp_path: Path
) -> None:
    items_file = tmp_path / "items.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "quality.py"),
            *("--titles", str(SIZES["titles"]), "--tools", str(SIZES["tools"])),
            *("--role-occupations", "6", "--people", str(SIZES["people_roles"])),
            *("--tool-occupations", "4", "--tool-people", str(SIZES["tool_people"])),
            # The suite's label caches (conftest) stand in for `talent index`'s.
            *("--universe", "20", "--vectors", str(var_dir / "vectors")),
            *("--seed-from", str(var_dir / "vectors")),
            *("--items", str(items_file)),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    found = LAST_LINE.fullmatch(last)
    assert found is not None, last
    by_task: dict[str, list[dict]] = defaultdict(list)
    for line in items_file.read_text().splitlines():
        item = json.loads(line)
        by_task[item["task"]].append(item)
    assert {task: len(items) for task, items in by_task.items()} == SIZES
    for task, items in by_task.items():
        for item in items:
            assert set(item["answers"]) == {"project", "bm25", "minilm"}, (task, item)
            assert item["truth"] and item["query"], (task, item)
        # The task's line names the same number of items it scored.
        assert f"{task}: n={len(items)} " in done.stdout
    # Each figure on the last line is the one the written items give, and each misses ratio
    # is the project's misses over the better baseline's on those same items.
    metrics = (
        ("titles", "top5"),
        ("tools", "top1"),
        ("people_roles", "mrr"),
        ("tool_people", "mrr"),
    )
    for n, (task, metric) in enumerate(metrics):
        project = _figure(by_task[task], "project", metric)
        best = max(_figure(by_task[task], r, metric) for r in ("bm25", "minilm"))
        assert float(found.group(2 * n + 1)) == pytest.approx(project, abs=5e-4)
        if best < 1:
            ratio = (1 - project) / (1 - best)
            assert float(found.group(2 * n + 2)) == pytest.approx(ratio, abs=5e-4)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Microsoft Excel", {"excel"}),
        ("SAP software", {"sap"}),
        ("Atlassian JIRA", {"jira"}),
        ("Microsoft Power BI", {"power bi"}),
        ("Amazon Web Services", {"aws", "web services"}),
        ("Microsoft Visual Studio", {"visual studio"}),  # no "MVS": O*NET never writes it so
        (
            "Microsoft Active Server Pages ASP",
            {
                "asp",
                "active server pages",
                "microsoft active server pages",
                "active server pages asp",
            },
        ),
        ("Tableau", set()),
    ],
)
def test_typed_forms_drop_the_vendor_and_software_and_take_acronyms_in_use(
    name: str, expected: set[str]
) -> None:
    vendors = {"Microsoft", "Amazon", "Atlassian"}
    acronyms = {"amazon web services": "AWS", "customer relationship management": "CRM"}
    forms = alias_forms(name, vendors, acronyms)
    assert forms == expected
    # Never the name itself, always lower case: a form must be found by other evidence.
    assert all(form == form.lower() and form != name.lower() for form in forms)


class _LengthEncoder:
    """A stand-in encoder whose vector of a text is computable: (length, first letter)."""

    model_id = "length-test"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, 0], out[row, 1] = len(text), ord(text[0])
        return out


def test_the_vector_memo_answers_each_text_with_its_own_vector_whatever_repeats(
    tmp_path: Path,
) -> None:
    encoder = _LengthEncoder()
    memo = VectorMemo(encoder, tmp_path / "memo.npz")  # type: ignore[arg-type]  # stand-in encoder
    batches = [["ab", "c", "ab", "def", "c"], ["ghij", "ab", "klmno"], ["p", "p", "qq"]]
    for n, batch in enumerate(batches):
        if n % 2 == 0:  # given with vectors (a product cache), or encoded on demand
            memo.remember(batch, encoder.encode(batch))
        else:
            memo(batch)
    memo.save()
    again = VectorMemo(encoder, tmp_path / "memo.npz")  # type: ignore[arg-type]  # stand-in encoder
    texts = sorted({t for batch in batches for t in batch})
    assert len(again.rows) == len(texts)
    for reader in (memo, again):
        assert np.array_equal(reader(texts), encoder.encode(texts))
