"""Helpers for the ops tests: find the real tools they drive, or fail saying how to get them.

A missing tool fails the test (it never skips): .ci/run installs every one of them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPS = ROOT / "ops"


def system_tool(name: str, install: str, *extra_dirs: str) -> str:
    """The path of a machine tool (PATH, then extra_dirs); fails the test when it is absent."""
    found = shutil.which(name)
    for directory in extra_dirs:
        if found is None and (Path(directory) / name).is_file():
            found = str(Path(directory) / name)
    if found is None:
        pytest.fail(f"{name} is not installed: {install} (.ci/run does this)", pytrace=False)
    return found


def venv_tool(name: str) -> str:
    """A tool that a dev dependency installs beside this Python (uv sync installs it)."""
    path = Path(sys.executable).parent / name
    if not path.is_file():
        found = shutil.which(name)
        if found is None:
            pytest.fail(
                f"{name} is not installed: it comes with the dev dependencies (uv sync)",
                pytrace=False,
            )
        return found
    return str(path)
