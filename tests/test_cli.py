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


def test_a_target_whose_module_fails_to_import_is_one_paragraph_exit_1(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy as np\n\ndef f(x):\n    return x +\n")
    done = srcgrad_cli("show", f"{broken}:f")
    assert done.returncode == 1 and "syntax error" in done.stderr and "Traceback" not in done.stderr
    failing = tmp_path / "failing.py"
    failing.write_text("import numpy as np\nraise RuntimeError('no data file')\n\ndef f(x):\n    return x\n")
    done = srcgrad_cli("show", f"{failing}:f")
    assert done.returncode == 1 and "importing" in done.stderr and "RuntimeError: no data file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_target_that_is_not_a_function_is_a_usage_error(tmp_path):
    module = tmp_path / "model.py"
    module.write_text("import numpy as np\n\nclass Model:\n    def loss(self, w):\n        return np.sum(w * w)\n")
    done = srcgrad_cli("show", f"{module}:Model")
    assert done.returncode == 2 and "is a class, not a function" in done.stderr
    done = srcgrad_cli("show", f"{module}:Model.loss")
    assert done.returncode == 0 and "def loss_grad(self, w" in done.stdout


def test_no_color_and_a_dumb_terminal_print_plain_code(monkeypatch):
    from srcgrad import cli

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    for name, value in (("NO_COLOR", "1"), ("TERM", "dumb")):
        monkeypatch.setenv(name, value)
        assert cli.highlight("x = 1\n") == "x = 1\n"
        monkeypatch.delenv(name)


def test_cache_info_and_clear(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SRCGRAD_CACHE_DIR=str(tmp_path / "cache"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "srcgrad", *a], capture_output=True, text=True,  # noqa: E731
                                    env=env, timeout=120, cwd=ROOT)
    assert run("show", f"{LINREG}:cost").returncode == 0
    info = run("cache", "info")
    assert info.returncode == 0 and str(tmp_path / "cache") in info.stdout and "entries:   1 " in info.stdout
    cleared = run("cache", "clear")
    assert cleared.returncode == 0 and "removed 1 " in cleared.stdout
    assert "entries:   0 " in run("cache", "info").stdout


def test_the_cache_keeps_under_its_size_cap(tmp_path, monkeypatch):
    from srcgrad.backend import cache

    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path))
    for k in range(5):
        path = tmp_path / f"adjoint_{k}.py"
        path.write_text("x" * 1000)
        os.utime(path, (k, k))  # entry 0 used longest ago
    assert cache.evict(limit=3000) == 2
    assert sorted(p.name for p in cache.entries()) == ["adjoint_2.py", "adjoint_3.py", "adjoint_4.py"]
