"""The README's run command, for real: `python -m service` on a fresh data directory."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_environment(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "APP_ENV"}
    }
    return {**env, **extra}


class Service:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service"],
            cwd=ROOT,
            env=clean_environment(DATA_DIR=str(data_dir), PORT=str(self.port)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        deadline = time.monotonic() + 60
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise AssertionError("service exited:\n" + "".join(self.output))
            self.output.append(line)
            if "Application startup complete" in line:
                return
        raise AssertionError("service did not start:\n" + "".join(self.output))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> bool:
        """SIGTERM; True when the service shut down gracefully and promptly."""
        self.process.send_signal(signal.SIGTERM)
        try:
            rest, _ = self.process.communicate(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.output.append(rest)
        # uvicorn shuts down, then re-raises the signal: the exit status is -SIGTERM.
        return self.process.returncode in (0, -signal.SIGTERM) and "Finished server process" in rest


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
    service = Service(data_dir)
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
    restarted = Service(data_dir)
    try:
        with httpx.Client(base_url=restarted.url) as client:
            sign_in_demo(client)  # same secret, same demo account, no duplicate
            assert "survives restarts" in client.get("/msgs").text
    finally:
        assert restarted.stop()


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
