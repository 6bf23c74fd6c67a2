"""`srcgrad show` and `python -m srcgrad show` (SPEC.md section 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import srcgrad

ROOT = Path(__file__).resolve().parents[1]
LINREG = str(ROOT / "examples" / "linreg.py")


def srcgrad_cli(*args: str, module: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SRCGRAD_CACHE="0")
    command = [sys.executable, "-m", "srcgrad", *args] if module else [sys.executable, "-c",
                                                                        "import sys; from srcgrad.cli import main; sys.exit(main())", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_show_prints_the_adjoint_plain_when_piped():
    done = srcgrad_cli("show", f"{LINREG}:cost")
    assert done.returncode == 0, done.stderr
    assert "def cost_grad(W, b, X, Y, grad_ys=None):" in done.stdout
    assert "return W_bar" in done.stdout and "b_bar" in done.stdout  # the decorator's wrt=("W", "b")
    assert "\x1b[" not in done.stdout


def test_show_options():
    done = srcgrad_cli("show", f"{LINREG}:cost", "--wrt", "X", "--no-optimize")
    assert done.returncode == 0, done.stderr
    assert "return X_bar" in done.stdout
    assert srcgrad_cli("show", f"{LINREG}:cost", "--stop-gradients", "pred", "--unconnected-gradients",
                       "zero").returncode == 0


def test_show_ir():
    done = srcgrad_cli("show", f"{LINREG}:cost", "--ir")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("func cost_grad(%W, %b, %X, %Y, %grad_ys):")
    lowered = srcgrad_cli("show", f"{LINREG}:cost", "--ir", "--stop-after", "lower")
    assert lowered.stdout.startswith("func cost(%W, %b, %X, %Y):")
    assert "%pred = add(%prod, %b)" in lowered.stdout


def test_module_path_form_and_console_entry():
    done = srcgrad_cli("show", "examples.linreg:cost", module=False)
    assert done.returncode == 0, done.stderr
    assert "def cost_grad" in done.stdout


def test_srcgrad_error_exits_1_with_location(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n\n\ndef f(x):\n    return np.sum({v: v for v in x})\n")
    done = srcgrad_cli("show", f"{bad}:f")
    assert done.returncode == 1
    assert f"{bad}:5:19: error: a dict comprehension is not supported" in done.stderr


def test_usage_errors_exit_2():
    assert srcgrad_cli("show", "no_colon_here").returncode == 2
    assert srcgrad_cli("show", "examples/missing.py:f").returncode == 2
    assert srcgrad_cli("show", f"{LINREG}:nothing").returncode == 2
    assert srcgrad_cli("frobnicate").returncode == 2


def test_version():
    done = srcgrad_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"srcgrad {srcgrad.__version__}"
