"""Bad input gets a typed error with the full, located message (SPEC.md section 5)."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import SrcgradError

import error_cases

FILE = error_cases.__file__


def message(fn, *args):
    with pytest.raises(SrcgradError) as info:
        srcgrad.grad(fn)(*args)
    return info.value


def test_comprehension():
    err = message(error_cases.uses_comprehension, np.ones(3))
    assert isinstance(err, srcgrad.UnsupportedSyntaxError) and isinstance(err, SyntaxError)
    assert str(err) == (
        f"{FILE}:7:19: error: a dict comprehension is not supported\n"
        "    return np.sum({v: v * 2 for v in x})\n"
        "                  ^~~~~~~~~~~~~~~~~~~~~\n"
        "hint: use separate variables or a list"
    )
    assert (err.filename, err.lineno, err.offset) == (FILE, 7, 19)


def test_try_statement():
    assert str(message(error_cases.uses_try, np.ones(3))) == (
        f"{FILE}:11:5: error: the statement 'try' is not supported\n"
        "    try:\n"
        "    ^\n"
        "hint: move error handling outside the differentiated function"
    )


def test_no_rule():
    err = message(error_cases.no_rule, np.ones(3))
    assert isinstance(err, srcgrad.NoGradientError) and isinstance(err, LookupError)
    assert str(err) == (
        f"{FILE}:25:19: error: no derivative rule for numpy.i0\n"
        "    return np.sum(np.i0(x))\n"
        "                  ^~~~~~~~\n"
        "hint: declare a derivative rule:\n"
        "    @srcgrad.register_vjp(numpy.i0)\n"
        "    def i0_vjp(ct, out, *args):\n"
        "        return (...,)  # one cotangent per positional argument, None where none flows\n"
        "or wrap the call in srcgrad.stop_gradient(...) if no gradient should flow through it"
    )


def test_recursion():
    assert str(message(error_cases.recursive, np.ones(3), 2)) == (
        f"{FILE}:31:12: error: a recursive call to recursive more than 50 levels deep (or one whose depth depends on "
        "values known only at run time) is not supported\n"
        "    return recursive(x * 2, n - 1)\n"
        "           ^~~~~~~~~~~~~~~~~~~~~~~\n"
        "hint: make what ends the recursion a constant (a Python int, a list's length), or write the recursion as a loop"
    )


def test_undefined_name():
    assert str(message(error_cases.undefined_name, np.ones(3))) == (
        f"{FILE}:35:16: error: name 'not_defined_anywhere' is not defined\n"
        "    return x * not_defined_anywhere  # noqa: F821\n"
        "               ^~~~~~~~~~~~~~~~~~~~\n"
        "hint: define it before the function is differentiated"
    )


def test_varargs():
    assert str(message(error_cases.with_varargs, np.ones(3))) == (
        f"{FILE}:38:19: error: *args in the signature of a differentiated function is not supported\n"
        "    def with_varargs(*xs):\n"
        "                      ^~\n"
        "hint: name every parameter"
    )


def test_source_unavailable():
    with pytest.raises(SrcgradError) as info:
        srcgrad.grad(np.sin)
    assert str(info.value) == (
        "cannot differentiate <ufunc 'sin'>: its source is not available (a builtin or compiled function)\n"
        "hint: wrap it in a Python function, or give it a rule with srcgrad.register_vjp"
    )


def test_lambda_defined_at_a_prompt():
    namespace: dict = {}
    exec("f = lambda x: x * 2", namespace)
    with pytest.raises(SrcgradError) as info:
        srcgrad.grad(namespace["f"])(1.0)
    assert "cannot read the source of '<lambda>'" in str(info.value)
    assert "define the function in a file" in str(info.value)


def test_option_errors():
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'maybe'"):
        srcgrad.grad(error_cases.no_rule, unconnected_gradients="maybe")
    with pytest.raises(TypeError, match="unknown option"):
        srcgrad.grad(error_cases.no_rule, wrt_names="x")
    with pytest.raises(ValueError, match="wrt must be"):
        srcgrad.grad(error_cases.no_rule, wrt=1.5)
    with pytest.raises(ValueError, match="wrt=3 is out of range"):
        srcgrad.grad(error_cases.no_rule, wrt=3)(np.ones(2))
