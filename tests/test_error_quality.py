"""Error quality: every unsupported construct gets a located `UnsupportedSyntaxError` with a caret
and a hint; a missing rule gets a `NoGradientError` naming the callee and `register_vjp`.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from test_api_contract import SCALE

import srcgrad
from srcgrad import regularizers

# --- error quality ----------------------------------------------------------------------------


def err_set_comprehension(x):
    return sum({v * 2 for v in x})


def err_dict(x):
    d = {"a": x}
    return d["a"] * 2


def err_global(x):
    global SCALE
    return x * SCALE


def err_walrus(x):
    return (y := x * 2) * y


def err_star(x):
    a, *b = x
    return a * b[0]


def err_kwargs(x, **kw):
    return x * 2


def err_with(x):
    with np.errstate(all="ignore"):
        y = x * 2
    return y


def err_assert(x):
    assert x.shape == (3,)
    return x * 2


def err_del(x):
    y = x * 2
    del y
    return x


def err_for_else(x):
    for _ in range(3):
        x = x * 2
    else:
        x = x + 1
    return x


def err_yield(x):
    yield x


def err_set(x):
    return len({1, 2}) * x


def err_fstring(x):
    s = f"{x}"
    return x * len(s)


def err_nested_item(x):
    rows = [x * 1.0]
    rows[0][0] = 0.0
    return np.sum(rows[0])


def err_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def err_nonlocal(x):
    y = x

    def inner():
        nonlocal y
        y = y * 2
    inner()
    return y


async def err_async(x):
    return x * 2


def err_class(x):
    class Scale:
        factor = 2.0
    return x * Scale.factor


ERRORS = [err_set_comprehension, err_dict, err_global, err_walrus, err_star, err_kwargs, err_with, err_del,
          err_for_else, err_yield, err_set, err_fstring, err_nested_item, err_try, err_nonlocal, err_async, err_class]


@pytest.mark.parametrize("fn", ERRORS, ids=lambda f: f.__name__)
def test_unsupported_syntax_message(fn):
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.grad(fn)(np.ones(3))
    message = str(info.value)
    assert isinstance(info.value, SyntaxError) and isinstance(info.value, srcgrad.SrcgradError)
    lines = message.splitlines()
    first_line = inspect.getsourcelines(fn)[1]
    import re
    m = re.match(r"(.+):(\d+):(\d+): error: ", lines[0])
    assert m and m.group(1) == __file__ and first_line <= int(m.group(2)) <= first_line + 8, lines[0]
    source_line = __import__("linecache").getline(__file__, int(m.group(2))).rstrip()
    indent = len(source_line) - len(source_line.lstrip())
    assert lines[1].strip() == source_line.strip(), message
    shown_indent = len(lines[1]) - len(lines[1].lstrip())
    caret = lines[2]
    assert caret.lstrip().startswith("^"), message
    assert len(caret) - len(caret.lstrip()) == shown_indent + int(m.group(3)) - 1 - indent, message
    assert any(line.startswith("hint:") for line in lines[3:]), message


def calls_numpy_without_rule(x):
    return np.sum(np.interp(x, np.array([0.0, 1.0]), np.array([1.0, 2.0])))


def test_no_gradient_error_names_callee_and_register_vjp():
    with pytest.raises(srcgrad.NoGradientError) as info:
        srcgrad.grad(calls_numpy_without_rule)(np.array([0.3, 0.6]))
    message = str(info.value)
    assert isinstance(info.value, LookupError)
    assert "interp" in message and "register_vjp" in message
    line = inspect.getsourcelines(calls_numpy_without_rule)[1] + 1
    assert f"{__file__}:{line}:" in message


def test_bug_regularizer_factory_inside_loss():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(srcgrad.grad(factory_inside)(w), 0.2 * w)


def factory_inside(w):
    return regularizers.l2_regularizer(0.2)(w)
