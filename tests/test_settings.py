"""Configuration loading: environment overrides, validation messages, production guards."""

from __future__ import annotations

import pytest

from panel_service.settings import ConfigError, load_settings

STRONG_SECRET = "s" * 40


def test_defaults_load():
    settings = load_settings(environ={})
    assert settings.app.default_locale == "zh_CN"
    assert settings.database.url.startswith("sqlite:///")
    assert settings.draw.former_employer_lookback_years == 3


def test_environment_overrides_file():
    settings = load_settings(environ={"PANEL_DATABASE_URL": "postgresql://u@127.0.0.1/db", "PANEL_DRAW_SOLVER_WORKERS": "2"})
    assert settings.database.url == "postgresql+psycopg://u@127.0.0.1/db"
    assert settings.draw.solver_workers == 2


def test_bad_value_named_in_error():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PANEL_DRAW_FORMER_EMPLOYER_LOOKBACK_YEARS": "three"})
    assert "draw.former_employer_lookback_years" in str(error.value)
    assert "'three'" in str(error.value)


def test_unknown_key_rejected():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={}, overrides={"draw": {"lookback": 3}})
    assert "draw.lookback" in str(error.value)


def test_unsupported_database_rejected():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PANEL_DATABASE_URL": "mysql://root@127.0.0.1/db"})
    assert "database.url" in str(error.value)


def test_production_refuses_default_secret():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PANEL_APP_ENV": "production", "PANEL_PSEUDONYM_KEY": STRONG_SECRET})
    assert "secret_key" in str(error.value)


def test_production_refuses_default_pseudonym_key():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PANEL_APP_ENV": "production", "PANEL_APP_SECRET_KEY": STRONG_SECRET})
    assert "pseudonym.key" in str(error.value)


def test_production_accepts_strong_keys():
    settings = load_settings(
        environ={"PANEL_APP_ENV": "production", "PANEL_APP_SECRET_KEY": STRONG_SECRET, "PANEL_PSEUDONYM_KEY": STRONG_SECRET}
    )
    assert settings.is_production


def test_missing_file_named(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as error:
        load_settings(path=missing, environ={})
    assert str(missing) in str(error.value)


def test_production_refuses_short_pseudonym_key():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PANEL_APP_ENV": "production", "PANEL_APP_SECRET_KEY": STRONG_SECRET, "PANEL_PSEUDONYM_KEY": "x"})
    assert "pseudonym.key" in str(error.value)
