"""All configuration, from `TALENT_*` environment variables, validated at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TALENT_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means the SQLite file var/talent.db"
    )
    admin_token: SecretStr | None = Field(
        default=None, description="Bootstrap admin bearer token accepted by a fresh instance"
    )
    pseudonym_secret: SecretStr | None = Field(
        default=None,
        description="Key for candidate handles shown to leads; generated in var/ when unset",
    )
    encoder_device: Literal["cpu", "cuda"] = "cpu"
    model_poll_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often the server checks for a newly promoted model (0: never)",
    )
    monitor_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often the fairness monitor recomputes its window (0: never)",
    )
    monitor_window_days: float = Field(
        default=7.0, gt=0, description="Sliding window of the fairness monitor, in days"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'talent.db').as_posix()}"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment == "production" and self.admin_token is not None:
            token = self.admin_token.get_secret_value()
            if len(token) < 16 or token.startswith("demo-"):
                raise ValueError(
                    "TALENT_ADMIN_TOKEN must be a random secret of at least 16 characters in "
                    "production (demo tokens are refused)"
                )
        return self
