"""The code passes `ruff check` with the rules pyproject.toml selects (syntax errors and pyflakes:
undefined names, unused imports and variables): a name typed wrong in a branch the tests do not
reach is caught here, not by a user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "srcgrad", "tests", "scripts",
                             "benchmarks", "examples"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
