"""A real `python -m service` process on a free port, for browser and end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTED = "Application startup complete"


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
    """Starts the service and waits until it is serving; stop() sends SIGTERM.

    Its output is read all along by a thread (a full pipe would stall the server) and
    kept in `output`.
    """

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
        self._started = threading.Event()
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        if not self._started.wait(60) or self.process.poll() is not None:
            self.process.kill()
            self._reader.join(5)
            raise AssertionError("service did not start:\n" + "".join(self.output))

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if STARTED in line:
                self._started.set()
        self._started.set()  # the process ended: stop waiting

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> bool:
        """SIGTERM; True when the service shut down gracefully and promptly."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        # uvicorn shuts down, then re-raises the signal: the exit status is -SIGTERM.
        graceful = self.process.returncode in (0, -signal.SIGTERM)
        return graceful and any("Finished server process" in line for line in self.output)
