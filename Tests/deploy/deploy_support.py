"""Checks of what ships for deployment: the Kubernetes manifests, the systemd unit, the dist
tarball and the OCI image. They run the built `ballast` (BALLAST_BIN) and tools that
`make deps` and `make venv` install (kubectl, promtool, systemd-analyze, yamllint,
kubernetes-validate)."""
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Absolute: systemd-analyze and the tests that change directory need one.
BALLAST_BIN = str(Path(os.environ.get("BALLAST_BIN", ROOT / ".build" / "debug" / "ballast")).resolve())
# The lab (`simulate`), a second executable the dist tarball does not ship.
BALLAST_LAB_BIN = str(Path(os.environ.get("BALLAST_LAB_BIN", ROOT / ".build" / "debug" / "ballast-lab")).resolve())


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"{name} is not installed: `make deps` and `make venv` install every tool these tests use")
    return path
