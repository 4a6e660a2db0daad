"""Typed, validated, read-only settings loaded from config.toml and the environment."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

ENV_PREFIX = "PANEL_"
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config.toml"
INSECURE_SECRET_KEYS = {"dev-only-insecure-secret-key", "", "changeme", "secret"}
INSECURE_PSEUDONYM_KEYS = {"dev-only-pseudonym-key", ""}


class ConfigError(Exception):
    """The configuration contains a bad key or value; the message names it and the reason."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AppSettings(_Section):
    env: Literal["development", "testing", "production"] = "development"
    secret_key: str = "dev-only-insecure-secret-key"
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    timezone: str = "Asia/Shanghai"


class DatabaseSettings(_Section):
    url: str = "sqlite:///panel.db"

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("expected a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the only PostgreSQL driver installed.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value


class DrawSettings(_Section):
    former_employer_lookback_years: int = Field(default=3, ge=0, le=50)
    default_method: Literal["first_feasible", "maximin", "leximin"] = "maximin"
    solver_time_limit_seconds: float = Field(default=20.0, gt=0, le=3600)
    solver_workers: int = Field(default=1, ge=1, le=64)


class PseudonymSettings(_Section):
    key: str = "dev-only-pseudonym-key"


class Settings(_Section):
    app: AppSettings = AppSettings()
    database: DatabaseSettings = DatabaseSettings()
    draw: DrawSettings = DrawSettings()
    pseudonym: PseudonymSettings = PseudonymSettings()

    @property
    def is_production(self) -> bool:
        return self.app.env == "production"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None


def _apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Override file values with PANEL_<SECTION>_<KEY> variables."""
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name.removeprefix(ENV_PREFIX).lower()
        section, _, key = rest.partition("_")
        if section not in Settings.model_fields or not key:
            continue
        data.setdefault(section, {})[key] = value


def _check_unknown_keys(data: Mapping[str, Any]) -> None:
    for section, values in data.items():
        if section not in Settings.model_fields:
            raise ConfigError(f"unknown configuration section [{section}]")
        known = Settings.model_fields[section].annotation.model_fields  # type: ignore[union-attr]
        for key in values:
            if key not in known:
                raise ConfigError(f"unknown configuration key {section}.{key}; expected one of {sorted(known)}")


def _describe(error: ValidationError, data: Mapping[str, Any]) -> str:
    problems = []
    for item in error.errors():
        dotted = ".".join(str(part) for part in item["loc"])
        section, _, key = dotted.partition(".")
        value = data.get(section, {}).get(key, "<missing>") if key else "<section>"
        problems.append(f"{dotted} = {value!r}: {item['msg']}")
    return "invalid configuration: " + "; ".join(problems)


def _reject_insecure(settings: Settings) -> None:
    if not settings.is_production:
        return
    if settings.app.secret_key in INSECURE_SECRET_KEYS or len(settings.app.secret_key) < 32:
        raise ConfigError(
            "app.secret_key is the development default or shorter than 32 characters; "
            "production requires PANEL_APP_SECRET_KEY set to a long random value"
        )
    if settings.pseudonym.key in INSECURE_PSEUDONYM_KEYS or len(settings.pseudonym.key) < 32:
        raise ConfigError(
            "pseudonym.key is the development default or shorter than 32 characters; "
            "production requires PANEL_PSEUDONYM_KEY set to a long random value"
        )


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Load config.toml, apply environment variables, then `overrides`, and validate."""
    data = _read_file(path or Path(os.environ.get("PANEL_CONFIG", DEFAULT_CONFIG_PATH)))
    _apply_environment(data, os.environ if environ is None else environ)
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)

    _check_unknown_keys(data)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data)) from None

    _reject_insecure(settings)
    return settings
