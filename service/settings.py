"""Settings: read from the environment once, validated, passed into create_app()."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MIN_SECRET_BYTES = 32
# Values people paste from tutorials; production refuses them whatever their length.
WEAK_SECRETS = frozenset(
    {"secret", "changeme", "change-me", "dev", "development", "password", "your-secret-key"}
)

# Every variable the service reads, with its meaning; the README documents each one.
ENVIRONMENT = {
    "APP_ENV": "`development` (default) or `production` (strict: secrets and database required)",
    "DATABASE_URL": "PostgreSQL URL; unset in development starts the embedded server",
    "SECRET_KEY": "JWT signing key, at least 32 bytes; generated into DATA_DIR in development",
    "DATA_DIR": "where development keeps the embedded database and its secret (default `.data`)",
    "HOST": "address to bind (default `127.0.0.1`)",
    "PORT": "port to bind (default `8000`)",
    "HTTPS": "`true` when users reach the site over HTTPS: Secure cookies and HSTS "
    "(default: true in production, false in development)",
    "SESSION_MINUTES": "idle time after which a session ends; its token is renewed while "
    "in use (default `30`)",
    "SESSION_MAX_DAYS": "absolute lifetime of a session, however active (default `7`)",
    "SIGNUP_ENABLED": "`true` (default) lets anyone create an account at /signup",
    "DB_POOL_MIN": "connections the pool keeps open (default `2`)",
    "DB_POOL_MAX": "most connections the pool opens (default `10`)",
    "HASH_CONCURRENCY": "password hashes computed at once, off the event loop (default `2`)",
    "MAX_STREAMS": "live-update streams one process holds; past it /events answers 503 "
    "(default `1000`)",
    "HEARTBEAT_SECONDS": "seconds between keep-alive comments on idle streams (default `15`)",
    "FORWARDED_ALLOW_IPS": "proxies whose X-Forwarded-* headers uvicorn trusts "
    "(default `127.0.0.1`)",
    "LOG_LEVEL": "`debug`, `info` (default), `warning` or `error`",
}


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str | None = None
    secret_key: str = field(default="", repr=False)
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = 8000
    https: bool = False
    session_minutes: int = 30
    session_max_days: int = 7
    signup_enabled: bool = True
    db_pool_min: int = 2
    db_pool_max: int = 10
    hash_concurrency: int = 2
    max_streams: int = 1000
    heartbeat_seconds: float = 15.0
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "info"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def cookie_name(self) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only, Path=/.
        return "__Host-session" if self.https else "session"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def check_secret(secret: str) -> None:
    """Raise SettingsError when SECRET_KEY is too short or a well-known value."""
    if not secret:
        raise SettingsError("SECRET_KEY is not set: set it to at least 32 random bytes")
    if secret.lower() in WEAK_SECRETS or len(set(secret)) < 8:
        raise SettingsError("SECRET_KEY is a well-known or repetitive value: use random bytes")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"SECRET_KEY is too short: use at least {MIN_SECRET_BYTES} bytes")


def development_secret(data_dir: Path) -> str:
    """The secret kept in the data directory, generated on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Validate the environment into Settings; raise SettingsError naming the bad variable."""
    env = os.environ if env is None else env
    app_env = env.get("APP_ENV", "development").strip().lower() or "development"
    if app_env not in {"development", "production"}:
        raise SettingsError(f"APP_ENV must be development or production, got {app_env!r}")
    production = app_env == "production"
    data_dir = Path(env.get("DATA_DIR") or ".data")
    database_url = env.get("DATABASE_URL") or None
    secret = env.get("SECRET_KEY", "")
    if production:
        if not database_url:
            raise SettingsError("DATABASE_URL is not set: production needs a PostgreSQL URL")
        check_secret(secret)
    elif secret:
        check_secret(secret)
    else:
        secret = development_secret(data_dir)
    log_level = env.get("LOG_LEVEL", "info").strip().lower()
    if log_level not in {"debug", "info", "warning", "error"}:
        raise SettingsError(f"LOG_LEVEL must be debug, info, warning or error, got {log_level!r}")
    pool_min = _int(env, "DB_POOL_MIN", 2, 0, 100)
    pool_max = _int(env, "DB_POOL_MAX", 10, 1, 100)
    if pool_max < max(pool_min, 1):
        raise SettingsError("DB_POOL_MAX must be at least DB_POOL_MIN")
    return Settings(
        env=app_env,
        database_url=database_url,
        secret_key=secret,
        data_dir=data_dir,
        host=env.get("HOST") or "127.0.0.1",
        port=_int(env, "PORT", 8000, 1, 65535),
        https=_bool(env, "HTTPS", production),
        session_minutes=_int(env, "SESSION_MINUTES", 30, 10, 24 * 60),
        session_max_days=_int(env, "SESSION_MAX_DAYS", 7, 1, 90),
        signup_enabled=_bool(env, "SIGNUP_ENABLED", True),
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        hash_concurrency=_int(env, "HASH_CONCURRENCY", 2, 1, 64),
        max_streams=_int(env, "MAX_STREAMS", 1000, 0, 100_000),
        heartbeat_seconds=_int(env, "HEARTBEAT_SECONDS", 15, 1, 300),
        forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS") or "127.0.0.1",
        log_level=log_level,
    )
