"""Settings from the environment: production refuses weak configuration, naming the variable."""

import re
from pathlib import Path

import pytest

from service.settings import ENVIRONMENT, SettingsError, load_settings

STRONG = "kJ8s-2mQ9xZ4vB7nL1pR6tY3wE5uI0oA_strong"
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"APP_ENV": "production", "SECRET_KEY": STRONG}, "DATABASE_URL"),
        ({"APP_ENV": "production", "DATABASE_URL": "postgresql://db/app"}, "SECRET_KEY"),
        (
            {"APP_ENV": "production", "DATABASE_URL": "x", "SECRET_KEY": "short-secret"},
            "SECRET_KEY",
        ),
        ({"APP_ENV": "production", "DATABASE_URL": "x", "SECRET_KEY": "changeme"}, "SECRET_KEY"),
        ({"APP_ENV": "production", "DATABASE_URL": "x", "SECRET_KEY": "a" * 64}, "SECRET_KEY"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"HTTPS": "maybe"}, "HTTPS"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"DB_POOL_MIN": "5", "DB_POOL_MAX": "2"}, "DB_POOL_MAX"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
    ],
)
def test_bad_configuration_names_the_variable(env: dict, variable: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({"DATA_DIR": str(tmp_path), **env})


def test_production_with_strong_settings() -> None:
    settings = load_settings(
        {"APP_ENV": "production", "DATABASE_URL": "postgresql://db/app", "SECRET_KEY": STRONG}
    )
    assert settings.production
    assert settings.https  # production assumes TLS in front unless told otherwise
    assert settings.cookie_name == "__Host-session"


def test_development_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    first = load_settings({"DATA_DIR": str(tmp_path)})
    second = load_settings({"DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first.database_url is None
    assert not first.https


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ENVIRONMENT:
        assert f"`{name}`" in readme, f"README does not document {name}"


def test_every_variable_read_is_listed() -> None:
    source = (ROOT / "service" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.get)?\(\s*"([A-Z_]+)"', source))
    read |= set(re.findall(r'_(?:int|bool)\(env, "([A-Z_]+)"', source))
    assert read == set(ENVIRONMENT)
