"""ops/systemd/: the units verify, are hardened to an exposure of 2.0 or lower, and the app
unit's ExecStart= really serves and stops gracefully.

The units name the production paths (/opt/messages/current); the test renders them with
this checkout and its virtual environment, which systemd-analyze verify wants to exist.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from service.settings import ENVIRONMENT
from tests.conftest import TEST_SECRET
from tests.live_server import clean_environment, free_port
from tests.ops_support import OPS, ROOT, system_tool

UNITS = OPS / "systemd"
APP_UNIT = "messages@.service"
MIGRATE_UNIT = "messages-migrate.service"
MAX_EXPOSURE = 2.0


def systemd_analyze() -> str:
    return system_tool("systemd-analyze", "apt-get install systemd")


def render_units(directory: Path) -> Path:
    """The units with this checkout for /opt/messages/current; returns the directory."""
    venv = Path(sys.prefix)
    for name in (APP_UNIT, MIGRATE_UNIT):
        text = (UNITS / name).read_text()
        assert "/opt/messages/current/.venv/" in text or name == MIGRATE_UNIT
        text = text.replace("/opt/messages/current/.venv/", f"{venv}/")
        text = text.replace("/opt/messages/current", str(ROOT))
        (directory / name).write_text(text)
    return directory


def unit_settings(path: Path) -> list[tuple[str, str]]:
    """(key, value) for every assignment, backslash continuations joined, in order."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    settings = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.append((key, value))
    return settings


def test_units_verify(tmp_path: Path) -> None:
    units = render_units(tmp_path)
    result = subprocess.run(
        [
            systemd_analyze(),
            "verify",
            "--man=no",
            str(units / "messages@8001.service"),
            str(units / MIGRATE_UNIT),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify exits 0 on an unknown or misspelt setting, but says so: nothing may be said.
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == "", result.stderr


def exposure(unit: Path) -> float:
    result = subprocess.run(
        [systemd_analyze(), "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


def test_units_are_hardened(tmp_path: Path) -> None:
    units = render_units(tmp_path)
    assert exposure(units / "messages@8001.service") <= MAX_EXPOSURE
    assert exposure(units / MIGRATE_UNIT) <= MAX_EXPOSURE
    settings = dict(unit_settings(UNITS / APP_UNIT))
    assert settings["User"] == "messages"
    assert settings["ProtectSystem"] == "strict"
    assert settings["NoNewPrivileges"] == "yes"
    assert settings["CapabilityBoundingSet"] == ""
    assert settings["Restart"] == "on-failure"
    assert settings["EnvironmentFile"] == "/etc/messages/messages.env"
    assert ("SystemCallFilter", "@system-service") in unit_settings(UNITS / APP_UNIT)
    assert "messages-migrate.service" in settings["Requires"]
    assert "messages-migrate.service" in settings["After"]
    migrate = dict(unit_settings(UNITS / MIGRATE_UNIT))
    assert migrate["Type"] == "oneshot"
    assert migrate["ExecStart"] == "/opt/messages/current/ops/migrate.sh"


def test_the_app_units_command_serves_and_stops_gracefully(
    database_url: str, tmp_path: Path
) -> None:
    """ExecStart= as systemd would run it (instance 8001 on a free port, the example env
    file's settings), then the stop systemd sends (SIGTERM) within TimeoutStopSec."""
    settings = unit_settings(render_units(tmp_path) / APP_UNIT)
    values = dict(settings)
    defaults = dict(item.split("=", 1) for item in values["Environment"].split())
    env_file = dict(
        line.split("=", 1)
        for line in (UNITS / "messages.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env_file["APP_ENV"] == "production"
    # Every setting is one the app reads (README's table), or uvicorn's worker count.
    assert set(env_file) <= {*ENVIRONMENT, "WEB_CONCURRENCY"}, set(env_file) - set(ENVIRONMENT)
    port = free_port()
    environment = {**defaults, **env_file, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}
    command = values["ExecStart"].replace("%i", str(port))
    for name, value in environment.items():
        command = command.replace("${" + name + "}", value)
    assert "$" not in command and "%" not in command, command
    stop_timeout = float(values["TimeoutStopSec"].removesuffix("s"))

    process = subprocess.Popen(
        command.split(),
        cwd=values["WorkingDirectory"],
        env=clean_environment(**environment),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        ready = None
        with httpx.Client(trust_env=False, timeout=5) as client:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    ready = client.get(f"{url}/readyz")
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                if ready.status_code == 200:
                    break
                time.sleep(0.1)
            assert ready is not None and ready.status_code == 200, ready
            health = client.get(f"{url}/healthz")
            assert health.status_code == 200
            assert "server" not in health.headers  # --no-server-header
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=stop_timeout)
        assert time.monotonic() - started < stop_timeout
        assert "Finished server process" in output
        workers = int(environment["WEB_CONCURRENCY"])
        assert output.count("Started server process") == workers, output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
