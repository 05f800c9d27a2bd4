"""The one text store: each text encoded once per model, ever, by every reader; several writers;
the earlier layout's files taken in without encoding; normalisers that serve lexically while
their vectors are encoded in the background."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from data.taxonomy import text_vectors
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.normalizer import SkillNormalizer
from data.taxonomy.text_vectors import TextVectorStore, cache_file, save_atomically
from matching.skill_vectors import SkillVectorCache, text_key
from tests.matching.fakes import HashEncoder


def _taxonomy() -> Taxonomy:
    return Taxonomy.build(
        [
            TaxonomySkill("esco:py", "Python (computer programming)", ("Python",), "knowledge"),
            TaxonomySkill("esco:sql", "SQL", (), "knowledge"),
            TaxonomySkill("esco:lead", "lead a team", ("direct a team",)),
            TaxonomySkill("esco:ml", "machine learning", ("ML",), "knowledge"),
        ],
        version="t1",
    )


def _embed(encoder: HashEncoder):  # a normaliser takes a plain function
    return lambda texts: encoder.encode(texts)


def test_a_text_is_encoded_once_across_normaliser_profiles_and_restarts(tmp_path: Path) -> None:
    encoder = HashEncoder()
    normalizer = SkillNormalizer(
        _taxonomy(), _embed(encoder), cache_path=tmp_path, embed_key=encoder.model_id
    )
    normalizer.warm_up()
    assert encoder.texts_encoded == 7  # 4 labels + 3 alt labels
    profiles = SkillVectorCache(encoder, tmp_path / "skill_vectors.npz")
    assert profiles.store is normalizer.store  # one store per directory and model
    vectors = profiles.vectors(["SQL", "machine learning", "data pipelines"])
    assert encoder.texts_encoded == 8  # only the text no label had
    assert np.allclose(vectors[0], encoder.encode(["SQL"])[0])
    profiles.save()

    # A new process (a store object of its own) reads everything back and encodes nothing.
    fresh = HashEncoder()
    reread = TextVectorStore(tmp_path, fresh.model_id)
    assert len(reread) == 8
    again = reread.vectors(["lead a team", "data pipelines", "SQL"], fresh.encode)
    assert fresh.texts_encoded == 0
    assert np.allclose(again[1], vectors[2])


def test_earlier_layout_files_are_taken_in_without_encoding(tmp_path: Path) -> None:
    encoder = HashEncoder()
    taxonomy = _taxonomy()
    texts, owners = SkillNormalizer._texts(list(taxonomy.skills.values()))
    # What the earlier code wrote: one .npy per label list, and the profile cache's .npz.
    legacy = cache_file(tmp_path, "skill-labels", encoder.model_id, texts, owners)
    assert legacy is not None
    save_atomically(legacy, encoder.encode(texts))
    keys = np.array([text_key("Data Pipelines")], dtype="U40")
    np.savez(
        tmp_path / "skill_vectors.npz",
        keys=keys,
        vectors=encoder.encode(["data pipelines"]),
        model_id=np.array(encoder.model_id),
    )
    counting = HashEncoder()
    normalizer = SkillNormalizer(
        taxonomy, _embed(counting), cache_path=tmp_path, embed_key=counting.model_id
    )
    assert normalizer.missing_vectors() == 0  # all taken from the earlier file
    normalizer.warm_up()
    profiles = SkillVectorCache(counting, tmp_path / "skill_vectors.npz")
    # A profile text the earlier cache held under its normalised form: not encoded again.
    profiles.vectors(["data pipelines", "SQL"])
    assert counting.texts_encoded == 0
    assert normalizer.store is not None and normalizer.store.texts_adopted == 8
    normalizer.store.save()
    # From then on the store holds them itself (the earlier files may go).
    legacy.unlink()
    (tmp_path / "skill_vectors.npz").unlink()
    assert len(TextVectorStore(tmp_path, counting.model_id)) == 8


def test_several_writers_lose_nothing_and_many_segments_are_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_vectors, "MAX_SEGMENTS", 3)
    encoder = HashEncoder()
    # Two processes' stores on one directory, saving in turn and at once.
    first, second = TextVectorStore(tmp_path, "m"), TextVectorStore(tmp_path, "m")
    first.vectors(["a", "b"], encoder.encode)
    second.vectors(["b", "c"], encoder.encode)
    writers = [threading.Thread(target=s.save) for s in (first, second)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert len(TextVectorStore(tmp_path, "m")) == 3
    for word in ("d", "e", "f", "g"):
        first.vectors([word], encoder.encode)
        first.save()
    folder = tmp_path / "texts" / "m"
    assert len(list(folder.glob("*.json"))) <= 3  # merged once past MAX_SEGMENTS
    assert not list(folder.glob("*.tmp"))
    reread = TextVectorStore(tmp_path, "m")
    assert len(reread) == 7
    assert np.allclose(reread.rows(["c", "g"]), encoder.encode(["c", "g"]))
    # The second process picks up what the first wrote since (and still has its own rows).
    second.refresh()
    assert len(second) == 7 and np.allclose(second.rows(["g"]), encoder.encode(["g"]))


def test_another_model_or_a_damaged_segment_is_never_read(tmp_path: Path) -> None:
    encoder = HashEncoder()
    store = TextVectorStore(tmp_path, "model-a")
    store.vectors(["x", "y"], encoder.encode)
    path = store.save()
    assert path is not None
    assert len(TextVectorStore(tmp_path, "model-b")) == 0
    path.with_suffix(".npy").write_bytes(b"torn")
    assert len(TextVectorStore(tmp_path, "model-a")) == 0  # re-encoded, never misread


def test_a_text_being_encoded_by_one_thread_is_waited_for_not_encoded_again(
    tmp_path: Path,
) -> None:
    store = TextVectorStore(tmp_path, "m")
    inside, release = threading.Event(), threading.Event()
    calls: list[list[str]] = []
    encoder = HashEncoder()

    def slow(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        inside.set()
        release.wait(5)
        return encoder.encode(texts)

    background = threading.Thread(target=store.vectors, args=(["a", "b"], slow))
    background.start()
    inside.wait(5)
    answers: list[np.ndarray] = []
    request = threading.Thread(target=lambda: answers.append(store.vectors(["b", "c"], slow)))
    request.start()
    release.set()
    background.join(5)
    request.join(5)
    assert calls == [["a", "b"], ["c"]]  # "b" once, by the first thread
    assert np.allclose(answers[0], encoder.encode(["b", "c"]))


def test_a_normaliser_serves_lexically_until_its_background_prepare_is_done(
    tmp_path: Path,
) -> None:
    encoder = HashEncoder()
    normalizer = SkillNormalizer(
        _taxonomy(), _embed(encoder), cache_path=tmp_path, embed_key=encoder.model_id
    )
    normalizer.warm_up_lexical()
    assert normalizer.missing_vectors() == 7
    normalizer.lexical_until_ready = True
    before = normalizer.suggest("SQL databases", limit=3)
    # Exact and partial labels, nothing from the encoder: no label was encoded by the request.
    assert [(m.skill_id, m.method) for m in before] == [("esco:sql", "partial_label")]
    assert encoder.texts_encoded == 0
    steps: list[tuple[int, int]] = []
    normalizer.prepare(lambda done, total: steps.append((done, total)), chunk=4)
    assert steps == [(0, 7), (4, 7), (7, 7)]
    assert normalizer.ready and not normalizer.lexical_until_ready
    assert before[0].score == 0.5  # the share of the words the label covers
    after = normalizer.suggest("SQL databases", limit=3)
    # Now scored by the calibrated evidence, the query's embedding among it (prepare's own
    # warm-up query and this one encoded).
    assert encoder.texts_encoded == 7 + 2 and after[0].score != before[0].score
    assert len(list((tmp_path / "texts" / encoder.model_id).glob("*.json"))) == 2  # per chunk


def test_released_pages_of_a_mapped_segment_read_back_the_same(tmp_path: Path) -> None:
    encoder = HashEncoder()
    store = TextVectorStore(tmp_path, encoder.model_id)
    texts = [f"label {i}" for i in range(50)]
    store.vectors(texts, encoder.encode)
    store.save()  # its rows now read from the saved segment, memory-mapped
    before = store.rows(texts)
    assert store.release_pages() >= 1
    assert np.array_equal(store.rows(texts), before)
    assert np.array_equal(TextVectorStore(tmp_path, encoder.model_id).rows(texts), before)
