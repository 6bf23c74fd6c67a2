"""docs/numpy-coverage.md is generated from the rule table by scripts/gen_numpy_coverage.py;
this fails when the committed table is stale (regenerate it, never edit it by hand)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from test_registry import COVERAGE


def test_committed_coverage_table_is_up_to_date() -> None:
    committed = COVERAGE.TABLE.read_text()
    if f"Generated with {COVERAGE.versions()}." not in committed:
        pytest.skip(f"the table was generated with other versions than {COVERAGE.versions()}")
    assert COVERAGE.render() == committed, "docs/numpy-coverage.md is stale: run python scripts/gen_numpy_coverage.py"


def test_the_script_run_alone_agrees() -> None:
    """`--check` in a fresh interpreter: no rule registered by another test can leak in."""
    committed = COVERAGE.TABLE.read_text()
    if f"Generated with {COVERAGE.versions()}." not in committed:
        pytest.skip("other versions")
    script = Path(COVERAGE.__file__)
    run = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
