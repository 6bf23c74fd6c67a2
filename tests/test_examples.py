"""The examples run as scripts and print the tutorials' numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_linreg_prints_the_adjoint_and_tensorflows_gradient():
    out = run("linreg.py")
    assert "def cost_grad(W, b, X, Y, grad_ys=None):" in out
    assert "# grad of: pred = X * W + b" in out
    assert "gradients  [np.float32(12.376228), np.float32(4.4175096)]" in out


def test_seed_examples_print_the_seeds_numbers():
    out = run("seed_examples.py")
    for line in [
        "sum over ys with grad_ys:  [[2.0, 2.0, 3.0], [2.0, 2.0, 3.0], [5.0, 4.0, 7.0], [3.0, 2.0, 4.0]]",
        "no stop:                   [np.float32(3.0), np.float32(1.0)]",
        "stop_gradients=[a, b]:     [np.float32(1.0), np.float32(1.0)]",
        "stop_gradient(a), (2a):    [np.float32(1.0), np.float32(1.0)]",
        "d/da a**2 at 3.0: 1st 6.0, 2nd 2.0, 3rd 0.0",
        "d/da a**2 at 2.0: 1st 4.0, 2nd 2.0, 3rd 0.0",
        "matmul:                    [[9.0, 10.0]]",
        "fully stopped inputs:      [None, None, [1.0, 2.0]]",
    ]:
        assert line in out, line


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.py")
                                           if p.name not in ("linreg.py", "seed_examples.py", "digits_mlp.py")))
def test_every_other_example_runs(script):
    run(script)
