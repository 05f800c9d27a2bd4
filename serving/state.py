"""Everything heavy a process loads once (in the app's lifespan) and shares between requests."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.importing import SkillResolver
from data.storage.engine import make_engine, make_session_factory, transaction
from data.storage.migrate import upgrade_to_head
from data.storage.skills import count_skills, load_taxonomy, upsert_skills
from data.taxonomy.model import Taxonomy
from data.taxonomy.normalizer import SkillNormalizer
from data.taxonomy.packaged import load_packaged_taxonomy
from fairness.audit_log import AuditLog
from fairness.monitor import FairnessMonitor
from matching.encoder import SentenceEncoder
from matching.engine import MatchEngine
from matching.skill_vectors import SkillVectorCache
from serving.settings import Settings
from training.live import LiveRankers
from training.registry import ModelRegistry


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    taxonomy: Taxonomy
    encoder: SentenceEncoder
    normalizer: SkillNormalizer
    matcher: MatchEngine
    rankers: LiveRankers
    audit: AuditLog
    monitor: FairnessMonitor
    pseudonym_key: bytes

    def skill_resolver(self) -> SkillResolver:
        return SkillResolver(self.taxonomy, self.normalizer)

    indexed: bool = True

    def close(self) -> None:
        """Persist caches and (if this process built it) the index snapshot."""
        self.matcher.cache.save()
        if self.indexed:
            self.matcher.save(snapshot_path(self.settings))
        self.engine.dispose()


def snapshot_path(settings: Settings) -> Path:
    return settings.var_dir / "index" / "snapshot.npz"


def prepare_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Migrate to the latest schema and make sure the skills taxonomy is loaded."""
    url = settings.resolved_database_url
    upgrade_to_head(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        if count_skills(session) == 0:
            upsert_skills(session, load_packaged_taxonomy().skills.values())
    return engine, sessions


def build_state(
    settings: Settings, *, index: bool = True, encoder: SentenceEncoder | None = None
) -> ServiceState:
    """Load everything a serving process needs; `encoder` lets tests share one loaded model."""
    engine, sessions = prepare_database(settings)
    vectors_dir = settings.var_dir / "vectors"
    encoder = encoder or SentenceEncoder(device=settings.encoder_device)
    cache = SkillVectorCache(encoder, vectors_dir / "skill_vectors.npz")
    with sessions() as session:
        taxonomy = load_taxonomy(session)
    normalizer = SkillNormalizer(
        taxonomy, embed=encoder.encode, cache_path=vectors_dir, embed_key=encoder.model_id
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
    audit = AuditLog(sessions, settings.var_dir / "audit" / "head.json")
    rankers = LiveRankers(ModelRegistry(settings.var_dir / "models", sessions))
    rankers.refresh()
    return ServiceState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        taxonomy=taxonomy,
        encoder=encoder,
        normalizer=normalizer,
        matcher=matcher,
        rankers=rankers,
        audit=audit,
        monitor=FairnessMonitor(
            audit, sessions, window=dt.timedelta(days=settings.monitor_window_days)
        ),
        pseudonym_key=_pseudonym_key(settings),
        indexed=index,
    )


def _pseudonym_key(settings: Settings) -> bytes:
    if settings.pseudonym_secret is not None:
        return settings.pseudonym_secret.get_secret_value().encode()
    path: Path = settings.var_dir / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()
