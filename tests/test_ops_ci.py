"""The CI workflow is valid for GitHub (the schema check-jsonschema ships, offline) and does
what it promises; .ci/run installs every tool the ops tests drive."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.ops_support import ROOT, venv_tool

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_workflow_is_schema_valid(tmp_path: Path) -> None:
    result = check_workflow(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    # And the check does reject a broken workflow.
    (tmp_path / "broken.yml").write_text(WORKFLOW.read_text().replace("runs-on:", "runs_on:", 1))
    assert check_workflow(tmp_path / "broken.yml").returncode != 0


def steps(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_the_workflow_lints_tests_builds_both_architectures_and_scans() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"lint", "test", "image", "scan"}
    assert "ruff check" in steps(jobs["lint"]) and "ruff format --check" in steps(jobs["lint"])

    test = steps(jobs["test"])
    install = test.index("apt-get install")
    for package in ("chromium", "nginx", "systemd"):
        assert package in test[install:]
    assert "kubectl" in test
    assert test.index("uv run --frozen pytest") > install

    image = next(s for s in jobs["image"]["steps"] if "build-push-action" in s.get("uses", ""))
    assert image["with"]["file"] == "Containerfile"
    assert set(image["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert "setup-buildx-action" in steps(jobs["image"])
    assert "setup-qemu-action" in steps(jobs["image"])
    assert "trivy-action" in steps(jobs["scan"])


def test_ci_run_installs_the_tools_the_ops_tests_need() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    for tool in ("nginx", "systemd", "kubectl", "openssl"):
        assert tool in script, tool
    assert script.rstrip().endswith("uv run pytest")
