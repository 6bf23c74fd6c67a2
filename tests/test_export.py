"""`srcgrad.export` / `srcgrad export`: the adjoint as a module that needs NumPy only. Each exported
module is imported in a fresh interpreter where srcgrad cannot be imported, and its gradients are
compared with srcgrad's; names of the user's module are imported from it; what cannot be exported
(a script's globals, a closure's values) is refused with what to do instead."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad

USER_MODULE = '''
import numpy as np

SCALE = np.array([1.0, 2.0, 3.0])


def scaled_squares(x, y):
    return np.sum((x * SCALE - y) ** 2)


def written_view(x, y):
    a = x * 1.0
    v = a[1:]
    a *= 2.0
    return np.sum(v * y[1:])


def taped_loop(x, y):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h * y)
        hs.append(h)
    return np.sum(np.stack(hs))


def singular_values(x, y):
    u, s, vt = np.linalg.svd(np.outer(x, y)[:2])
    return np.sum(s)


def gathered(x, y):
    return np.sum(x[[0, 2]] ** 2) + x[1] * y[0] + np.sum(np.maximum(x, 0.0) * y)
'''

PROGRAMS = ["scaled_squares", "written_view", "taped_loop", "singular_values", "gathered"]
X, Y = np.array([0.3, -0.7, 1.1]), np.array([0.5, 1.5, -0.4])


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    directory = tmp_path_factory.mktemp("exported")
    (directory / "user_losses.py").write_text(USER_MODULE)
    sys.path.insert(0, str(directory))
    try:
        yield directory, importlib.import_module("user_losses")
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop("user_losses", None)


def test_exported_modules_run_without_srcgrad_and_agree(user_module):
    directory, module = user_module
    for name in PROGRAMS:
        srcgrad.export(getattr(module, name), directory / f"{name}_grad.py", wrt=(0, 1))
    script = textwrap.dedent(f"""
        import sys
        sys.modules["srcgrad"] = None  # importing srcgrad fails here
        sys.path.insert(0, {str(directory)!r})
        import numpy as np
        x, y = np.array({X.tolist()!r}), np.array({Y.tolist()!r})
        results = {{}}
        for name in {PROGRAMS!r}:
            exported = __import__(name + "_grad")
            gx, gy = getattr(exported, name + "_grad")(x, y)
            results[name + "_x"], results[name + "_y"] = gx, gy
        np.savez({str(directory / "results.npz")!r}, **results)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    results = np.load(directory / "results.npz")
    for name in PROGRAMS:
        gx, gy = srcgrad.grad(getattr(module, name), wrt=(0, 1))(X.copy(), Y.copy())
        np.testing.assert_allclose(results[name + "_x"], gx, err_msg=name)
        np.testing.assert_allclose(results[name + "_y"], gy, err_msg=name)


def test_an_exported_module_copies_each_helper_once_and_imports_the_users_names(user_module):
    _, module = user_module
    text = srcgrad.export(module.scaled_squares)
    assert "from user_losses import SCALE" in text and "import srcgrad" not in text and "from srcgrad" not in text
    assert text.count("def unbroadcast(") == 1 and "def scaled_squares_grad(x, y, grad_ys=None):" in text
    assert text.startswith("# Exported by srcgrad")


def test_a_helper_raising_srcgrads_error_gets_the_error_class(user_module):
    _, module = user_module
    text = srcgrad.export(module.singular_values)
    assert "class UnsupportedValueError(ValueError):" in text and "def reduced_svd_parts(" in text


def closure_reader():
    offset = np.ones(3)

    def shifted(x):
        return np.sum((x + offset) ** 2)

    return shifted


def test_a_closure_value_is_refused_with_a_way_out():
    with pytest.raises(srcgrad.SrcgradError, match="reads 'offset' from a closure") as info:
        srcgrad.export(closure_reader())
    assert "pass the value as an argument" in str(info.value)


def test_the_command_line_writes_the_module(tmp_path):
    out = tmp_path / "cost_grad.py"
    done = subprocess.run([sys.executable, "-m", "srcgrad", "export", "examples/linreg.py:cost", "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "def cost_grad(W, b, X, Y, grad_ys=None):" in out.read_text()
