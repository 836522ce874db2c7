"""Run the Juju charm's own test suite (charm/tests) as part of the project's tests.

The charm's tests import `charm`, `literals` and `charms.redis_k8s...` from charm/src and
charm/lib and have their own `tests` package, so they run in a separate pytest process
rooted at charm/ (charm/pyproject.toml sets the import path).
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ops")
pytest.importorskip("scenario", reason="ops[testing] (ops-scenario) is not installed")

CHARM_DIR = Path(__file__).resolve().parents[2] / "charm"


def test_charm_unit_tests_pass():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=CHARM_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert " passed" in output and " skipped" not in output, output
