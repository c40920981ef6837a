"""The README's run command, for real: `python -m service` on a fresh data directory."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.live_server import LiveServer, clean_environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def sign_in_demo(client: httpx.Client) -> None:
    response = client.post(
        "/api/login",
        data={"username": "user@example.com", "password": "12341234", "user_timezone": "UTC"},
        headers={"HX-Request": "true"},
    )
    assert response.headers.get("HX-Redirect") == "/msgs", response.text


def test_run_command_starts_embedded_postgres_and_keeps_data(data_dir: Path) -> None:
    service = LiveServer(data_dir)
    try:
        printed = "".join(service.output)
        assert f"Serving on http://127.0.0.1:{service.port}" in printed
        assert "Demo sign-in: user@example.com / 12341234" in printed
        with httpx.Client(base_url=service.url) as client:
            assert client.get("/readyz").status_code == 200
            sign_in_demo(client)
            posted = client.post("/api/message", data={"message": "survives restarts"})
            assert posted.status_code == 303
    finally:
        assert service.stop()

    assert (data_dir / "secret_key").exists()
    # The embedded server stopped with the service instead of lingering.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    restarted = LiveServer(data_dir)
    try:
        with httpx.Client(base_url=restarted.url) as client:
            sign_in_demo(client)  # same secret, same demo account, no duplicate
            assert "survives restarts" in client.get("/msgs").text
    finally:
        assert restarted.stop()
    assert not (data_dir / "postgres" / "postmaster.pid").exists()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        (
            {"APP_ENV": "production", "SECRET_KEY": "x" * 8 + "kJ8s-2mQ9xZ4vB7nL1pR6tY3wE5uI"},
            "DATABASE_URL",
        ),
        ({"APP_ENV": "production", "DATABASE_URL": "postgresql://127.0.0.1/x"}, "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_its_settings(
    env: dict, variable: str, data_dir: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service"],
        cwd=ROOT,
        env=clean_environment(DATA_DIR=str(data_dir), **env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert variable in done.stderr
    assert "Traceback" not in done.stderr
