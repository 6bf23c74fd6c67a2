"""The generated source is valid Python with `# grad of:` comments, and the disk cache gives the
same numbers as no cache, cold and warm, across processes.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from typing import Any, Callable

import numpy as np
import pytest
import test_calls
import test_control_flow
import test_item_writes
from test_calls import helper_early_return_in_loop
from test_control_flow import list_nested_append, lstm_like_pair, while_break_data
from test_item_writes import aug_item_in_loop

import srcgrad

FD_CASES = test_control_flow.FD_CASES + test_calls.FD_CASES + test_item_writes.FD_CASES

@pytest.mark.parametrize("fn", [lstm_like_pair, helper_early_return_in_loop, aug_item_in_loop, while_break_data,
                                list_nested_append])
def test_generated_source_is_valid_python(fn: Callable[..., Any]) -> None:
    text = srcgrad.show(fn)
    ast.parse(text)
    compile(text, "<adjoint>", "exec")
    raw = srcgrad.show(fn, optimize=False)
    ast.parse(raw)
    assert f"def {fn.__name__}_grad(" in text
    assert "# grad of:" in text


def cache_probe() -> str:
    """Gradients of a few cases, printed exactly (used by the cache test in subprocesses)."""
    results = []
    for name in ("lstm_like_pair", "helper_early_return_in_loop", "nested_while_for_continue", "mask_aug",
                 "list_nested_append"):
        for ident, fn, args, wrt in FD_CASES:
            if ident == name:
                results.append(srcgrad.grad(fn, wrt=wrt)(*args))
    return repr(results)


def test_disk_cache_on_and_off_agree(tmp_path) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    script = f"import sys; sys.path.insert(0, {here!r}); import test_generated_source as t; print(t.cache_probe())"

    def run(**env: str) -> str:
        full = {**os.environ, **env}
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=full, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    off = run(SRCGRAD_CACHE="0", SRCGRAD_CACHE_DIR=str(tmp_path / "unused"))
    cold = run(SRCGRAD_CACHE="1", SRCGRAD_CACHE_DIR=str(tmp_path / "cache"))
    assert os.listdir(tmp_path / "cache"), "the disk cache stayed empty"
    warm = run(SRCGRAD_CACHE="1", SRCGRAD_CACHE_DIR=str(tmp_path / "cache"))
    assert off == cold == warm
    assert not (tmp_path / "unused").exists() or not os.listdir(tmp_path / "unused")
    assert off.strip() == cache_probe()


def negative_constant_base(x, c):
    t = -1.1 if c > 0.0 else -1.1  # one constant on both paths: copy propagation makes it a literal
    return np.sum(x * t**2)


def method_of_a_constant(x, c):
    t = 2 if c > 0.0 else 2
    return np.sum(x * t.conjugate())


@pytest.mark.parametrize("fn, factor", [(negative_constant_base, 1.21), (method_of_a_constant, 2.0)])
def test_constants_are_parenthesized_where_precedence_needs_it(fn, factor):
    """`(-1.1) ** 2` is 1.21 where `-1.1 ** 2` is -1.21; `2.conjugate()` does not parse."""
    x = np.array([0.5, -1.0])
    for optimize in (True, False):
        value, g = srcgrad.value_and_grad(fn, optimize=optimize)(x, 1.0)
        assert value == fn(x, 1.0)
        np.testing.assert_allclose(g, np.full(2, factor))
