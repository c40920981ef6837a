"""A real `python -m service` process on a free port, for browser and end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_environment(**extra: str) -> dict[str, str]:
    """The test's environment without the service's own variables, plus extra."""
    ours = {"DATABASE_URL", "SECRET_KEY", "APP_ENV", "PORT", "DATA_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    return {**env, **extra}


class LiveServer:
    """Starts the service and waits until it is serving; stop() sends SIGTERM."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service"],
            cwd=ROOT,
            env=clean_environment(DATA_DIR=str(data_dir), PORT=str(self.port), **env),
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
        self.process.kill()
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
        graceful = self.process.returncode in (0, -signal.SIGTERM)
        return graceful and "Finished server process" in rest
