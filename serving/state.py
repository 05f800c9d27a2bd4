"""Everything heavy a process loads once (in the app's lifespan) and shares between requests."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.importing import SkillResolver
from data.private_files import private_dir
from data.storage.engine import make_engine, make_session_factory, transaction
from data.storage.imports import fail_interrupted_jobs
from data.storage.migrate import one_at_a_time, upgrade_to_head
from data.storage.skills import (
    load_taxonomy,
    name_aliases,
    reviewed_custom_ids,
    reviewed_since,
    sync_packaged_taxonomy,
)
from data.taxonomy.model import Taxonomy
from data.taxonomy.normalizer import SkillNormalizer
from data.taxonomy.occupations import OccupationNormalizer
from data.taxonomy.packaged import load_packaged_taxonomy
from data.taxonomy.text_vectors import Progress, TextVectorStore
from fairness.audit_log import AuditLog
from fairness.monitor import FairnessMonitor
from matching.encoder import SentenceEncoder
from matching.engine import CATCH_UP_LOOKBACK, MatchEngine
from matching.pipeline import facts_context
from matching.skill_vectors import SkillVectorCache
from serving.keys import audit_key, pseudonym_key, token_secret
from serving.settings import Settings
from training.live import LiveRankers
from training.registry import ModelRegistry

if TYPE_CHECKING:  # made lazily by the modules that use them, which import this one
    from serving.builds import Builds
    from serving.usecases.imports import ImportJobs

logger = logging.getLogger(__name__)

# Connections beyond one per admitted request: the model watcher, the fairness monitor and the
# freshness poller each take one now and then.
BACKGROUND_CONNECTIONS = 3
# What the start-up asks the normalisers once, to load the model (any words would do).
WARM_UP_QUERY = "data analysis"
# How long `close` waits for a background encoding to finish its chunk (it then saves); a
# chunk cut short is lost, and encoded again at the next start.
BACKGROUND_STOP_SECONDS = 5.0


@dataclass
class VectorProgress:
    """The background encoding of the normalisers' texts, as `/readyz` reports it."""

    state: str = "idle"  # idle | encoding | ready | failed
    # Per kind (skill_labels, occupation_titles): texts to encode, and encoded so far.
    missing: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    started: float | None = None
    seconds: float | None = None  # from start to full quality
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "state": self.state,
            "full_quality": self.state in ("idle", "ready"),
            "texts_to_encode": sum(self.missing.values()),
            "texts_encoded": sum(self.done.values()),
            "by_kind": {
                k: {"to_encode": n, "encoded": self.done.get(k, 0)} for k, n in self.missing.items()
            },
        }
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 1)
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    taxonomy: Taxonomy  # what everyone may be suggested: reviewed skills only
    encoder: SentenceEncoder
    # Every encoded text (taxonomy labels and titles, profile texts): one store per process.
    vectors: TextVectorStore
    normalizer: SkillNormalizer
    occupations: OccupationNormalizer
    matcher: MatchEngine
    rankers: LiveRankers
    audit: AuditLog
    monitor: FairnessMonitor
    pseudonym_key: bytes
    token_secret: bytes
    # Their own small pools: an audit append or a health check never waits for a request's.
    audit_engine: Engine
    health_engine: Engine

    def skill_resolver(
        self,
        *,
        created_by: str | None = None,
        max_new_names: int | None = None,
        restricted: bool = False,
    ) -> SkillResolver:
        # What this process's taxonomy upgrade changed is told once, by the first import.
        changes, self.taxonomy_changes = self.taxonomy_changes, []
        return SkillResolver(
            self.taxonomy,
            self.normalizer,
            created_by=created_by,
            max_new_names=max_new_names,
            restricted=restricted,
            occupations=self.occupations,
            taxonomy_changes=changes,
        )

    indexed: bool = True
    taxonomy_changes: list[str] = field(default_factory=list)
    # Made on a process's first background import.
    import_jobs: ImportJobs | None = None
    # HR's reports and aggregates, made on first use.
    builds: Builds | None = None
    # With texts to encode, `warm_up` serves at once and encodes them on a thread of its own
    # (the normalisers answer lexically meanwhile); False: it encodes them first (the CLI).
    background_vectors: bool = True
    vector_progress: VectorProgress = field(default_factory=VectorProgress)
    _encoding: threading.Thread | None = None
    _stop_encoding: threading.Event = field(default_factory=threading.Event)

    def warm_up(self, *, background: bool | None = None) -> None:
        """Have the taxonomy's skill labels and occupation titles encoded (or read from
        var/vectors), never inside a request.

        When every vector is stored, load them and the model now (seconds). When some are
        missing (a fresh clone: ~77k texts, minutes on two cores) and `background`, start a
        thread that encodes them and return at once: until it is done the skill suggestions
        and occupation lookups are lexical (exact, run-together, partial labels; title word
        evidence), imports wait for the vectors, and `/readyz` shows the progress.
        """
        self.normalizer.warm_up_lexical()
        self.matcher.read_model.make_facts(facts_context())
        background = self.background_vectors if background is None else background
        missing = {
            "skill_labels": self.normalizer.missing_vectors(),
            "occupation_titles": self.occupations.missing_vectors(),
        }
        if not background or not any(missing.values()):
            self.normalizer.warm_up()
            self.occupations.warm_up()
            # The normalisers hold copies of their rows now: the store's mapped pages of them
            # need not stay resident too (~115 MB at 100k people), nor count in the peak
            # while the model loads below.
            self.vectors.release_pages()
            # With the vectors read from var/vectors nothing above loads the model: the first
            # query would (7-10 s inside someone's first autocomplete). One query of each
            # kind loads it and builds whatever a query alone builds.
            self.normalizer.suggest(WARM_UP_QUERY, limit=1)
            self.occupations.normalize(WARM_UP_QUERY)
            return
        self.vector_progress = VectorProgress(
            "encoding", missing, dict.fromkeys(missing, 0), time.monotonic()
        )
        self.normalizer.lexical_until_ready = True
        self.occupations.lexical_until_ready = True
        self._encoding = threading.Thread(
            target=self._encode_in_background, name="vectors", daemon=True
        )
        self._encoding.start()
        logger.info(
            "serving now with lexical normalisers; encoding %d label and title texts in the "
            "background (progress in /readyz)",
            sum(missing.values()),
        )

    def _encode_in_background(self) -> None:
        progress = self.vector_progress

        def step(kind: str) -> Progress:
            def report(done: int, total: int) -> None:
                # At the end, all of the kind's count (some may have been encoded meanwhile
                # as another kind's texts, or by another worker).
                progress.done[kind] = progress.missing[kind] if done == total else done
                if done % 16384 == 0 or (done and done == total):
                    logger.info("encoded %d of %d %s", done, total, kind.replace("_", " "))

            return report

        try:
            self.normalizer.prepare(step("skill_labels"), stop=self._stop_encoding)
            self.occupations.prepare(step("occupation_titles"), stop=self._stop_encoding)
        except Exception as exc:  # the lexical answers go on; say why full quality never came
            logger.exception("background encoding failed")
            progress.state, progress.error = "failed", f"{type(exc).__name__}: {exc}"
            return
        if self._stop_encoding.is_set():
            return
        progress.seconds = time.monotonic() - (progress.started or time.monotonic())
        progress.state = "ready"
        self.vectors.release_pages()  # as `warm_up` does: the normalisers hold copies
        logger.info("full quality: every label and title encoded in %.0f s", progress.seconds)

    def wait_for_vectors(self, timeout: float | None = None) -> bool:
        """Block until a background encoding has finished (True) or `timeout` passed."""
        if self._encoding is not None:
            self._encoding.join(timeout)
            return not self._encoding.is_alive()
        return True

    def catch_up(self) -> int:
        """Take in what other processes wrote (imports on the command line, another server
        worker, HR's reviews there): changed rows, new events, newly reviewed skills."""
        since = dt.datetime.now(dt.UTC) - CATCH_UP_LOOKBACK
        with self.sessions() as session:
            applied = self.matcher.catch_up(session)
            for skill in reviewed_since(session, since, known=self.taxonomy.skills):
                self.normalizer.add_reviewed(skill)
                applied += 1
            # Custom skills merged, renamed or rejected elsewhere are no longer suggested here.
            published = reviewed_custom_ids(session)
            for skill in list(self.taxonomy.skills.values()):
                if skill.source == "custom" and skill.skill_id not in published:
                    self.normalizer.retire(skill.skill_id)
                    applied += 1
            aliases = {
                key: skill_id
                for key, skill_id in name_aliases(session).items()
                if skill_id in self.taxonomy.skills
            }
            if aliases != self.taxonomy.name_aliases():
                self.taxonomy.set_name_aliases(aliases)
                applied += 1
        return applied

    def close(self) -> None:
        """Finish running imports; persist caches and (if this process built it) the index
        snapshot."""
        if self.import_jobs is not None:
            self.import_jobs.shutdown()
        if self.builds is not None:
            self.builds.shutdown()
        if self._encoding is not None:
            self._stop_encoding.set()  # after its current chunk, which it saves
            self._encoding.join(BACKGROUND_STOP_SECONDS)
        self.matcher.cache.save()
        self.vectors.save()
        if self.indexed:
            self.matcher.save(snapshot_path(self.settings))
        self.audit.close()  # its sealing thread finishes before the engines go
        for engine in (self.engine, self.audit_engine, self.health_engine):
            engine.dispose()


def snapshot_path(settings: Settings) -> Path:
    return settings.var_dir / "index" / "snapshot.npz"


def prepare_database(
    settings: Settings, *, pool_size: int = 5
) -> tuple[Engine, sessionmaker[Session], list[str]]:
    """Migrate to the latest schema and make sure the skills taxonomy is loaded; the third
    item says what loading a newer taxonomy changed (custom skills merged into new entries)."""
    private_dir(settings.var_dir)  # the database and exports hold people's data
    url = settings.resolved_database_url
    engine = make_engine(url, pool_size=pool_size, max_overflow=BACKGROUND_CONNECTIONS)
    sessions = make_session_factory(engine)
    with one_at_a_time(url):
        upgrade_to_head(url)
        with transaction(sessions) as session:
            sync = sync_packaged_taxonomy(session, load_packaged_taxonomy())
    if sync is None:
        return engine, sessions, []
    changes = sync.lines()
    for line in changes:
        logger.info("taxonomy %s -> %s: %s", sync.previous, load_packaged_taxonomy().version, line)
    return engine, sessions, changes


def build_state(
    settings: Settings, *, index: bool = True, encoder: SentenceEncoder | None = None
) -> ServiceState:
    """Load everything a serving process needs; `encoder` lets tests share one loaded model."""
    # One connection per request admitted at once (serving/middleware.py admits that many).
    engine, sessions, taxonomy_changes = prepare_database(
        settings, pool_size=settings.max_concurrent_requests
    )
    with transaction(sessions) as session:
        interrupted = fail_interrupted_jobs(session)
    if interrupted:
        logger.warning("import jobs interrupted by a stop, now marked failed: %s", interrupted)
    url = settings.resolved_database_url
    audit_engine = make_engine(url, pool_size=1, max_overflow=1)
    health_engine = make_engine(url, pool_size=1, max_overflow=0, pool_timeout=2)
    vectors_dir = settings.var_dir / "vectors"
    encoder = encoder or SentenceEncoder(device=settings.encoder_device)
    # One store for the profile texts and both normalisers' (each text encoded once, ever):
    # the cache and the normalisers below open the same one (directory and model id).
    vectors = TextVectorStore.shared(vectors_dir, encoder.model_id)
    cache = SkillVectorCache(encoder, vectors_dir / "skill_vectors.npz")
    with sessions() as session:
        taxonomy = load_taxonomy(session, base=load_packaged_taxonomy())
    normalizer = SkillNormalizer(
        taxonomy, embed=encoder.encode, cache_path=vectors_dir, embed_key=encoder.model_id
    )
    occupations = OccupationNormalizer(
        load_packaged_taxonomy(),
        embed=encoder.encode,
        cache_path=vectors_dir,
        embed_key=encoder.model_id,
    )
    # "Today" in UTC, like every other time the service stores and compares.
    matcher = MatchEngine(
        cache,
        database=settings.resolved_database_url,
        today=lambda: dt.datetime.now(dt.UTC).date(),
    )
    if index:
        with sessions() as session:
            matcher.load(session, snapshot=snapshot_path(settings))
    audit = AuditLog(
        make_session_factory(audit_engine),
        audit_key(settings),
        settings.var_dir / "audit" / "head.json",
    )
    rankers = LiveRankers(ModelRegistry(settings.var_dir / "models", sessions))
    rankers.refresh()
    return ServiceState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        taxonomy=taxonomy,
        encoder=encoder,
        vectors=vectors,
        normalizer=normalizer,
        occupations=occupations,
        matcher=matcher,
        rankers=rankers,
        audit=audit,
        monitor=FairnessMonitor(
            audit,
            sessions,
            window=dt.timedelta(days=settings.monitor_window_days),
            min_cell=settings.min_cell_size,
        ),
        pseudonym_key=pseudonym_key(settings),
        token_secret=token_secret(settings),
        audit_engine=audit_engine,
        health_engine=health_engine,
        indexed=index,
        taxonomy_changes=taxonomy_changes,
    )
