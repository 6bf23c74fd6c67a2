"""Generated code, pinned: tests/golden/<name>.py is what `srcgrad show` prints.

Regenerate with `python -m pytest tests/test_golden.py --update-golden` and review the diff.
Each golden file is runnable Python: the test imports it and checks its gradients.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad import api
from golden_sources import CASES

GOLDEN = Path(__file__).resolve().parent / "golden"


def inputs(name: str) -> tuple:
    rng = np.random.default_rng(1)
    if name == "linreg":
        return (np.float64(1.5), np.float64(0.5), rng.standard_normal((4, 1)), rng.standard_normal((4, 1)))
    if name == "mlp":
        X = rng.standard_normal((5, 4))
        return (rng.standard_normal((4, 6)), rng.standard_normal(6), rng.standard_normal((6, 3)),
                rng.standard_normal(3), X, np.eye(3)[[0, 1, 2, 0, 1]])
    if name == "rnn":
        return (rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 3)))
    if name in ("piecewise",):
        return (rng.standard_normal(3),)
    return (np.array([2.0, 9.0]),)


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_code_matches_golden(name, request):
    fn, options = CASES[name]
    _matches_golden(srcgrad.show(fn, **options), GOLDEN / f"{name}.py", request)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_file_runs_and_is_right(name):
    fn, options = CASES[name]
    adjoint = getattr(_load_golden(name), f"{fn.__name__}_grad")
    args = inputs(name)
    expected = srcgrad.grad(fn, **options)(*args)
    got = adjoint(*args)
    for g, e in zip(got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_generation_is_deterministic(name, monkeypatch):
    fn, options = CASES[name]
    monkeypatch.setenv("SRCGRAD_CACHE", "0")
    first = srcgrad.show(fn, **options)
    api._MEMORY.clear()
    assert srcgrad.show(fn, **options) == first


# Adjoints specialised for example arguments (`srcgrad show(fn, args=...)`): what `grad` runs for
# calls whose scalar arguments are of these kinds.
SPECIALISED = {"newton_sqrt": (2.0,), "linreg": (np.float64(1.5), np.float64(0.5), np.ones((4, 1)), np.ones((4, 1)))}


@pytest.mark.parametrize("name", sorted(SPECIALISED))
def test_specialised_code_matches_golden(name, request):
    fn, options = CASES[name]
    _matches_golden(srcgrad.show(fn, args=SPECIALISED[name], **options), GOLDEN / f"{name}_specialised.py", request)


@pytest.mark.parametrize("name", sorted(SPECIALISED))
def test_golden_specialised_file_runs_and_is_right(name):
    fn, options = CASES[name]
    adjoint = getattr(_load_golden(f"{name}_specialised"), f"{fn.__name__}_grad")
    args = inputs(name)
    generic = srcgrad.grad(fn, **options).__srcgrad_original__(*args, None)
    got = adjoint(*args)
    for g, e in zip(got if isinstance(got, tuple) else (got,), generic if isinstance(generic, tuple) else (generic,)):
        np.testing.assert_array_equal(g, e)  # the same numbers as the generic adjoint's, bit for bit


FORWARD = ("mlp", "rnn")  # the tangent functions `srcgrad show --mode forward` prints


@pytest.mark.parametrize("name", FORWARD)
def test_tangent_code_matches_golden(name, request):
    fn, options = CASES[name]
    _matches_golden(srcgrad.show(fn, mode="forward", **options), GOLDEN / f"{name}_jvp.py", request)


@pytest.mark.parametrize("name", FORWARD)
def test_golden_tangent_file_runs_and_is_right(name):
    fn, options = CASES[name]
    tangent_function = getattr(_load_golden(f"{name}_jvp"), f"{fn.__name__}_jvp")
    args = inputs(name)
    rng = np.random.default_rng(2)
    tangents = [rng.standard_normal(np.shape(args[i])) for i in range(len(args)) if i in _positions(fn, options)]
    value, tangent = tangent_function(*args, *tangents)
    gradients = srcgrad.grad(fn, **options)(*args)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, sum(np.sum(g * t) for g, t in zip(gradients, tangents)), rtol=1e-10)


def _positions(fn, options) -> list:
    params = list(inspect.signature(fn).parameters)
    wrt = options.get("wrt", 0)
    entries = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    return [e if isinstance(e, int) else params.index(e) for e in entries]


def _matches_golden(source: str, path: Path, request) -> None:
    if request.config.getoption("--update-golden"):
        path.write_text(source)
    assert source == path.read_text(), f"generated code changed; review and run with --update-golden ({path})"


def _load_golden(stem: str):
    """The golden file tests/golden/<stem>.py, imported as a module (each is runnable Python)."""
    spec = importlib.util.spec_from_file_location(f"golden_{stem}", GOLDEN / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
