"""docs/commands.md is generated from the registry: it must match what is registered."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_commands_doc_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_commands_doc.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
